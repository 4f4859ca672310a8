/**
 * npm run bench:reconcile — what a steady fleet costs the reconciler, on DynamoDB Local, with the
 * real adapters and the simulated fleet (issue 10, target 1). 1,000 services of 2 tasks in 8 shards
 * (the deployed default), brought to a steady state through the API and the reconciler, then:
 * - a scheduled minute: the read of the "next due" index per shard (nothing is due: no shard woken);
 * - the resync: the stray collection's read and one full pass of every shard by fresh reconcilers
 *   (as the fanned-out invocations run it), side by side;
 * - the same two over an empty table (an idle deployment);
 * and from the measured units the monthly cost of each (on-demand prices; see docs/benchmarks.md).
 * Targets: a minute ≤ 5 read units; 1,000 steady services ≤ $0.50 a month; idle ≤ $0.05.
 *
 * npm run bench:reconcile -- 1000 10000 100000 — the scale check (target 2): for each task count,
 * a fresh table of (count / BENCH_TASKS_PER_SERVICE, default 10) steady services, seeded by cloning
 * one service the reconciler settled (set-up through the API would take hours at 100,000 tasks), and
 * the steady resync timed: time per task flat across the counts, heap bounded by a page.
 *
 * BENCH_CHANGE=1 then changes every service (UpdateService, one more task each) and times the due
 * pass that acts on all of them, every shard's reconciler at once as the fanned-out invocations
 * do (target 3: 10,000 services x 10 tasks in ≤ 30 s, a steady resync of it in ≤ 10 s).
 * BENCH_SHARDS sets the shard count (default 8), BENCH_PAGE_SIZE the reconcile index's page (items);
 * DynamoDB Local runs with its full compiler unless BENCH_DYNAMODB_COMPILER=quick (as npm start runs it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { BatchWriteItemCommand, DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapConcurrently } from '../lib/concurrency';
import { wakeControllersWithWork } from '../lib/controllers/scheduled';
import { benchCompiler, jvmCpuMs } from './support/dynamodb-floor';
import { parseConfig } from '../lib/config';
import { buildDeps, buildReconciler } from '../lib/container';
import { serviceItem, taskItem } from '../lib/adapters/dynamodb/fleet-items';
import { createTableContext } from '../lib/adapters/dynamodb/table';
import { validateTaskDefinition } from '../lib/domain/task-definition';
import type { ServiceSlice } from '../lib/ports';
import type { PassScope } from '../lib/reconciler/reconciler';
import { createCluster } from '../lib/usecases/clusters';
import { createService, describeServices, updateService } from '../lib/usecases/services';
import { registerTaskDefinition } from '../lib/usecases/task-definitions';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';

const SCALES = process.argv.slice(2).map(Number);
const TASKS_PER_SERVICE = Number(process.env.BENCH_TASKS_PER_SERVICE ?? (SCALES.length ? 10 : 2));
const SHARDS = Number(process.env.BENCH_SHARDS ?? 8);
/**
 * Items per page of the reconcile index (BENCH_PAGE_SIZE; DynamoDB's 1 MB page when unset): DynamoDB
 * Local, starved of CPU, can take past the call deadline over a 1 MB page deep in a large shard.
 */
const PAGE_SIZE = process.env.BENCH_PAGE_SIZE ? Number(process.env.BENCH_PAGE_SIZE) : undefined;

/** On-demand prices (us-east-1) and what the cost arithmetic counts. */
const PRICE = { readUnit: 0.125e-6, writeUnit: 0.625e-6, lambdaRequest: 0.2e-6, lambdaGbSecond: 0.0000166667 };
const LAMBDA_GB = 0.5; // the reconciler's memorySize (serverless.yml)
const MINUTES_A_MONTH = 30 * 24 * 60;
const RESYNC_MINUTES = 60;
/** DynamoDB bills a Query at least 0.5 read units (eventually consistent), even when it returns nothing. */
const MIN_QUERY_UNITS = 0.5;

const name = (index: number) => `svc-${String(index).padStart(6, '0')}`;
const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

/**
 * Where a pass's time goes: every DynamoDB call the reconcilers make, by operation, with its time
 * (calls overlap, so these are busy times, not shares of the wall time) and the items it carried,
 * attributed to the shard whose pass made it; and the CPU time of this process (the reconcilers:
 * planning, the simulated fleet, the SDK) and of DynamoDB Local's JVM over the same interval.
 */
class PhaseRecorder {
  private calls = new Map<string, { count: number; ms: number; items: number }>();
  /** The items the measured work put in transactions (DynamoDB JSON), for the floor's replay. */
  puts: Array<Record<string, unknown>> = [];

  middleware() {
    return (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const operation = request.headers?.['x-amz-target']?.split('.')[1] ?? 'unknown';
      const body = ArrayBuffer.isView(request.body)
        ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString()
        : typeof request.body === 'string'
          ? request.body
          : '';
      const actions = operation === 'TransactWriteItems' ? (JSON.parse(body) as { TransactItems: Array<{ Put?: { Item: Record<string, unknown> } }> }).TransactItems : [];
      for (const action of actions) if (action.Put) this.puts.push(action.Put.Item);
      const items = actions.length;
      const started = process.hrtime.bigint();
      try {
        return await next(args);
      } finally {
        const ms = elapsedMs(started);
        const entry = this.calls.get(operation) ?? { count: 0, ms: 0, items: 0 };
        entry.count++;
        entry.ms += ms;
        entry.items += items;
        this.calls.set(operation, entry);
      }
    };
  }

  /** Runs `work` and reports its calls and CPU (and, with BENCH_PROFILE=<prefix>, writes its CPU profile to <prefix>-<label>.cpuprofile). */
  async measure<T>(label: string, work: () => Promise<T>): Promise<{ result: T; line: string }> {
    this.calls = new Map();
    this.puts = [];
    const profiler = process.env.BENCH_PROFILE ? new Session() : undefined;
    profiler?.connect();
    const post = (method: string) => new Promise<unknown>((resolve, reject) => profiler!.post(method, (error, result) => (error ? reject(error) : resolve(result))));
    if (profiler) await post('Profiler.enable').then(() => post('Profiler.start'));
    const nodeBefore = process.cpuUsage();
    const javaBefore = jvmCpuMs();
    const started = process.hrtime.bigint();
    const result = await work();
    const wallMs = elapsedMs(started);
    if (profiler) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(`${process.env.BENCH_PROFILE!}-${label}.cpuprofile`, JSON.stringify(profile));
      profiler.disconnect();
    }
    const node = process.cpuUsage(nodeBefore);
    const javaMs = jvmCpuMs() - javaBefore;
    const calls = [...this.calls]
      .map(([operation, { count, ms, items }]) => `${operation}:n=${count}${items ? `,items=${items}` : ''},busy_ms=${Math.round(ms)}`)
      .join(' ');
    const line = `wall_ms=${Math.round(wallMs)} node_cpu_ms=${Math.round((node.user + node.system) / 1000)} dynamodb_local_cpu_ms=${Math.round(javaMs)} calls: ${calls}`;
    return { result, line };
  }
}

const phases = new PhaseRecorder();

/**
 * DynamoDB Local's own ceiling on this machine for what a pass must do, in plain loops with no
 * reconciler: the items the pass put, written again (the same items, over themselves) in
 * transactions of 100 (4 in flight, as the pass commits) and in BatchWriteItem calls of 25; and
 * every shard's reconcile index read in one sweep, as a pass must read it; with DynamoDB Local's CPU
 * time for the transactions and the sweep.
 */
const floor = async (stack: Stack, endpoint: string, items: Array<Record<string, unknown>>) => {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const chunks = (size: number) => Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
  let jvmBefore = jvmCpuMs();
  let started = process.hrtime.bigint();
  await mapConcurrently(chunks(100), 4, (chunk) =>
    client.send(new TransactWriteItemsCommand({ TransactItems: chunk.map((Item) => ({ Put: { TableName: stack.tableName, Item: Item as never } })) })),
  );
  const transactMs = elapsedMs(started);
  const transactCpuMs = jvmCpuMs() - jvmBefore;
  started = process.hrtime.bigint();
  await mapConcurrently(chunks(25), 4, async (chunk) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item: Item as never } }));
    while (requests.length) {
      const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [stack.tableName]: requests } }));
      requests = (UnprocessedItems?.[stack.tableName] as typeof requests | undefined) ?? [];
    }
  });
  const batchMs = elapsedMs(started);
  jvmBefore = jvmCpuMs();
  started = process.hrtime.bigint();
  let read = 0;
  await Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      for await (const page of stack.store.shardPages(shard)) read += page.services.length;
    }),
  );
  const sweepMs = elapsedMs(started);
  const sweepCpuMs = jvmCpuMs() - jvmBefore;
  client.destroy();
  return `floor: items_written=${items.length} transact_ms=${Math.round(transactMs)} us_per_item=${Math.round((transactMs * 1000) / items.length)} batch_write_ms=${Math.round(batchMs)} us_per_item=${Math.round((batchMs * 1000) / items.length)} sweep_read_ms=${Math.round(sweepMs)} services_read=${read} dynamodb_local_cpu_ms: transact=${Math.round(transactCpuMs)} sweep=${Math.round(sweepCpuMs)}`;
};

/**
 * A scheduled run as deployed (functions/reconciler.ts): the shards with something due (every shard
 * for a resync) read from the due index, then one invocation per such shard, all at once, each a
 * fresh reconciler with its own lease holder passing over its own shard (here in one process, on
 * this machine's cores); each shard's time kept.
 */
const fanOut = async (stack: Stack, scope: PassScope) => {
  const shards = scope === 'resync' ? Array.from({ length: SHARDS }, (_, shard) => shard) : await stack.store.dueShards(stack.clock.current);
  const shardMs: number[] = [];
  const outcomes = await Promise.all(
    shards.map(async (shard) => {
      const invocation = stack.newReconciler(shard);
      const started = process.hrtime.bigint();
      const outcome = await invocation.pass(scope);
      await invocation.release();
      shardMs.push(Math.round(elapsedMs(started)));
      return outcome;
    }),
  );
  return {
    acted: outcomes.reduce((sum, outcome) => sum + outcome.acted, 0),
    visited: outcomes.reduce((sum, outcome) => sum + outcome.visited, 0),
    quiet: outcomes.every((outcome) => outcome.nextWakeAt === undefined),
    maxShardMs: Math.max(0, ...shardMs),
    shardMs: shardMs.sort((a, b) => a - b),
  };
};

/**
 * The largest heap seen while `work` runs, sampled every 5 ms, above the heap before it (garbage
 * included, so an upper bound), and the largest live heap: sampled right after a full collection,
 * every 2 s (with --expose-gc).
 */
const heapGrowth = async <T>(work: () => Promise<T>): Promise<{ result: T; growthMb: number; liveMb: number }> => {
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let live = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const collector = setInterval(() => {
    if (!global.gc) return;
    global.gc();
    live = Math.max(live, process.memoryUsage().heapUsed);
  }, 2_000);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { result, growthMb: (peak - base) / 2 ** 20, liveMb: (live - base) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
    clearInterval(collector);
  }
};

/** A fresh table with the bench cluster and task definition, and the reconciler's parts over it. */
const freshStack = async (dynamo: { endpoint: string }) => {
  const tableName = `bench-${randomUUID()}`;
  await createTable(dynamo.endpoint, tableName);
  const clock = { current: Date.UTC(2026, 0, 1), now: () => clock.current };
  const settings = parseConfig({
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    FLEET_PROFILE: 'fast',
    RECONCILE_SHARDS: String(SHARDS),
    // DynamoDB Local, one Java process on two shared cores, can stall past the deployed 10 s deadline.
    DYNAMODB_DEADLINE_MS: '20000',
  });
  const deps = buildDeps(settings, { clock });
  const table = createTableContext({
    tableName,
    region: settings.region,
    endpoint: dynamo.endpoint,
    deadlineMs: settings.dynamoDbDeadlineMs,
    pageTokenSecret: settings.pageTokenSecret,
  });
  table.client.middlewareStack.add(phases.middleware() as never, { step: 'build', name: 'benchPhases' });
  const reconciling = buildReconciler(settings, { clock, table, reconcilePageSize: PAGE_SIZE });
  await createCluster(deps, { clusterName: 'bench' });
  await registerTaskDefinition(
    deps,
    validateTaskDefinition({
      family: 'bench',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
    }),
  );
  const perShard = () => Array.from({ length: SHARDS }, (_, shard) => reconciling.newReconciler(shard));
  return { tableName, clock, settings, deps, ...reconciling, perShard };
};
type Stack = Awaited<ReturnType<typeof freshStack>>;

/** Due passes of every shard, the clock moving on, until nothing is in flight. */
const settle = async (stack: Stack) => {
  for (let pass = 0; pass < 40; pass++) {
    const outcome = await fanOut(stack, 'due');
    if (outcome.acted === 0 && outcome.quiet && !(await stack.store.dueShards(stack.clock.current + 60_000)).length) return;
    stack.clock.current += 1_000;
  }
  throw new Error('the services did not settle in 40 passes');
};

const createServices = async (stack: Stack, from: number, to: number) => {
  const indexes = Array.from({ length: to - from }, (_, offset) => from + offset);
  await mapConcurrently(indexes, 50, (index) =>
    createService(stack.deps, {
      launchType: 'FARGATE',
      cluster: 'bench',
      serviceName: name(index),
      taskDefinition: 'bench',
      desiredCount: TASKS_PER_SERVICE,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
    }),
  );
};

/**
 * Services 1..count-1 as copies of service 0 (settled by the reconciler): the same records under
 * their own names and fresh task ids, written straight into the table in batches.
 */
const seedClones = async (stack: Stack, endpoint: string, count: number) => {
  let template: ServiceSlice | undefined;
  for (let shard = 0; shard < SHARDS && !template; shard++) {
    for await (const page of stack.store.shardPages(shard)) template ??= page.services.find(({ service }) => service.serviceName === name(0));
  }
  if (!template) throw new Error('the template service is not in the reconcile index');
  const text = JSON.stringify(template);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const write = async (items: object[]) => {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length) {
      const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: requests } }));
      requests = (UnprocessedItems?.[stack.tableName] as typeof requests | undefined) ?? [];
    }
  };
  const indexes = Array.from({ length: count - 1 }, (_, offset) => offset + 1);
  const perBatch = Math.max(1, Math.floor(25 / (TASKS_PER_SERVICE + 1)));
  const batches = Array.from({ length: Math.ceil(indexes.length / perBatch) }, (_, batch) => indexes.slice(batch * perBatch, (batch + 1) * perBatch));
  await mapConcurrently(batches, 4, (batch) =>
    write(
      batch.flatMap((index) => {
        let copy = text.replaceAll(name(0), name(index));
        for (const task of template!.tasks) copy = copy.replaceAll(task.taskId, randomBytes(16).toString('hex'));
        const { service, tasks } = JSON.parse(copy) as ServiceSlice;
        return [serviceItem(service, SHARDS, undefined), ...tasks.map((task) => taskItem(task, SHARDS, stack.settings.taskRetentionMs))];
      }),
    ),
  );
};

/**
 * A scheduled minute: the due index's read of every shard, and whether the scaling and capacity
 * controllers have any account to act on (one `Limit 1` read each); nothing may be due or woken.
 * DynamoDB bills each of those Queries at least 0.5 units, even when it returns nothing.
 */
const scheduledMinute = async (stack: Stack) => {
  stack.clock.current += 60_000;
  const before = stack.store.readUnits();
  const started = process.hrtime.bigint();
  const [due, woken] = await Promise.all([stack.store.dueShards(stack.clock.current), wakeControllersWithWork(stack.controllers)]);
  const wallMs = elapsedMs(started);
  if (due.length) throw new Error(`a steady fleet has due work in shards ${due.join(',')}`);
  if (woken.length) throw new Error(`a fleet without scaling or capacity providers woke ${woken.join(',')}`);
  const measured = stack.store.readUnits() - before;
  return { measured, billed: Math.max(measured, (SHARDS + stack.controllers.length) * MIN_QUERY_UNITS), wallMs };
};

/**
 * The resync: the stray collection's read of every shard, then a full pass of each shard by a fresh
 * reconciler, one shard after another, each timed alone (what its own invocation would bill; the
 * largest is the resync's wall time when every shard has its own invocation and CPU). Then the same
 * passes side by side, as the fanned-out invocations run them, sharing this machine's two cores.
 */
const resync = async (stack: Stack) => {
  const readsBefore = stack.store.readUnits();
  const writesBefore = stack.store.writeUnits();
  const collectStarted = process.hrtime.bigint();
  await stack.newReconciler().collectStrays();
  const collectMs = elapsedMs(collectStarted);
  const shardMs: number[] = [];
  const { result: visited, growthMb, liveMb } = await heapGrowth(async () => {
    let seen = 0;
    for (const reconciler of stack.perShard()) {
      const started = process.hrtime.bigint();
      const outcome = await reconciler.pass('resync');
      shardMs.push(elapsedMs(started));
      if (outcome.acted !== 0) throw new Error(`a steady resync acted on ${outcome.acted} services`);
      seen += outcome.visited;
    }
    return seen;
  });
  const readUnits = Math.max(stack.store.readUnits() - readsBefore, 2 * SHARDS * MIN_QUERY_UNITS);
  const writeUnits = stack.store.writeUnits() - writesBefore;
  const started = process.hrtime.bigint();
  const { result: together, line } = await phases.measure('resync', () => fanOut(stack, 'resync'));
  const wallMs = elapsedMs(started);
  console.log(`resync-phases: ${line}`);
  console.log(`resync-shards: shard_ms=${together.shardMs.join(',')}`);
  if (together.acted !== 0) throw new Error(`a steady resync acted on ${together.acted} services`);
  const passSeconds = shardMs.reduce((sum, ms) => sum + Math.ceil(ms), 0) / 1000;
  return { visited, growthMb, liveMb, wallMs, collectMs, shardMs, passSeconds, readUnits, writeUnits };
};

/** A month of scheduled minutes and hourly resyncs, from measured units and times. */
const monthly = (minute: { billed: number; wallMs: number }, resyncRun: { readUnits: number; writeUnits: number; collectMs: number; passSeconds: number }) => {
  const resyncs = MINUTES_A_MONTH / RESYNC_MINUTES;
  const minutes = MINUTES_A_MONTH - resyncs;
  const readUnits = minutes * minute.billed + resyncs * resyncRun.readUnits;
  const writeUnits = resyncs * resyncRun.writeUnits;
  const requests = MINUTES_A_MONTH + resyncs * SHARDS;
  // Lambda bills each invocation's duration in 1 ms steps: the scheduler's minute, the resync's
  // collection and each shard's pass (all measured here, on DynamoDB Local, slower than DynamoDB).
  const seconds = (minutes * Math.ceil(minute.wallMs) + resyncs * Math.ceil(resyncRun.collectMs)) / 1000 + resyncs * resyncRun.passSeconds;
  const dynamodb = readUnits * PRICE.readUnit + writeUnits * PRICE.writeUnit;
  const lambda = requests * PRICE.lambdaRequest + seconds * LAMBDA_GB * PRICE.lambdaGbSecond;
  return { readUnits, writeUnits, requests, seconds, dynamodb, lambda, total: dynamodb + lambda };
};

const costLine = (label: string, cost: ReturnType<typeof monthly>) =>
  `cost: ${label} month_rru=${Math.round(cost.readUnits)} month_wru=${Math.round(cost.writeUnits)} dynamodb_usd=${cost.dynamodb.toFixed(4)} lambda_requests=${cost.requests} lambda_gb_s=${(cost.seconds * LAMBDA_GB).toFixed(0)} lambda_usd=${cost.lambda.toFixed(4)} total_usd=${cost.total.toFixed(4)}`;

const measure = async (dynamo: { endpoint: string }, services: number) => {
  const stack = await freshStack(dynamo);
  const seeded = SCALES.length > 0;
  console.log(
    `setting up ${services} services of ${TASKS_PER_SERVICE} tasks in ${SHARDS} shard(s)${seeded ? ' (copies of one settled service)' : ''}, page ${PAGE_SIZE ?? '1 MB'}, DynamoDB Local with its ${benchCompiler()} compiler...`,
  );
  const setupStarted = process.hrtime.bigint();
  await createServices(stack, 0, seeded ? 1 : services);
  await settle(stack);
  if (seeded) await seedClones(stack, dynamo.endpoint, services);
  console.log(`set up in ${Math.round(elapsedMs(setupStarted) / 1000)} s`);
  const sample = await describeServices(stack.deps, 'bench', [name(0), name(services - 1)]);
  if (!sample.services.every((service) => service.runningCount === TASKS_PER_SERVICE && service.deployments[0].rolloutState === 'COMPLETED')) {
    throw new Error('the services did not reach a steady state');
  }

  // Warm-up resync (JIT, connections), one shard after another, then the measured minute and resync.
  for (const reconciler of stack.perShard()) await reconciler.pass('resync');
  const minute = await scheduledMinute(stack);
  const readStarted = process.hrtime.bigint();
  for (let shard = 0; shard < SHARDS; shard++) for await (const page of stack.store.shardPages(shard)) void page;
  const readMs = elapsedMs(readStarted);
  const run = await resync(stack);
  const tasks = services * TASKS_PER_SERVICE;
  console.log(
    `minute: shards=${SHARDS} services=${services} rru_measured=${minute.measured} rru_billed=${minute.billed} wall_ms=${minute.wallMs.toFixed(1)} shards_woken=0`,
  );
  console.log(
    `reconcile: shards=${SHARDS} services=${services} tasks=${tasks} visited=${run.visited} shards_one_by_one_ms=${Math.round(run.passSeconds * 1000)} max_shard_ms=${Math.round(Math.max(...run.shardMs))} us_per_task=${Math.round((run.passSeconds * 1e6) / tasks)} read_only_us_per_task=${Math.round((readMs * 1000) / tasks)} heap_growth_mb=${run.growthMb.toFixed(1)} live_heap_mb=${run.liveMb.toFixed(1)} at_once_wall_ms=${Math.round(run.wallMs)} collect_ms=${Math.round(run.collectMs)} rru=${run.readUnits} rru_per_service=${(run.readUnits / services).toFixed(3)} wru=${run.writeUnits}`,
  );

  if (!seeded) {
    const idle = await freshStack(dynamo);
    await fanOut(idle, 'resync');
    const idleMinute = await scheduledMinute(idle);
    const idleResync = await resync(idle);
    console.log(
      `idle: minute_rru_measured=${idleMinute.measured} minute_rru_billed=${idleMinute.billed} minute_wall_ms=${idleMinute.wallMs.toFixed(1)} resync_rru=${idleResync.readUnits} resync_lambda_ms=${Math.round(idleResync.collectMs + idleResync.passSeconds * 1000)}`,
    );
    console.log(costLine(`steady_services=${services}`, monthly(minute, run)));
    console.log(costLine('idle', monthly(idleMinute, idleResync)));
  }

  if (process.env.BENCH_CHANGE === '1') {
    // Every service changes (one more task each): the due pass that acts on all of them, shards at once.
    const updateStarted = process.hrtime.bigint();
    await mapConcurrently(
      Array.from({ length: services }, (_, index) => name(index)),
      50,
      (serviceName) => updateService(stack.deps, 'bench', serviceName, { desiredCount: TASKS_PER_SERVICE + 1 }),
    );
    console.log(`updated ${services} services in ${Math.round(elapsedMs(updateStarted) / 1000)} s`);
    stack.clock.current += 1_000;
    const writesBefore = stack.store.writeUnits();
    const started = process.hrtime.bigint();
    const { result: changed, line } = await phases.measure('change', () => fanOut(stack, 'due'));
    const changeMs = elapsedMs(started);
    console.log(`reconcile-change-phases: ${line}`);
    const written = phases.puts;
    if (changed.acted !== services) throw new Error(`the changing pass acted on ${changed.acted} of ${services} services`);
    console.log(
      `reconcile-change: shards=${SHARDS} services=${services} wall_ms=${Math.round(changeMs)} max_shard_ms=${Math.round(changed.maxShardMs)} shard_ms=${changed.shardMs.join(',')} ms_per_service=${(changeMs / services).toFixed(2)} wru_per_service=${((stack.store.writeUnits() - writesBefore) / services).toFixed(2)}`,
    );
    console.log(await floor(stack, dynamo.endpoint, written));
  }
};

const main = async () => {
  const dynamo = await startDynamoDbLocal({ compiler: benchCompiler() });
  try {
    for (const services of SCALES.length ? SCALES.map((tasks) => Math.ceil(tasks / TASKS_PER_SERVICE)) : [Number(process.env.BENCH_SERVICES ?? 1000)]) {
      await measure(dynamo, services);
    }
  } finally {
    await dynamo.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
