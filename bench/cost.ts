/**
 * npm run bench:cost — the DynamoDB units and Lambda time behind docs/cost.md's arithmetic.
 *
 * 1. A learner's session, through the ECS operations as the ecs function runs them (each call in
 *    meteredRequest, as the handlers do, so the cost meter itself is measured with it): create a
 *    cluster, register two revisions, create a service of 2 tasks and poll it to steady as the CLI's
 *    waiter does (every 15 s), look at its tasks, deploy the second revision and poll again, run and
 *    stop a standalone task, scale to 0, delete the service and the cluster, read GET /v1/usage.
 *    The reconciler runs as deployed: woken after each change, and once a minute.
 * 2. An idle deployment, over an empty table: the reconciler's scheduled minute (the "next due"
 *    index of each of the stage's 8 shards, and whether the scaling and capacity controllers have
 *    any account), and the hourly resync (stray collection and a pass of each shard), the only work
 *    an idle stage does.
 *
 * Both on DynamoDB Local, which reports consumed capacity as DynamoDB does for single-item calls;
 * transactions are priced from their items (lib/adapters/dynamodb/consumed-capacity.ts). Lambda
 * times are this machine's, in-process: an estimate (see docs/cost.md).
 */
import { randomUUID } from 'node:crypto';
import { buildDeps, buildReconciler } from '../lib/container';
import { parseConfig } from '../lib/config';
import { operations } from '../lib/protocols/ecs/operations';
import { wakeControllersWithWork } from '../lib/controllers/scheduled';
import { measuring, type Consumption } from '../lib/metering/consumption';
import { DEFAULT_PRICES } from '../lib/metering/prices';
import { dayOf, meteredRequest } from '../lib/metering/request-meter';
import { getUsage } from '../lib/usecases/usage';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';
import { fargateTaskDefinition } from '../test/support/fixtures';

class BenchClock {
  constructor(private current = Date.UTC(2026, 5, 1, 12)) {}
  now() {
    return this.current;
  }
  advance(ms: number) {
    this.current += ms;
  }
}

const network = { awsvpcConfiguration: { subnets: ['subnet-bench'] } };
const SHARDS = 8;

const main = async () => {
  const dynamo = await startDynamoDbLocal();
  try {
    const tableName = `cost-${randomUUID()}`;
    await createTable(dynamo.endpoint, tableName);
    const settings = parseConfig({
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      FLEET_PROFILE: 'fast',
      RECONCILE_SHARDS: String(SHARDS),
      ECSBOX_QUOTAS: 'sandbox',
    });
    const clock = new BenchClock();
    const deps = buildDeps(settings, { clock });
    const { newReconciler, store, controllers } = buildReconciler(settings, { clock });

    // The reconciler's units and time, outside any account's requests.
    const reconciler: Consumption & { runs: number; ms: number } = { readUnits: 0, writeUnits: 0, runs: 0, ms: 0 };
    const reconcile = async () => {
      const started = performance.now();
      await measuring(reconciler, async () => {
        const pass = newReconciler();
        await pass.pass();
        await pass.release();
      });
      reconciler.runs += 1;
      reconciler.ms += performance.now() - started;
    };
    let lastMinute = Math.floor(clock.now() / 60_000);
    const elapse = async (ms: number) => {
      clock.advance(ms);
      const minute = Math.floor(clock.now() / 60_000);
      if (minute !== lastMinute) await reconcile();
      lastMinute = minute;
    };
    const call = async (name: string, input: unknown, { wakes = false } = {}) => {
      const operation = operations[name];
      const output = await meteredRequest(deps, () => operation.run(deps, operation.parse(input)));
      if (wakes) await reconcile();
      await elapse(2_000);
      return output as any;
    };
    const pollUntilSteady = async (service: string) => {
      for (let poll = 0; poll < 40; poll++) {
        const { services } = await call('DescribeServices', { cluster: 'learn', services: [service] });
        const [described] = services;
        if (described.deployments.length === 1 && described.runningCount === described.desiredCount) return poll + 1;
        await elapse(15_000);
      }
      throw new Error('the service did not become steady');
    };

    // 1. A learner's session.
    const sessionStart = clock.now();
    await call('CreateCluster', { clusterName: 'learn' });
    await call('RegisterTaskDefinition', fargateTaskDefinition('web'));
    await call('RegisterTaskDefinition', fargateTaskDefinition('web', { memory: '1024' }));
    await call('ListTaskDefinitions', {});
    await call('CreateService', { launchType: 'FARGATE', cluster: 'learn', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 2, networkConfiguration: network }, { wakes: true });
    await pollUntilSteady('web');
    const { taskArns } = await call('ListTasks', { cluster: 'learn', serviceName: 'web' });
    await call('DescribeTasks', { cluster: 'learn', tasks: taskArns });
    await call('UpdateService', { cluster: 'learn', service: 'web', taskDefinition: 'web:2' }, { wakes: true });
    await pollUntilSteady('web');
    const { tasks } = await call('RunTask', { launchType: 'FARGATE', cluster: 'learn', taskDefinition: 'web:2', networkConfiguration: network }, { wakes: true });
    await elapse(30_000);
    await call('DescribeTasks', { cluster: 'learn', tasks: [tasks[0].taskArn] });
    await call('StopTask', { cluster: 'learn', task: tasks[0].taskArn }, { wakes: true });
    await call('UpdateService', { cluster: 'learn', service: 'web', desiredCount: 0 }, { wakes: true });
    await pollUntilSteady('web');
    await call('DeleteService', { cluster: 'learn', service: 'web' }, { wakes: true });
    for (let pass = 0; pass < 5; pass++) await elapse(15_000);
    await call('DeleteCluster', { cluster: 'learn' });
    await meteredRequest(deps, () => getUsage(deps, {}));
    await deps.usageLedger.settled();
    const [session] = await deps.usage.dailyUsage('000000000000', [dayOf(clock.now())]);
    const minutes = (clock.now() - sessionStart) / 60_000;

    console.log('learner session (one account, simulated time %s min):', minutes.toFixed(1));
    console.log(
      `  requests=${session.requests} read_units=${session.readUnits} write_units=${session.writeUnits} ` +
        `lambda_ms=${session.lambdaMs} gb_s=${(session.lambdaMbMs / 1024 / 1000).toFixed(3)}`,
    );
    console.log(
      `  reconciler: runs=${reconciler.runs} read_units=${reconciler.readUnits} write_units=${reconciler.writeUnits} ms=${Math.round(reconciler.ms)}`,
    );

    // 2. An idle deployment: the scheduled minute (the due index of every shard, whether the
    // controllers have work), and once an hour the resync (stray collection, a pass of each shard).
    const runs = 5;
    const timed = async (work: () => Promise<unknown>) => {
      const consumption: Consumption = { readUnits: 0, writeUnits: 0 };
      let ms = 0;
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        await measuring(consumption, work);
        ms += performance.now() - started;
      }
      return `read_units=${consumption.readUnits / runs} write_units=${consumption.writeUnits / runs} ms=${Math.round(ms / runs)}`;
    };
    const minute = await timed(async () => {
      const [due, woken] = await Promise.all([store.dueShards(clock.now()), wakeControllersWithWork(controllers)]);
      if (due.length || woken.length) throw new Error('an idle deployment has work due');
    });
    const resync = await timed(async () => {
      await newReconciler().collectStrays();
      for (let shard = 0; shard < SHARDS; shard++) {
        const pass = newReconciler(shard);
        await pass.pass('resync');
        await pass.release();
      }
    });
    console.log('idle deployment:');
    console.log(`  scheduled minute (1 invocation): ${minute}`);
    console.log(`  hourly resync (1 + ${SHARDS} invocations): ${resync}`);
    console.log('prices: %j', DEFAULT_PRICES);
  } finally {
    await dynamo.stop();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
