/**
 * npm run bench:reconcile — one full reconcile pass over 1,000 services in steady state, on
 * DynamoDB Local, with the real adapters and the simulated fleet.
 *
 * Prints the pass's wall time and the DynamoDB capacity it consumed per service, as DynamoDB
 * reports it (ReturnConsumedCapacity). Targets: under 2 s, at most 1 read unit and 0 write units
 * per steady service.
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

const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const TASKS_PER_SERVICE = Number(process.env.BENCH_TASKS_PER_SERVICE ?? 2);

const main = async () => {
  const dynamo = await startDynamoDbLocal();
  try {
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
    console.log(`setting up ${SERVICES} services of ${TASKS_PER_SERVICE} tasks...`);
    for (let start = 0; start < SERVICES; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, SERVICES - start) }, (_, offset) =>
          createService(deps, {
            cluster: 'bench',
            serviceName: `svc-${String(start + offset).padStart(4, '0')}`,
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
      if (outcome.acted === 0 && outcome.nextWakeAt === undefined) break;
      now += 5_000;
    }
    const sample = await describeServices(deps, 'bench', ['svc-0000', `svc-${String(SERVICES - 1).padStart(4, '0')}`]);
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
    const outcome = await measured.pass();
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const readUnits = store.readUnits() - readsBefore;
    const writeUnits = store.writeUnits() - writesBefore;
    if (outcome.acted !== 0) throw new Error(`a steady pass acted on ${outcome.acted} services`);
    console.log(`read units: ${readUnits} in total, write units: ${writeUnits} in total`);
    console.log(
      `reconcile: services=${SERVICES} wall_ms=${Math.round(wallMs)} rru_per_service=${(readUnits / SERVICES).toFixed(3)} wru_per_service=${(writeUnits / SERVICES).toFixed(3)}`,
    );
  } finally {
    await dynamo.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
