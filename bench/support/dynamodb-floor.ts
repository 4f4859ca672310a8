import { readdirSync, readFileSync } from 'node:fs';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mapConcurrently } from '../../lib/concurrency';
import type { DynamoDbLocalCompiler } from '../../scripts/local/dynamodb-local';

/**
 * How the benchmarks that time the reconciler's sustained writes run DynamoDB Local:
 * BENCH_DYNAMODB_COMPILER, `full` unless set. `npm start` and the tests use the quick compiler,
 * which answers sooner but makes DynamoDB Local spend about 1.7 times the CPU per written item once
 * warm (npm run bench:dynamodb-writes); on this machine that, not the reconciler, would set the pace.
 */
export const benchCompiler = (): DynamoDbLocalCompiler => {
  const chosen = process.env.BENCH_DYNAMODB_COMPILER ?? 'full';
  if (chosen !== 'full' && chosen !== 'quick') throw new Error(`BENCH_DYNAMODB_COMPILER must be full or quick, not ${chosen}`);
  return chosen;
};

/** CPU time (user + system, ms) of this process's DynamoDB Local child (the JVM), from /proc. */
export const jvmCpuMs = (): number => {
  const tick = 10; // USER_HZ = 100 on Linux
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(java)')) return (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return 0;
};

/**
 * DynamoDB Local's own time for writing these items (DynamoDB JSON) in transactions of 100, 4 in
 * flight, as the reconciler commits: the same items again, over themselves, in plain loops with no
 * reconciler. What a pass that must write them cannot go below on this machine.
 */
export const transactionFloor = async (endpoint: string, tableName: string, items: Array<Record<string, unknown>>) => {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const chunks = Array.from({ length: Math.ceil(items.length / 100) }, (_, index) => items.slice(index * 100, (index + 1) * 100));
  const jvmBefore = jvmCpuMs();
  const started = performance.now();
  await mapConcurrently(chunks, 4, (chunk) =>
    client.send(new TransactWriteItemsCommand({ TransactItems: chunk.map((Item) => ({ Put: { TableName: tableName, Item: Item as never } })) })),
  );
  const ms = performance.now() - started;
  const cpuMs = jvmCpuMs() - jvmBefore;
  client.destroy();
  return { ms, cpuMs, usPerItem: (ms * 1000) / items.length };
};
