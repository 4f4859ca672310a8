/**
 * npm run bench:launch — issue 10, target 4 ("fast to act"): 1,000 services scale from 0 to 3
 * tasks at once on the fast profile; the reconciler runs as deployed (one invocation per shard,
 * `reconcileUntilIdle` on the real clock, sleeping until the next expected change) against
 * DynamoDB Local.
 *
 * Prints the time from the moment every UpdateService is stored until every task is RUNNING in
 * the table, then until the reconciler is idle (every deployment COMPLETED), and the write units
 * the reconciler spent per launched task. DynamoDB Local under-reports transactions, so units are
 * priced here from what each request carries: the size of every item written is computed by
 * DynamoDB's rules (attribute names plus values), 1 unit per started KB for a plain write and 2 per
 * started KB per item of a TransactWriteItems (ConditionCheck, Update and Delete priced at the size
 * of the item last written under that key, 1 KB when none was seen, as for the lease item).
 *
 * Targets: every task RUNNING within 8 s; at most 6 write units per launched task.
 * BENCH_SERVICES (1000), BENCH_TASKS (3), BENCH_SHARDS (1) change the load; DynamoDB Local runs
 * with its full compiler unless BENCH_DYNAMODB_COMPILER=quick (as npm start runs it).
 */
import { randomUUID } from 'node:crypto';
import type { BuildMiddleware, InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { createTableContext } from '../lib/adapters/dynamodb/table';
import { parseConfig } from '../lib/config';
import { buildDeps, buildReconciler } from '../lib/container';
import { systemClock } from '../lib/deps';
import { validateTaskDefinition } from '../lib/domain/task-definition';
import { reconcileUntilIdle } from '../lib/reconciler/loop';
import { LOOP_SETTINGS } from '../lib/reconciler/settings';
import { createCluster } from '../lib/usecases/clusters';
import { createService, describeServices, updateService } from '../lib/usecases/services';
import { registerTaskDefinition } from '../lib/usecases/task-definitions';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';
import { fargateTaskDefinition } from '../test/support/fixtures';
import { benchCompiler, jvmCpuMs, transactionFloor } from './support/dynamodb-floor';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const TASKS = Number(process.env.BENCH_TASKS ?? 3);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 1);

// ---------------------------------------------------------------------------------------------
// Pricing writes from the wire, as DynamoDB bills them

type AttributeValue = Record<string, unknown>;

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
const numberSize = (text: string) => {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

/** The size of one attribute value, by DynamoDB's item-size rules. */
const valueSize = (value: AttributeValue): number => {
  const [type, inner] = Object.entries(value)[0];
  switch (type) {
    case 'S':
      return Buffer.byteLength(inner as string);
    case 'N':
      return numberSize(inner as string);
    case 'B':
      return Buffer.byteLength(inner as string, 'base64');
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, element) => sum + 1 + valueSize(element), 0);
    case 'M':
      return 3 + itemSize(inner as Record<string, AttributeValue>) + Object.keys(inner as object).length;
    case 'SS':
    case 'NS':
      return (inner as string[]).reduce((sum, element) => sum + (type === 'SS' ? Buffer.byteLength(element) : numberSize(element)), 0);
    default:
      return 0;
  }
};

const itemSize = (item: Record<string, AttributeValue>) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);

const keyOf = (key: Record<string, AttributeValue>) => `${JSON.stringify(key.PK)}|${JSON.stringify(key.SK)}`;
const kilobytes = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

class WritePricer {
  units = 0;
  transactUnits = 0;
  plainUnits = 0;
  transactions = 0;
  transactionItems = 0;
  plainWrites = 0;
  private readonly sizes = new Map<string, number>();
  /** Items written and their units, by kind (a task's with its lastStatus; the lease's checks apart). */
  readonly breakdown = new Map<string, { items: number; units: number }>();
  /** Bytes of every task item Put, to report the item's size. */
  readonly taskItemBytes: number[] = [];
  readonly serviceItemBytes: number[] = [];
  /** When each task was first written RUNNING. */
  readonly runningAt = new Map<string, number>();
  /** Every item Put in a transaction (DynamoDB JSON), for the floor's replay. */
  readonly transactionPuts: Array<Record<string, AttributeValue>> = [];

  private count(what: string, units: number) {
    const entry = this.breakdown.get(what) ?? { items: 0, units: 0 };
    entry.items += 1;
    entry.units += units;
    this.breakdown.set(what, entry);
  }

  /** What an item is, for the breakdown: its kind (a task's with its lastStatus), else its sort key's shape. */
  private kindOf(key: Record<string, AttributeValue>, item?: Record<string, AttributeValue>): string {
    const kind = (item?.kind as { S?: string } | undefined)?.S;
    if (kind === 'task') return `task_${(item!.lastStatus as { S?: string } | undefined)?.S ?? 'other'}`;
    if (kind) return kind;
    const sortKey = (key.SK as { S?: string } | undefined)?.S ?? '';
    if (sortKey.startsWith('LEASE#')) return 'lease_check';
    if (sortKey.endsWith('#EVENTS')) return 'service_events';
    return sortKey.split('#')[0].toLowerCase() || 'other';
  }

  private put(item: Record<string, AttributeValue>): number {
    const size = itemSize(item);
    this.sizes.set(keyOf(item), size);
    const kind = (item.kind as { S?: string } | undefined)?.S;
    if (kind === 'task') {
      this.taskItemBytes.push(size);
      const id = (item.SK as { S: string }).S;
      if ((item.lastStatus as { S?: string } | undefined)?.S === 'RUNNING' && !this.runningAt.has(id)) this.runningAt.set(id, Date.now());
    }
    if (kind === 'service') this.serviceItemBytes.push(size);
    return size;
  }

  private known(key: Record<string, AttributeValue>) {
    return this.sizes.get(keyOf(key)) ?? 1024;
  }

  price(target: string, body: Record<string, unknown>) {
    const operation = target.split('.')[1];
    if (operation === 'TransactWriteItems') {
      const items = body.TransactItems as Array<Record<string, { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> }>>;
      let units = 0;
      for (const action of items) {
        const [verb, detail] = Object.entries(action)[0];
        if (verb === 'Put') this.transactionPuts.push(detail.Item!);
        const size = verb === 'Put' ? this.put(detail.Item!) : this.known(detail.Key!);
        units += 2 * kilobytes(size);
        this.count(this.kindOf(detail.Key ?? detail.Item!, detail.Item), 2 * kilobytes(size));
      }
      this.transactions += 1;
      this.transactionItems += items.length;
      this.transactUnits += units;
      this.units += units;
    } else if (operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem') {
      const item = body.Item as Record<string, AttributeValue> | undefined;
      const size = item ? this.put(item) : this.known(body.Key as Record<string, AttributeValue>);
      this.count(`${this.kindOf((body.Key ?? item) as Record<string, AttributeValue>, item)}_plain`, kilobytes(size));
      this.plainWrites += 1;
      this.plainUnits += kilobytes(size);
      this.units += kilobytes(size);
    } else if (operation === 'BatchWriteItem') {
      for (const requests of Object.values(body.RequestItems as Record<string, Array<{ PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }>>)) {
        for (const request of requests) {
          const item = request.PutRequest?.Item;
          const size = item ? this.put(item) : this.known(request.DeleteRequest!.Key);
          this.count(`${this.kindOf(request.DeleteRequest?.Key ?? item!, item)}_plain`, kilobytes(size));
          this.plainWrites += 1;
          this.plainUnits += kilobytes(size);
          this.units += kilobytes(size);
        }
      }
    }
  }

  /** A middleware on the table client that prices every write request it sends. */
  middleware(): BuildMiddleware<object, MetadataBearer> {
    return (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = request.headers?.['x-amz-target'];
      const body = ArrayBuffer.isView(request.body) ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString() : typeof request.body === 'string' ? request.body : undefined;
      if (target && body) this.price(target, JSON.parse(body) as Record<string, unknown>);
      return next(args);
    };
  }
}

/** DynamoDB calls of the measured run: how many of each operation, and their summed latency (side by side ones overlap). */
const callTimer = {
  calls: new Map<string, { count: number; ms: number }>(),
  middleware(): InitializeMiddleware<object, MetadataBearer> {
    return (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const name = String((context as { commandName?: string }).commandName ?? 'other').replace(/Command$/, '');
        const entry = this.calls.get(name) ?? { count: 0, ms: 0 };
        entry.count += 1;
        entry.ms += performance.now() - started;
        this.calls.set(name, entry);
      }
    };
  },
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const main = async () => {
  const dynamo = await startDynamoDbLocal({ compiler: benchCompiler() });
  try {
    const tableName = `bench-launch-${randomUUID()}`;
    await createTable(dynamo.endpoint, tableName);
    const settings = parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamo.endpoint, FLEET_PROFILE: 'fast', RECONCILE_SHARDS: String(SHARDS) });
    const deps = buildDeps(settings);
    const pricer = new WritePricer();
    const table = createTableContext({ tableName, region: settings.region, endpoint: dynamo.endpoint, pageTokenSecret: settings.pageTokenSecret });
    table.client.middlewareStack.add(pricer.middleware(), { step: 'build', name: 'benchWritePricer' });
    table.client.middlewareStack.add(callTimer.middleware(), { step: 'initialize', name: 'benchCallTimer' });
    const { store, newReconciler } = buildReconciler(settings, { table });

    await createCluster(deps, { clusterName: 'bench' });
    // One nginx container on Fargate, the tests' usual definition.
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('bench')));
    const name = (index: number) => `svc-${String(index).padStart(6, '0')}`;
    const everyService = async (work: (serviceName: string) => Promise<unknown>) => {
      for (let start = 0; start < SERVICES; start += 50) {
        await Promise.all(Array.from({ length: Math.min(50, SERVICES - start) }, (_, offset) => work(name(start + offset))));
      }
    };
    console.log(`setting up ${SERVICES} services at 0 tasks in ${SHARDS} shard(s), DynamoDB Local with its ${benchCompiler()} compiler...`);
    await everyService((serviceName) =>
      createService(deps, {
        launchType: 'FARGATE',
        cluster: 'bench',
        serviceName,
        taskDefinition: 'bench',
        desiredCount: 0,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
      }),
    );
    // Every service to steady at 0 (its first deployment COMPLETED), so the measured run is the scale-up alone.
    await Promise.all(Array.from({ length: SHARDS }, (_, shard) => runShard(newReconciler(shard))));
    await everyService((serviceName) => updateService(deps, 'bench', serviceName, { desiredCount: TASKS }));

    const unitsBefore = pricer.units;
    pricer.breakdown.clear();
    callTimer.calls.clear();
    const reportedBefore = store.writeUnits();
    pricer.runningAt.clear();
    pricer.transactionPuts.length = 0;
    const started = Date.now();
    const [nodeBefore, jvmBefore] = [process.cpuUsage(), jvmCpuMs()];
    await Promise.all(Array.from({ length: SHARDS }, (_, shard) => runShard(newReconciler(shard), started)));
    const idleMs = Date.now() - started;
    const nodeCpu = process.cpuUsage(nodeBefore);
    const cpu = `node_cpu_ms=${Math.round((nodeCpu.user + nodeCpu.system) / 1000)} dynamodb_local_cpu_ms=${jvmCpuMs() - jvmBefore}`;

    const tasks = SERVICES * TASKS;
    if (pricer.runningAt.size !== tasks) throw new Error(`${pricer.runningAt.size} of ${tasks} tasks were recorded RUNNING`);
    const allRunningMs = Math.max(...pricer.runningAt.values()) - started;
    const sample = await describeServices(deps, 'bench', [name(0), name(SERVICES - 1)]);
    for (const service of sample.services) {
      if (service.runningCount !== TASKS || service.deployments.length !== 1 || service.deployments[0].rolloutState !== 'COMPLETED') {
        throw new Error(`service ${service.serviceName} is not steady at ${TASKS}: ${JSON.stringify(service.deployments)}`);
      }
    }
    const units = pricer.units - unitsBefore;
    console.log(
      `writes: transactions=${pricer.transactions} items_in_transactions=${pricer.transactionItems} plain_writes=${pricer.plainWrites} ` +
        `transact_units=${pricer.transactUnits} plain_units=${pricer.plainUnits} dynamodb_local_reported_units=${(store.writeUnits() - reportedBefore).toFixed(0)}`,
    );
    // Where the units went: items written and their units, by kind (a task's by lastStatus), per launched task.
    console.log(
      `units_per_task_by_kind: ${[...pricer.breakdown]
        .sort(([, a], [, b]) => b.units - a.units)
        .map(([what, { items, units }]) => `${what}=${(units / tasks).toFixed(2)} (${items} items)`)
        .join(' ')}`,
    );
    console.log(`dynamodb_calls: ${[...callTimer.calls].map(([name, { count, ms }]) => `${name}=${count}/${Math.round(ms)}ms`).join(' ')}`);
    console.log(`passes (start+duration/visited/acted): ${passLog.join(' ')}`);
    console.log(`cpu (the measured run, until idle): ${cpu}`);
    console.log(`items: task_item_bytes_median=${median(pricer.taskItemBytes)} task_item_bytes_max=${Math.max(...pricer.taskItemBytes)} service_item_bytes_median=${median(pricer.serviceItemBytes)}`);
    console.log(
      `launch: services=${SERVICES} tasks=${tasks} shards=${SHARDS} all_running_ms=${allRunningMs} idle_ms=${idleMs} ` +
        `wcu_per_task=${(units / tasks).toFixed(2)} (priced from item sizes: 1/KB plain, 2/KB per transaction item) targets: all_running_ms<=8000 wcu_per_task<=6`,
    );
    // Every task is written twice before it is RUNNING in the table (launched, then RUNNING), with
    // its service: no schedule of passes reaches all RUNNING before DynamoDB Local has taken these items.
    const floor = await transactionFloor(dynamo.endpoint, tableName, pricer.transactionPuts);
    console.log(
      `floor: items_written=${pricer.transactionPuts.length} transact_ms=${Math.round(floor.ms)} us_per_item=${Math.round(floor.usPerItem)} ` +
        `dynamodb_local_cpu_ms=${Math.round(floor.cpuMs)} (the measured run's transactional items written again in transactions of 100, 4 in flight)`,
    );
  } finally {
    await dynamo.stop();
  }
};

/** Each pass of the measured run: when it started (ms from the start), how long it took, what it read and did. */
const passLog: string[] = [];

/** One shard's invocation as deployed: passes until idle, on the real clock. */
const runShard = (reconciler: ReturnType<ReturnType<typeof buildReconciler>['newReconciler']>, started?: number) => {
  if (started !== undefined) {
    const pass = reconciler.pass.bind(reconciler);
    reconciler.pass = async (scope) => {
      const at = Date.now();
      const outcome = await pass(scope);
      passLog.push(`${at - started}+${Date.now() - at}ms/${outcome.visited}v/${outcome.acted}a`);
      return outcome;
    };
  }
  return reconcileUntilIdle(reconciler, systemClock, { wake: async () => undefined }, LOOP_SETTINGS, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
