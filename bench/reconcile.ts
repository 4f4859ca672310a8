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
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../lib/config';
import { buildDeps, buildReconciler } from '../lib/container';
import { validateTaskDefinition } from '../lib/domain/task-definition';
import { createCluster } from '../lib/usecases/clusters';
import { createService, listServices, describeServices } from '../lib/usecases/services';
import { registerTaskDefinition } from '../lib/usecases/task-definitions';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';

const SCALES = process.argv.slice(2).map(Number);
const TASKS_PER_SERVICE = Number(process.env.BENCH_TASKS_PER_SERVICE ?? (SCALES.length ? 10 : 2));

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
  const settings = parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamo.endpoint, FLEET_PROFILE: 'fast' });
  const deps = buildDeps(settings, { clock });
  const { reconciler, store, newReconciler } = buildReconciler(settings, { clock });

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
  console.log(`setting up ${services} services of ${TASKS_PER_SERVICE} tasks...`);
  for (let start = 0; start < services; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, services - start) }, (_, offset) =>
        createService(deps, {
          cluster: 'bench',
          serviceName: `svc-${String(start + offset).padStart(6, '0')}`,
          taskDefinition: 'bench',
          desiredCount: TASKS_PER_SERVICE,
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
        }),
      ),
    );
  }
  // Drive every service to its steady state with the reconciler itself, moving the clock on.
  for (let pass = 0; pass < 20; pass++) {
    const outcome = await reconciler.pass();
    await reconciler.release();
    console.log(`setup pass ${pass}: acted on ${outcome.acted} services`);
    if (outcome.acted === 0 && outcome.nextWakeAt === undefined) break;
    now += 5_000;
  }
  const sample = await describeServices(deps, 'bench', ['svc-000000', `svc-${String(services - 1).padStart(6, '0')}`]);
  const steady = sample.services.every((service) => service.runningCount === TASKS_PER_SERVICE && service.deployments[0].rolloutState === 'COMPLETED');
  const listed = await listServices(deps, 'bench', { maxResults: 1 });
  if (!steady || !listed.serviceArns.length) throw new Error('the services did not reach a steady state');

  // Warm-up pass (JIT, connections), then the measured one.
  await reconciler.pass();
  now += 60_000;
  // A fresh reconciler, as a new invocation would have: it also looks up the cluster's fleet.
  const measured = newReconciler();
  const readsBefore = store.readUnits();
  const writesBefore = store.writeUnits();
  const started = process.hrtime.bigint();
  const { result: outcome, growthMb } = await heapGrowth(() => measured.pass());
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const readUnits = store.readUnits() - readsBefore;
  const writeUnits = store.writeUnits() - writesBefore;
  if (outcome.acted !== 0) throw new Error(`a steady pass acted on ${outcome.acted} services`);
  console.log(`read units: ${readUnits} in total, write units: ${writeUnits} in total`);
  const tasks = services * TASKS_PER_SERVICE;
  console.log(
    `reconcile: services=${services} tasks=${tasks} wall_ms=${Math.round(wallMs)} us_per_task=${Math.round((wallMs * 1000) / tasks)} heap_growth_mb=${growthMb.toFixed(1)} rru_per_service=${(readUnits / services).toFixed(3)} wru_per_service=${(writeUnits / services).toFixed(3)}`,
  );
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
