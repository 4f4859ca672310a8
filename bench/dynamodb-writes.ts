/**
 * npm run bench:dynamodb-writes — what DynamoDB Local itself takes to write an item on this
 * machine, whatever the API: 8,000 items of about 800 bytes (a task item's size) carrying the keys of
 * the table's three indexes, as the reconciler's task items do, written over themselves in
 * TransactWriteItems of 100, 50, 25 and 10 actions (4 in flight, as the reconciler commits) and as
 * single PutItems (8 in flight); wall time and DynamoDB Local's CPU (its JVM's, from /proc), twice,
 * with DynamoDB Local's quick compiler (npm start's and the tests') and then its full one (the
 * reconciler's benchmarks'; the second round is the warm one).
 * bench:launch and bench:reconcile print their own floors from the items they wrote; this says
 * whether another shape of write would have been cheaper (it would not: see docs/benchmarks.md),
 * and what the JVM's compiler changes (much: the same items cost about 1.7 times the CPU on the quick one).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mapConcurrently } from '../lib/concurrency';
import { startDynamoDbLocal, type DynamoDbLocalCompiler } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';
import { jvmCpuMs } from './support/dynamodb-floor';

const ITEMS = 8000;

const measure = async (compiler: DynamoDbLocalCompiler) => {
  const dynamo = await startDynamoDbLocal({ compiler });
  const tableName = `bench-writes-${randomUUID()}`;
  await createTable(dynamo.endpoint, tableName);
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const items = Array.from({ length: ITEMS }, (_, index) => ({
    PK: { S: `A#000000000000#C#bench#S#svc-${index % 1000}` },
    SK: { S: `T#${randomUUID()}` },
    GSI1PK: { S: `RECONCILE#${index % 8}` },
    GSI1SK: { S: `svc-${index % 1000}#T#${index}` },
    GSI2SK: { S: `TASK#RUNNING#${index}` },
    GSI3PK: { S: `DUE#${index % 8}` },
    GSI3SK: { S: `${Date.now() + index}` },
    packed: { B: new Uint8Array(600).fill(index % 251) },
  }));
  try {
    for (const round of [1, 2]) {
      for (const size of [100, 50, 25, 10, 1]) {
        const chunks = Array.from({ length: Math.ceil(ITEMS / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
        const cpuBefore = jvmCpuMs();
        const started = performance.now();
        await mapConcurrently(chunks, size === 1 ? 8 : 4, (chunk): Promise<unknown> =>
          size === 1
            ? client.send(new PutItemCommand({ TableName: tableName, Item: chunk[0] as never }))
            : client.send(new TransactWriteItemsCommand({ TransactItems: chunk.map((Item) => ({ Put: { TableName: tableName, Item: Item as never } })) })),
        );
        const ms = performance.now() - started;
        const cpuMs = jvmCpuMs() - cpuBefore;
        console.log(
          `compiler=${compiler} round=${round} ${size === 1 ? 'put_item' : `transactions_of=${size}`} items=${ITEMS} wall_ms=${Math.round(ms)} us_per_item=${Math.round((ms * 1000) / ITEMS)} dynamodb_local_cpu_us_per_item=${Math.round((cpuMs * 1000) / ITEMS)}`,
        );
      }
    }
  } finally {
    client.destroy();
    await dynamo.stop();
  }
};

const main = async () => {
  for (const compiler of ['quick', 'full'] as const) await measure(compiler);
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
