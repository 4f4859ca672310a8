import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/local/dynamodb-local';
import { startLocalStack } from '../../scripts/local/stack';
import { registerCleanup } from './teardown';

/** The web console's files, which npm install builds: built here in a tree that has not (a fresh merge). */
const ensureConsoleBuilt = () => {
  if (existsSync(join(process.cwd(), 'console', 'dist', 'index.html'))) return;
  const vite = join(process.cwd(), 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.mts', '--logLevel', 'warn'], { stdio: 'inherit' });
};

/** The whole local stack, as `npm start` runs it, on free ports. */
export default async function setup(): Promise<void> {
  ensureConsoleBuilt();
  // serverless-offline's output (every Lambda's logs) goes to .data/e2e-stack.log, for failures.
  const stack = await startLocalStack({
    httpPort: await freePort(),
    lambdaPort: await freePort(),
    logFile: join(process.cwd(), '.data', 'e2e-stack.log'),
  });
  process.env.ECSBOX_TEST_API_URL = stack.apiUrl;
  process.env.ECSBOX_TEST_LAMBDA_URL = stack.lambdaUrl;
  process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT = stack.dynamoDbEndpoint;
  process.env.ECSBOX_TEST_STACK_TABLE_NAME = stack.tableName;
  registerCleanup(stack.stop);
}
