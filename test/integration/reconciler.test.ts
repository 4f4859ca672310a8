import { buildDeps, buildReconciler } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import { shardOf } from '../../lib/domain/shard';
import { THROTTLED_REASON, type FleetBackend } from '../../lib/fleet/backend';
import { SimulatedFleet } from '../../lib/fleet/simulated';
import type { Deps } from '../../lib/deps';
import { deploymentBounds } from '../../lib/domain/service';
import type { Reconciler } from '../../lib/reconciler/reconciler';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeService, updateService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { interruptSpotTasks } from '../../lib/usecases/spot-interruptions';
import { stopTask } from '../../lib/usecases/tasks';
import { dynamoEndpoint, freshDeps, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

const definition = (image: string) =>
  validateTaskDefinition(fargateTaskDefinition('web', { containerDefinitions: [{ name: 'web', image }] }));

/** Every task record of the service in c1. */
const allTasks = (deps: Deps, serviceName: string) => serviceTaskRecords(deps, 'c1', serviceName);

describe('the reconciler on DynamoDB Local with the simulated fleet', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let reconcilers: Reconciler[];

  beforeEach(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock });
    reconcilers = Array.from({ length: 4 }, () => buildReconciler(testConfig(deps.tableName), { clock }).reconciler);
    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, definition('nginx:1.27'));
  });

  /** All four reconcilers pass at the same moment, again and again, while the clock moves on. */
  const rounds = async (count: number, check: () => Promise<void> = async () => undefined) => {
    for (let round = 0; round < count; round++) {
      await Promise.all(reconcilers.map((reconciler) => reconciler.pass()));
      await Promise.all(reconcilers.map((reconciler) => reconciler.release()));
      await check();
      clock.advance(250);
    }
  };

  it('brings a service of 3 to 3 RUNNING tasks, with 4 concurrent reconcilers never duplicating one', async () => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 3, networkConfiguration: network });
    await rounds(20, async () => {
      const live = (await allTasks(deps, 'web')).filter((task) => task.lastStatus !== 'STOPPED');
      expect(live.length).toBeLessThanOrEqual(6);
    });
    const { service } = await describeService(deps, 'c1', 'web');
    expect(service).toMatchObject({ runningCount: 3, pendingCount: 0 });
    expect(service.deployments[0]).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 3 });
    const tasks = await allTasks(deps, 'web');
    expect(tasks).toHaveLength(3);
    expect(new Set(tasks.map((task) => task.taskId)).size).toBe(3);
    expect(service.events.map((event) => event.message)).toEqual([
      '(service web) has reached a steady state.',
      `(service web) (deployment ${service.deployments[0].id}) deployment completed.`,
      expect.stringMatching(/^\(service web\) has started 3 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/),
    ]);
  });

  it('rolls a new task definition within the bounds at every moment, under 4 concurrent reconcilers', async () => {
    const deploymentConfiguration = { minimumHealthyPercent: 50, maximumPercent: 150 };
    await createService(deps, {
      launchType: 'FARGATE',
      cluster: 'c1',
      serviceName: 'web',
      taskDefinition: 'web',
      desiredCount: 4,
      networkConfiguration: network,
      deploymentConfiguration,
    });
    await rounds(20);
    await registerTaskDefinition(deps, definition('nginx:1.28'));
    await updateService(deps, 'c1', 'web', { taskDefinition: 'web:2' });
    const { minHealthy, maxTotal } = deploymentBounds({ ...deploymentConfiguration, deploymentCircuitBreaker: { enable: false, rollback: false } }, 4);
    let sawNewRevision = false;
    await rounds(40, async () => {
      const active = (await allTasks(deps, 'web')).filter((task) => task.lastStatus !== 'STOPPED' && task.desiredStatus === 'RUNNING');
      expect(active.length).toBeLessThanOrEqual(maxTotal);
      expect(active.filter((task) => task.lastStatus === 'RUNNING').length).toBeGreaterThanOrEqual(minHealthy);
      sawNewRevision ||= active.some((task) => task.taskDefinitionArn.endsWith(':2'));
    });
    expect(sawNewRevision).toBe(true);
    const { service } = await describeService(deps, 'c1', 'web');
    expect(service.deployments[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 4 });
    const running = (await allTasks(deps, 'web')).filter((task) => task.lastStatus === 'RUNNING');
    expect(running.map((task) => task.taskDefinitionArn.split(':').pop())).toEqual(['2', '2', '2', '2']);
  });

  it('replaces a stopped task', async () => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });
    await rounds(20);
    const [victim] = (await allTasks(deps, 'web')).filter((task) => task.lastStatus === 'RUNNING');
    await stopTask(deps, 'c1', victim.taskId, 'chaos');
    await rounds(20);
    const tasks = await allTasks(deps, 'web');
    expect(tasks.find((task) => task.taskId === victim.taskId)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'chaos' });
    expect(tasks.filter((task) => task.lastStatus === 'RUNNING')).toHaveLength(2);
    expect((await describeService(deps, 'c1', 'web')).service.runningCount).toBe(2);
  });

  it('fails an unpullable deployment through the circuit breaker and rolls back', async () => {
    await createService(deps, {
      launchType: 'FARGATE',
      cluster: 'c1',
      serviceName: 'web',
      taskDefinition: 'web',
      desiredCount: 3,
      networkConfiguration: network,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await rounds(20);
    await registerTaskDefinition(deps, definition('nginx:does-not-exist'));
    await updateService(deps, 'c1', 'web', { taskDefinition: 'web:2' });
    await rounds(120);
    const { service } = await describeService(deps, 'c1', 'web');
    // The failed deployment is gone from the list once its tasks are (ECS shows only the PRIMARY then).
    expect(service.deployments).toHaveLength(1);
    const failedId = /\(deployment (ecs-svc\/\d+)\) deployment failed/.exec(service.events.map((event) => event.message).join('\n'))?.[1];
    expect(failedId).toBeDefined();
    expect(service.deployments[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: expect.stringMatching(/:1$/) });
    expect(service.taskDefinition).toMatch(/:1$/);
    expect(service.runningCount).toBe(3);
    const messages = service.events.map((event) => event.message);
    expect(messages).toContain(`(service web) (deployment ${failedId}) deployment failed: tasks failed to start.`);
    expect(messages.some((message) => message.includes('rolling back to deployment'))).toBe(true);
    const stopped = (await allTasks(deps, 'web')).filter((task) => task.stopCode === 'TaskFailedToStart');
    expect(stopped.length).toBeGreaterThanOrEqual(3);
    expect(stopped[0].stoppedReason).toMatch(/^CannotPullContainerError/);
  });

  it('writes nothing and takes no lease when every service is steady', async () => {
    const { store, reconciler } = buildReconciler(testConfig(deps.tableName), { clock });
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });
    await rounds(20);
    const before = store.writeUnits();
    const outcome = await reconciler.pass();
    expect(outcome).toMatchObject({ busy: false, acted: 0 });
    expect(outcome.nextWakeAt).toBeUndefined();
    expect(store.writeUnits()).toBe(before);
  });

  it('reads a shard a page at a time, never splitting a service from its tasks', async () => {
    // Pages of 2 items: every service of 3 tasks spans two or three pages.
    reconcilers = [buildReconciler(testConfig(deps.tableName), { clock, reconcilePageSize: 2 }).reconciler];
    for (const serviceName of ['api', 'web', 'worker']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 3, networkConfiguration: network });
    }
    await rounds(20);
    for (const serviceName of ['api', 'web', 'worker']) {
      expect((await describeService(deps, 'c1', serviceName)).service).toMatchObject({ runningCount: 3, pendingCount: 0 });
      expect(await allTasks(deps, serviceName)).toHaveLength(3);
    }
    const { store, reconciler } = buildReconciler(testConfig(deps.tableName), { clock, reconcilePageSize: 2 });
    const slices = [];
    for await (const page of store.shardPages(0)) slices.push(...page.services);
    expect(slices.map(({ service, tasks }) => [service.serviceName, tasks.length])).toEqual([['api', 3], ['web', 3], ['worker', 3]]);
    const before = store.writeUnits();
    expect(await reconciler.pass()).toMatchObject({ busy: false, acted: 0, nextWakeAt: undefined });
    expect(store.writeUnits()).toBe(before);
  });

  describe('with a backend that refuses launches', () => {
    /** The simulated fleet, except that RunTask-style refusals come back for every launch. */
    const refusing = (reason: string): FleetBackend => {
      const fleet = new SimulatedFleet({ profile: 'fast' });
      return {
        name: 'simulated',
        launch: async (specs) => specs.map((spec) => ({ taskId: spec.taskId, accepted: false as const, reason, detail: 'no ENI available' })),
        observe: (tasks, now) => fleet.observe(tasks, now),
        stop: (requests, now) => fleet.stop(requests, now),
      };
    };

    const serviceOn = async (reason: string) => {
      const reconciler = buildReconciler(testConfig(deps.tableName), { clock, fleet: refusing(reason) }).reconciler;
      await createService(deps, {
        launchType: 'FARGATE',
        cluster: 'c1',
        serviceName: 'web',
        taskDefinition: 'web',
        desiredCount: 2,
        networkConfiguration: network,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      });
      for (let round = 0; round < 60; round++) {
        await reconciler.pass();
        await reconciler.release();
        clock.advance(1_000);
      }
      return (await describeService(deps, 'c1', 'web')).service;
    };

    it('counts RunTask failures as failed tasks, so the circuit breaker fails the deployment', async () => {
      const service = await serviceOn('RESOURCE:ENI');
      // Two launches fail per pass: the breaker trips on the pass that reaches its threshold of 3.
      expect(service.deployments[0]).toMatchObject({ rolloutState: 'FAILED', failedTasks: 4 });
      const messages = service.events.map((event) => event.message);
      expect(messages).toContain('(service web) was unable to place a task. Reason: RESOURCE:ENI (no ENI available).');
      expect(messages).toContain(`(service web) (deployment ${service.deployments[0].id}) deployment failed: tasks failed to start.`);
    });

    it('only backs off, in ECS words, when launches are throttled', async () => {
      const service = await serviceOn(THROTTLED_REASON);
      expect(service.deployments[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 0 });
      expect(service.events[0].message).toBe('(service web) operations are being throttled. Will try again later.');
    });
  });

  it('keeps reconciling other clusters while one cluster\'s backend is unreachable', async () => {
    await deps.clusters.create('broken', undefined, clock.now(), {
      backend: 'fargate',
      fargate: { cluster: 'nowhere', subnets: ['subnet-1'], endpoint: 'http://127.0.0.1:9' },
    });
    for (const cluster of ['broken', 'c1']) {
      await createService(deps, { launchType: 'FARGATE', cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    }
    await rounds(15);
    expect((await describeService(deps, 'c1', 'web')).service).toMatchObject({ runningCount: 1 });
    expect((await describeService(deps, 'broken', 'web')).service).toMatchObject({ runningCount: 0 });
  });
});

describe('the reconciler, one invocation per shard', () => {
  /** A fresh table reconciled in 4 shards, with the wake-ups the use cases send recorded. */
  const fourShards = async () => {
    const clock = new TestClock();
    const { tableName } = await freshDeps({ clock });
    const settings = parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), FLEET_PROFILE: 'fast', RECONCILE_SHARDS: '4' });
    const woken: Array<number | undefined> = [];
    const deps = buildDeps(settings, { clock, trigger: { wake: async (shard?: number) => void woken.push(shard) } });
    return { clock, settings, woken, deps };
  };

  it("wakes only the changed service's shard, and a reconciler of one shard passes over that shard alone", async () => {
    const { clock, settings, woken, deps } = await fourShards();
    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, definition('nginx:1.27'));
    const shard = (serviceName: string) => shardOf(deps.scope.accountId, 'c1', serviceName, 4);
    const other = ['api', 'worker', 'batch', 'cron', 'jobs'].find((name) => shard(name) !== shard('web'))!;
    for (const serviceName of ['web', other]) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });
    }
    expect(woken).toEqual([shard('web'), shard(other)]);

    const { newReconciler } = buildReconciler(settings, { clock });
    const ofWeb = newReconciler(shard('web'));
    for (let round = 0; round < 10; round++) {
      await ofWeb.pass();
      clock.advance(500);
    }
    await ofWeb.release();
    expect((await describeService(deps, 'c1', 'web')).service).toMatchObject({ runningCount: 2 });
    expect(await serviceTaskRecords(deps, 'c1', other)).toHaveLength(0);
    // Its own shard's reconciler, holding its own lease meanwhile, brings the other service up.
    const ofOther = newReconciler(shard(other));
    for (let round = 0; round < 10; round++) {
      await Promise.all([ofOther.pass(), ofWeb.pass()]);
      clock.advance(500);
    }
    expect((await describeService(deps, 'c1', other)).service).toMatchObject({ runningCount: 2 });
  });

  it('wakes the shards of the Spot tasks it interrupts for their due work, not every shard', async () => {
    const { clock, settings, woken, deps } = await fourShards();
    await createCluster(deps, { clusterName: 'spot', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] });
    await registerTaskDefinition(deps, definition('nginx:1.27'));
    const shard = (serviceName: string) => shardOf(deps.scope.accountId, 'spot', serviceName, 4);
    const other = ['api', 'worker', 'batch', 'cron', 'jobs'].find((name) => shard(name) !== shard('web'))!;
    for (const serviceName of ['web', other]) {
      const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
      await createService(deps, { cluster: 'spot', serviceName, taskDefinition: 'web', desiredCount: 1, capacityProviderStrategy: strategy, networkConfiguration: network });
    }
    const everyShard = buildReconciler(settings, { clock }).newReconciler();
    for (let round = 0; round < 10; round++) {
      await everyShard.pass();
      clock.advance(500);
    }
    await everyShard.release();
    woken.length = 0;

    const { tasks } = await interruptSpotTasks(deps, 'spot', { count: 2 });
    expect(tasks.map((task) => task.stopCode)).toEqual(['SpotInterruption', 'SpotInterruption']);
    expect(woken.sort()).toEqual([shard('web'), shard(other)].sort());
  });
});
