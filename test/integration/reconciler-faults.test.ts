import { ECSClient } from '@aws-sdk/client-ecs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createTableContext } from '../../lib/adapters/dynamodb/table';
import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import type { TaskRecord } from '../../lib/domain/task';
import type { FleetBackend } from '../../lib/fleet/backend';
import { FargateFleet, STRAY_GRACE_MS } from '../../lib/fleet/fargate';
import { ClusterFleets } from '../../lib/fleet/resolver';
import { SimulatedFleet } from '../../lib/fleet/simulated';
import type { ReconcileStore } from '../../lib/ports';
import { Reconciler } from '../../lib/reconciler/reconciler';
import { reconcilerSettings } from '../../lib/reconciler/settings';
import { createService, deleteService, describeService, updateService } from '../../lib/usecases/services';
import { stopTask } from '../../lib/usecases/tasks';
import { dynamoEndpoint, depsWithWebFamily, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
import { FakeEcs, fakeEcsClient } from '../support/fake-ecs';
import { fargateTaskDefinition } from '../support/fixtures';

/**
 * The reconciler under faults, on DynamoDB Local with a test clock: lost commits, paused lease
 * holders, services too large for one transaction beside services that fail on every pass.
 */

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const quiet = { info: () => undefined };

describe('the reconciler under faults', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    deps = await depsWithWebFamily(clock, fargateTaskDefinition('web', { containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }] }));
  });

  /** A reconciler over `store` and `fleet` (the default cluster backend), with the fast profile. */
  const reconcilerOver = (store: ReconcileStore, fleet: FleetBackend, holder = 'holder', servicesAtOnce?: number) => {
    const config = testConfig(deps.tableName);
    const settings = reconcilerSettings('fast', config.reconcileShards);
    return new Reconciler(
      store,
      new ClusterFleets(fleet, config.fleetDefaults, config.region),
      clock,
      holder,
      { ...settings, servicesAtOnce: servicesAtOnce ?? settings.servicesAtOnce },
      quiet,
    );
  };

  describe('on Fargate', () => {
    const target = { cluster: 'ecsbox-tasks', subnets: ['subnet-1'], familyPrefix: 'ecsbox-000000000000-' };
    let ecs: FakeEcs;
    let fleet: FargateFleet;

    beforeEach(() => {
      fakeEcsClient.reset();
      ecs = new FakeEcs(() => clock.now());
      fleet = new FargateFleet(new ECSClient({ region: 'eu-west-3' }), target, {
        clock,
        sleep: async (ms) => clock.advance(ms),
      });
    });

    it('loses the commit that records a launch, is scaled to 0, and leaves no task running', async () => {
      const { store } = buildReconciler(testConfig(deps.tableName), { clock });
      let lost = 0;
      // The commit that records a Fargate task after RunTask loses a race (as to an API write).
      const losing = new Proxy(store, {
        get: (target, property: keyof ReconcileStore) => {
          const recordsLaunch = (tasks: TaskRecord[]) => tasks.some((task) => task.ref?.kind === 'fargate');
          if (property === 'commitTasks') {
            return async (...args: Parameters<ReconcileStore['commitTasks']>) =>
              lost === 0 && recordsLaunch(args[1]) ? (lost++, false) : target.commitTasks(...args);
          }
          if (property === 'commitService') {
            return async (...args: Parameters<ReconcileStore['commitService']>) => {
              const { newTasks, changedTasks, observedTasks = [] } = args[1];
              return lost === 0 && recordsLaunch([...newTasks, ...changedTasks, ...observedTasks]) ? (lost++, false) : target.commitService(...args);
            };
          }
          const value = target[property];
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const reconciler = reconcilerOver(losing, fleet);
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
      await reconciler.pass();
      await reconciler.release();
      expect(lost).toBe(1);
      expect([...ecs.tasks.values()].filter((task) => task.desiredStatus === 'RUNNING')).toHaveLength(1);

      await updateService(deps, 'c1', 'web', { desiredCount: 0 });
      for (let round = 0; round < 10; round++) {
        await reconciler.pass();
        await reconciler.release();
        clock.advance(1_000);
      }
      clock.advance(STRAY_GRACE_MS);
      await reconciler.collectStrays();

      expect([...ecs.tasks.values()].filter((task) => task.desiredStatus === 'RUNNING')).toEqual([]);
      const records = await serviceTaskRecords(deps, 'c1', 'web');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    });
  });

  describe('the lease', () => {
    const shard = 0;

    it('fences out a paused holder: once its lease expired, and after a successor took over', async () => {
      const { store } = buildReconciler(testConfig(deps.tableName), { clock });
      const ttlMs = 15_000;
      const paused = (await store.acquireLease(shard, 'paused', clock.now(), ttlMs))!;
      clock.advance(ttlMs + 1);
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 0, networkConfiguration: network });
      const [slice] = (await store.shardPages(shard)[Symbol.asyncIterator]().next()).value!.services;
      const service = { ...slice.service, version: slice.service.version + 1 };
      expect(await store.commitService(paused, { service, newTasks: [], changedTasks: [] }, clock.now())).toBe(false);

      const successor = (await store.acquireLease(shard, 'successor', clock.now(), ttlMs))!;
      expect(successor.token).toBeGreaterThan(paused.token);
      await store.releaseLease(successor);
      // The paused holder can neither renew nor commit, even with the successor gone.
      expect(await store.renewLease(paused, clock.now(), ttlMs)).toBeUndefined();
      expect(await store.commitService(paused, { service, newTasks: [], changedTasks: [] }, clock.now())).toBe(false);
      expect(await store.commitService(successor, { service, newTasks: [], changedTasks: [] }, clock.now())).toBe(false);

      // The lease's expiry is its own attribute: `expiresAt` is the table's TTL (seconds) and would delete it.
      const table = createTableContext({ tableName: deps.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'test-page-token-secret' });
      const { Item } = await table.client.send(new GetCommand({ TableName: deps.tableName, Key: { PK: 'SYSTEM', SK: `LEASE#${shard}` } }));
      table.client.destroy();
      expect(Item).not.toHaveProperty('expiresAt');
      expect(Item).toHaveProperty('leaseUntil');
    });

    /** The simulated fleet, with launches that take `launchMs` of the test clock. */
    const slowFleet = (launchMs: () => number): FleetBackend => {
      const simulated = new SimulatedFleet({ profile: 'fast' });
      return {
        name: 'simulated',
        launch: async (specs, now) => {
          clock.advance(launchMs());
          return simulated.launch(specs, now);
        },
        observe: (tasks, now) => simulated.observe(tasks, now),
        stop: (requests, now) => simulated.stop(requests, now),
      };
    };

    /** Creates service "web" and runs one pass whose first launch pauses 20 s, past the 15 s lease. */
    const passPausedPastLease = async (desiredCount: number) => {
      const { store } = buildReconciler(testConfig(deps.tableName), { clock });
      let pauses = 1;
      const paused = reconcilerOver(store, slowFleet(() => (pauses-- > 0 ? 20_000 : 0)), 'paused');
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount, networkConfiguration: network });
      await paused.pass();
      return store;
    };

    it('fences out a holder paused mid-pass past its lease: the launch it made is not recorded by it', async () => {
      const store = await passPausedPastLease(2);
      // The launch was decided and recorded under the lease, but its result came after the lease ended.
      const records = await serviceTaskRecords(deps, 'c1', 'web');
      expect(records).toHaveLength(2);
      expect(records.map((record) => record.ref)).toEqual([undefined, undefined]);

      // A successor takes over and makes the recorded launches (again: the task ids are the same).
      const successor = reconcilerOver(store, new SimulatedFleet({ profile: 'fast' }), 'successor');
      expect((await successor.pass()).busy).toBe(false);
      expect((await serviceTaskRecords(deps, 'c1', 'web')).every((record) => record.ref !== undefined)).toBe(true);
      await successor.release();
    });

    it('stops a task whose launch is recorded but not made: STOPPED at once, never launched', async () => {
      const store = await passPausedPastLease(1);
      const [unlaunched] = await serviceTaskRecords(deps, 'c1', 'web');
      expect(unlaunched.ref).toBeUndefined();

      const { task } = await stopTask(deps, 'c1', unlaunched.taskId, 'not wanted');
      expect(task).toMatchObject({ desiredStatus: 'STOPPED', stoppedReason: 'not wanted' });
      const successor = reconcilerOver(store, new SimulatedFleet({ profile: 'fast' }), 'successor');
      await successor.pass();
      await successor.release();
      const records = await serviceTaskRecords(deps, 'c1', 'web');
      const stopped = records.find((record) => record.taskId === unlaunched.taskId)!;
      expect(stopped).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'not wanted' });
      expect(stopped.ref).toBeUndefined();
    });

    it('is renewed between services, so a pass longer than the lease commits every service', async () => {
      const { store } = buildReconciler(testConfig(deps.tableName), { clock });
      // Each service's launch takes 6 s of the test's clock, one service after another (side by
      // side, the test clock would add up what real time overlaps): five take twice the lease's 15 s.
      const slow = slowFleet(() => 6_000);
      const reconciler = reconcilerOver(store, slow, 'holder', 1);
      const names = ['a', 'b', 'c', 'd', 'e'];
      for (const serviceName of names) {
        await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
      }
      const outcome = await reconciler.pass();
      await reconciler.release();
      expect(outcome.acted).toBe(names.length);
      for (const serviceName of names) {
        const [task] = await serviceTaskRecords(deps, 'c1', serviceName);
        expect(task.ref).toBeDefined();
      }
    });
  });

  it('commits a 150-task service whose tasks all change at once, beside a service failing on every pass, and drains it after DeleteService --force', async () => {
    await deps.clusters.create('broken', undefined, clock.now(), {
      backend: 'fargate',
      fargate: { cluster: 'nowhere', subnets: ['subnet-1'], endpoint: 'http://127.0.0.1:9' },
    });
    await createService(deps, { launchType: 'FARGATE', cluster: 'broken', serviceName: 'web', taskDefinition: 'web', desiredCount: 3, networkConfiguration: network });
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'big', taskDefinition: 'web', desiredCount: 150, networkConfiguration: network });
    const { reconciler } = buildReconciler(testConfig(deps.tableName), { clock });
    const passes = async (count: number, stepMs: number) => {
      for (let round = 0; round < count; round++) {
        await reconciler.pass();
        await reconciler.release();
        clock.advance(stepMs);
      }
    };
    // Launch all 150 while the clock barely moves, then let every one of them change at once.
    await passes(15, 1);
    expect((await describeService(deps, 'c1', 'big')).service.pendingCount).toBe(150);
    clock.advance(60_000);
    await passes(1, 0);
    const { service } = await describeService(deps, 'c1', 'big');
    expect(service).toMatchObject({ runningCount: 150, pendingCount: 0 });
    expect((await serviceTaskRecords(deps, 'c1', 'big')).filter((task) => task.lastStatus === 'RUNNING')).toHaveLength(150);

    await deleteService(deps, 'c1', 'big', true);
    await passes(40, 1_000);
    expect((await describeService(deps, 'c1', 'big')).service).toMatchObject({ status: 'INACTIVE', runningCount: 0 });
    expect((await describeService(deps, 'broken', 'web')).service).toMatchObject({ status: 'ACTIVE', runningCount: 0 });
  }, 120_000);
});
