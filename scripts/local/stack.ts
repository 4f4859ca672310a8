import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { localAuthSecrets } from './auth-secrets';
import { createTable } from './table';
import { freePort, startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalCompiler } from './dynamodb-local';

/**
 * The whole local stack: DynamoDB Local with the table from serverless.yml, and serverless-offline
 * serving every route and running the reconciler. `npm start`, the end-to-end tests and the API
 * benchmark all use this one function, so they run the same thing.
 */
export interface LocalStackOptions {
  httpPort: number;
  lambdaPort: number;
  /** Keep DynamoDB's data in this folder instead of in memory. */
  dataDirectory?: string;
  /** Reuse a running DynamoDB Local instead of starting one. */
  dynamoDbEndpoint?: string;
  /** How the DynamoDB Local started here compiles (DynamoDbLocalCompiler; quick by default). */
  dynamoDbCompiler?: DynamoDbLocalCompiler;
  tableName?: string;
  /** Forward serverless-offline's output (npm start), or write it to this file (tests). */
  verbose?: boolean;
  logFile?: string;
  environment?: Record<string, string>;
}

export interface LocalStack {
  apiUrl: string;
  lambdaUrl: string;
  dynamoDbEndpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

const waitForHttp = async (url: string, timeoutMs: number, isAlive: () => boolean): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('serverless-offline exited during start-up');
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
};

/** serverless.yml's custom.reconcilerFunctionName at the local stage. */
const RECONCILER_FUNCTION_NAME = 'ecsbox-local-reconciler';

/** How long a crashed process's reconcile lease can still be held (its time to live, and some). */
const STALE_LEASE_MS = 20_000;

/**
 * Runs the reconciler until a pass gets to work. A crashed run may have left a shard's lease
 * behind: until it expires a pass finds the shard "busy" and leaves (the holder would normally see
 * the change), so the wake-up is repeated until the stale lease is gone. Failures are left to the
 * schedule, like any failed wake-up.
 */
const resumeLeftWork = async (lambdaUrl: string, isRunning: () => boolean): Promise<void> => {
  const client = new LambdaClient({ region: 'us-east-1', endpoint: lambdaUrl, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const giveUpAt = Date.now() + STALE_LEASE_MS;
  try {
    while (isRunning() && Date.now() < giveUpAt) {
      const { Payload } = await client.send(
        new InvokeCommand({ FunctionName: RECONCILER_FUNCTION_NAME, InvocationType: 'RequestResponse', Payload: '{"source":"ecsbox.wake"}' }),
      );
      const answer = Payload ? (JSON.parse(Buffer.from(Payload).toString('utf8')) as { end?: string } | null) : null;
      if (answer?.end !== 'busy') return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } catch {
    // The stack stopped, or the reconciler failed: the schedule picks the work up.
  } finally {
    client.destroy();
  }
};

export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const tableName = options.tableName ?? 'ecsbox-local';
  // DynamoDB Local (a JVM, then the table) and serverless-offline start side by side: each takes
  // seconds, and neither needs the other before the first request (npm run bench:start).
  const dynamoDbPort = options.dynamoDbEndpoint ? undefined : await freePort();
  const dynamoDbEndpoint = options.dynamoDbEndpoint ?? `http://127.0.0.1:${dynamoDbPort}`;
  const dynamoStarted: Promise<DynamoDbLocal | undefined> = options.dynamoDbEndpoint
    ? Promise.resolve(undefined)
    : startDynamoDbLocal({ port: dynamoDbPort, dataDirectory: options.dataDirectory, compiler: options.dynamoDbCompiler });
  const tableReady = dynamoStarted.then(async () => {
    try {
      await createTable(dynamoDbEndpoint, tableName);
    } catch (error) {
      // A persisted table from an earlier run is fine.
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
  });
  const lambdaUrl = `http://127.0.0.1:${options.lambdaPort}`;
  // sigv4 mode (ECSBOX_AUTH=sigv4 npm start) needs a master key and an admin token; unless given, the local ones.
  const hosted = (options.environment?.ECSBOX_AUTH ?? process.env.ECSBOX_AUTH) === 'sigv4';
  const authSecrets = hosted && !(process.env.ECSBOX_MASTER_KEY || options.environment?.ECSBOX_MASTER_KEY) ? localAuthSecrets() : {};
  const serverless = spawn(
    process.execPath,
    [
      // A failed asynchronous invocation must not take the API down with it.
      '--require',
      join(__dirname, 'survive-handler-failures.cjs'),
      require.resolve('serverless/bin/serverless.js'),
      'offline',
      'start',
      '--stage',
      'local',
    ],
    {
      cwd: process.cwd(),
      env: {
        ...process.env,
        ECSBOX_TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: dynamoDbEndpoint,
        LAMBDA_ENDPOINT: lambdaUrl,
        ECSBOX_ACCOUNT_ID: '000000000000',
        ECSBOX_HTTP_PORT: String(options.httpPort),
        ECSBOX_LAMBDA_PORT: String(options.lambdaPort),
        FLEET_PROFILE: 'fast',
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        AWS_REGION: 'us-east-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        // Node keeps the compiled code of the framework, its plugins and the handlers on disk: most
        // of serverless-offline's start-up is compiling thousands of modules (npm run bench:start).
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(process.cwd(), 'node_modules', '.cache', 'ecsbox-compile-cache'),
        ...authSecrets,
        ...options.environment,
      },
      stdio: ['ignore', options.verbose ? 'inherit' : 'pipe', options.verbose ? 'inherit' : 'pipe'],
    },
  );
  let stderr = '';
  serverless.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile);
    serverless.stdout?.pipe(log);
    serverless.stderr?.pipe(log);
  } else {
    serverless.stdout?.resume();
  }
  const apiUrl = `http://127.0.0.1:${options.httpPort}`;
  const stop = async () => {
    if (serverless.exitCode === null) {
      const exited = new Promise((resolve) => serverless.once('exit', resolve));
      serverless.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (serverless.exitCode === null) serverless.kill('SIGKILL');
    }
    await (await dynamoStarted.catch(() => undefined))?.stop();
  };
  try {
    await Promise.all([tableReady, waitForHttp(`${apiUrl}/v1/openapi.json`, 120_000, () => serverless.exitCode === null)]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  // Work left by an earlier run (persisted data, a crash mid-rollout) resumes now, not at the
  // next scheduled minute; in the background, so that start-up does not wait for it.
  void resumeLeftWork(lambdaUrl, () => serverless.exitCode === null);
  return { apiUrl, lambdaUrl, dynamoDbEndpoint, tableName, stop };
};
