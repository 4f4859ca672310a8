/**
 * npm run bench:reconcile — one full reconcile pass over 1,000 services in steady state, on
 * DynamoDB Local, with the real adapters and the simulated fleet.
 *
 * Prints the pass's wall time and the DynamoDB capacity it consumed per service, as DynamoDB
 * reports it (ReturnConsumedCapacity). Targets: under 2 s, at most 1 read unit and 0 write units
 * per steady service.
 *
 * npm run bench:reconcile -- 1000 10000 100000 — the scale check: for each task count, a fresh
 * table of (count / BENCH_TASKS_PER_SERVICE, default 10) steady services in one shard, and the same
 * steady pass, printing the time per task and the heap the pass grew by at most. Target: time per
 * task flat across the counts (no loop worse than linear), heap bounded by a page, not the fleet.
 *
 * BENCH_SHARDS=8 runs every pass as the fanned-out invocations do, one reconciler (lease) per shard
 * at once; BENCH_CHANGE=1 then changes every service (one more task) and times the pass that acts
 * on all of them. Target (issue 10): 10,000 services x 10 tasks changing in <= 30 s, resync <= 10 s.
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../lib/config';
import { buildDeps, buildReconciler } from '../lib/container';
import { validateTaskDefinition } from '../lib/domain/task-definition';
import { createCluster } from '../lib/usecases/clusters';
import { createService, listServices, describeServices, updateService } from '../lib/usecases/services';
import type { Reconciler } from '../lib/reconciler/reconciler';
import { registerTaskDefinition } from '../lib/usecases/task-definitions';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';

const SCALES = process.argv.slice(2).map(Number);
const TASKS_PER_SERVICE = Number(process.env.BENCH_TASKS_PER_SERVICE ?? (SCALES.length ? 10 : 2));
/** Reconcile shards; each pass runs one reconciler per shard at once, as the fanned-out invocations do. */
const SHARDS = Number(process.env.BENCH_SHARDS ?? 1);

/** One pass of every shard, each by its own reconciler (lease) at the same time. */
const passShards = async (reconcilers: Reconciler[]) => {
  const outcomes = await Promise.all(reconcilers.map((reconciler) => reconciler.pass()));
  await Promise.all(reconcilers.map((reconciler) => reconciler.release()));
  return {
    acted: outcomes.reduce((sum, outcome) => sum + outcome.acted, 0),
    quiet: outcomes.every((outcome) => outcome.nextWakeAt === undefined),
  };
};

/** The largest heap seen while `work` runs, sampled every 5 ms, above the heap before it. */
const heapGrowth = async <T>(work: () => Promise<T>): Promise<{ result: T; growthMb: number }> => {
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { result, growthMb: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
};

const measure = async (dynamo: { endpoint: string }, services: number) => {
  const tableName = `bench-${randomUUID()}`;
  await createTable(dynamo.endpoint, tableName);
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const settings = parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamo.endpoint, FLEET_PROFILE: 'fast', RECONCILE_SHARDS: String(SHARDS) });
  const deps = buildDeps(settings, { clock });
  const { store, newReconciler } = buildReconciler(settings, { clock });
  const perShard = () => Array.from({ length: SHARDS }, (_, shard) => newReconciler(shard));
  const reconcilers = perShard();

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
  console.log(`setting up ${services} services of ${TASKS_PER_SERVICE} tasks in ${SHARDS} shard(s)...`);
  const name = (index: number) => `svc-${String(index).padStart(6, '0')}`;
  const everyService = async (work: (serviceName: string) => Promise<unknown>) => {
    for (let start = 0; start < services; start += 50) {
      await Promise.all(Array.from({ length: Math.min(50, services - start) }, (_, offset) => work(name(start + offset))));
    }
  };
  await everyService((serviceName) =>
    createService(deps, {
      cluster: 'bench',
      serviceName,
      taskDefinition: 'bench',
      desiredCount: TASKS_PER_SERVICE,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
    }),
  );
  // Drive every service to its steady state with the reconciler itself, moving the clock on.
  const settle = async () => {
    for (let pass = 0; pass < 20; pass++) {
      const outcome = await passShards(reconcilers);
      console.log(`setup pass ${pass}: acted on ${outcome.acted} services`);
      if (outcome.acted === 0 && outcome.quiet) break;
      now += 5_000;
    }
  };
  await settle();
  const sample = await describeServices(deps, 'bench', ['svc-000000', `svc-${String(services - 1).padStart(6, '0')}`]);
  const steady = sample.services.every((service) => service.runningCount === TASKS_PER_SERVICE && service.deployments[0].rolloutState === 'COMPLETED');
  const listed = await listServices(deps, 'bench', { maxResults: 1 });
  if (!steady || !listed.serviceArns.length) throw new Error('the services did not reach a steady state');

  // Warm-up pass (JIT, connections), then the measured one.
  await passShards(reconcilers);
  now += 60_000;
  // The index read alone (DynamoDB Local's share of the pass), then the pass.
  const readStarted = process.hrtime.bigint();
  for (let shard = 0; shard < SHARDS; shard++) for await (const page of store.shardPages(shard)) void page;
  const readMs = Number(process.hrtime.bigint() - readStarted) / 1e6;
  // Fresh reconcilers, as new invocations would have: they also look up the cluster's fleet.
  const readsBefore = store.readUnits();
  const writesBefore = store.writeUnits();
  const started = process.hrtime.bigint();
  const { result: outcome, growthMb } = await heapGrowth(() => passShards(perShard()));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const readUnits = store.readUnits() - readsBefore;
  const writeUnits = store.writeUnits() - writesBefore;
  if (outcome.acted !== 0) throw new Error(`a steady pass acted on ${outcome.acted} services`);
  console.log(`read units: ${readUnits} in total, write units: ${writeUnits} in total`);
  const tasks = services * TASKS_PER_SERVICE;
  console.log(
    `reconcile: shards=${SHARDS} services=${services} tasks=${tasks} wall_ms=${Math.round(wallMs)} us_per_task=${Math.round((wallMs * 1000) / tasks)} read_only_us_per_task=${Math.round((readMs * 1000) / tasks)} heap_growth_mb=${growthMb.toFixed(1)} rru_per_service=${(readUnits / services).toFixed(3)} wru_per_service=${(writeUnits / services).toFixed(3)}`,
  );

  if (process.env.BENCH_CHANGE === '1') {
    // Every service changes (one more task each): the pass that acts on all of them, shards at once.
    await settle();
    await everyService((serviceName) => updateService(deps, 'bench', serviceName, { desiredCount: TASKS_PER_SERVICE + 1 }));
    now += 1_000;
    const changeStarted = process.hrtime.bigint();
    const changed = await passShards(perShard());
    const changeMs = Number(process.hrtime.bigint() - changeStarted) / 1e6;
    if (changed.acted !== services) throw new Error(`the changing pass acted on ${changed.acted} of ${services} services`);
    console.log(`reconcile-change: shards=${SHARDS} services=${services} wall_ms=${Math.round(changeMs)} ms_per_service=${(changeMs / services).toFixed(2)}`);
  }
};

const main = async () => {
  const dynamo = await startDynamoDbLocal();
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
