import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/local/dynamodb-local';
import { startLocalStack } from '../../scripts/local/stack';
import { registerCleanup } from './teardown';
import { STACK_VARIABLES, stackVariable } from './stack-worker';

/** The web console's files, which npm install builds: built here in a tree that has not (a fresh merge). */
const ensureConsoleBuilt = () => {
  if (existsSync(join(process.cwd(), 'console', 'dist', 'index.html'))) return;
  const vite = join(process.cwd(), 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.mts', '--logLevel', 'warn'], { stdio: 'inherit' });
};

/**
 * The whole local stack, as `npm start` runs it, on free ports: one per jest worker (at most two),
 * so test files that run side by side never see each other's data (many compare the whole table
 * before and after a refused request). Most of an end-to-end test is waiting for the simulated
 * fleet's timings, so two workers halve the time on two cores.
 */
export default async function setup(globalConfig: { maxWorkers: number }): Promise<void> {
  ensureConsoleBuilt();
  const count = Math.max(1, Math.min(globalConfig.maxWorkers, Number(process.env.ECSBOX_TEST_STACKS ?? 2)));
  process.env.ECSBOX_TEST_STACK_COUNT = String(count);
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const number = index + 1;
      // serverless-offline's output (every Lambda's logs) goes to .data/e2e-stack-N.log, for failures.
      const stack = await startLocalStack({
        httpPort: await freePort(),
        lambdaPort: await freePort(),
        logFile: join(process.cwd(), '.data', `e2e-stack-${number}.log`),
      });
      registerCleanup(stack.stop);
      const values = { apiUrl: stack.apiUrl, lambdaUrl: stack.lambdaUrl, dynamoDbEndpoint: stack.dynamoDbEndpoint, tableName: stack.tableName };
      for (const [key, variable] of Object.entries(STACK_VARIABLES)) {
        process.env[stackVariable(variable, number)] = values[key as keyof typeof values];
      }
    }),
  );
}
