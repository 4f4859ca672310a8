/**
 * npm run bench:start — how long `npm start` takes to answer: runs `npm start` (in memory, on free
 * ports) BENCH_RUNS times (default 3), each time polling ListClusters on the ECS endpoint every
 * 20 ms from the moment the command is spawned until one answers 200 (which needs serverless-offline
 * up, the handler loaded, DynamoDB Local up and the table created), then stops it.
 *
 * Then, once, where the time goes, each part on its own: DynamoDB Local's JVM until it answers,
 * creating the table, and serverless-offline (with its esbuild step) until it answers.
 *
 * Target: npm start answers in ≤ 6 s.
 */
import { execFileSync, spawn } from 'node:child_process';
import { freePort, startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';
import { createTable } from '../scripts/local/table';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MS = 6000;

const listClusters = async (port: number): Promise<boolean> => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      body: '{}',
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
};

/** One `npm start`: milliseconds from spawn to the first 200, then a clean stop. */
const timeNpmStart = async (): Promise<number> => {
  const httpPort = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    env: { ...process.env, ECSBOX_HTTP_PORT: String(httpPort), ECSBOX_LAMBDA_PORT: String(await freePort()) },
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      if (await listClusters(httpPort)) return performance.now() - started;
      if (performance.now() - started > 120_000) throw new Error('npm start did not answer within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    // npm, tsx and scripts/start.ts form the group; start.ts stops DynamoDB Local and serverless-offline.
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
};

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

const main = async () => {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    samples.push(await timeNpmStart());
    console.log(`npm start answered after ${samples[run].toFixed(0)} ms`);
  }
  const [dynamo, dynamoMs] = await timed(() => startDynamoDbLocal());
  try {
    const [, tableMs] = await timed(() => createTable(dynamo.endpoint, 'bench-start'));
    const [stack, offlineMs] = await timed(async () =>
      startLocalStack({ httpPort: await freePort(), lambdaPort: await freePort(), dynamoDbEndpoint: dynamo.endpoint, tableName: 'bench-start-offline' }),
    );
    await stack.stop();
    console.log(`parts on their own: dynamodb_local_ms=${dynamoMs.toFixed(0)} create_table_ms=${tableMs.toFixed(0)} serverless_offline_ms=${offlineMs.toFixed(0)}`);
  } finally {
    await dynamo.stop();
  }
  samples.sort((a, b) => a - b);
  console.log(`load: ${execFileSync('uptime').toString().trim()}`);
  console.log(`start: runs=${RUNS} median_ms=${samples[Math.floor(RUNS / 2)].toFixed(0)} min_ms=${samples[0].toFixed(0)} max_ms=${samples[RUNS - 1].toFixed(0)} target_ms=${TARGET_MS}`);
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
