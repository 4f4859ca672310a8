import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { FargateFleet } from '../../lib/fleet/fargate';
import { ClusterFleets } from '../../lib/fleet/resolver';
import { Reconciler } from '../../lib/reconciler/reconciler';
import { reconcilerSettings } from '../../lib/reconciler/settings';
import { applyTaskStateChange, isTaskStateChange, type TaskEventContext } from '../../lib/reconciler/task-events';
import { createService } from '../../lib/usecases/services';
import { depsWithWebFamily, testConfig, TestClock } from '../support/dynamo';
import { FakeEcs, fakeEcsClient } from '../support/fake-ecs';

/**
 * ECS's "ECS Task State Change" events applied to ecsbox's records on DynamoDB Local (issue 10):
 * the event's shape is the example of AWS's guide ("Amazon ECS task state change events"), with
 * the ids of a task the Fargate adapter launched.
 */

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const iso = (ms: number) => new Date(ms).toISOString();

/** The event ECS sends, as AWS's guide shows it: the detail is the Task, with ISO timestamps. */
const taskStateChange = (task: { taskArn: string; group: string; startedBy: string; taskDefinitionArn: string }, at: number, change: Record<string, unknown>) => ({
  version: '0',
  id: '3317b2af-7005-947d-b652-f55e762e571a',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '111122223333',
  time: iso(at),
  region: 'eu-west-3',
  resources: [task.taskArn],
  detail: {
    attachments: [
      {
        id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
        type: 'eni',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-1' },
          { name: 'networkInterfaceId', value: 'eni-00a40225208b8d2a4' },
          { name: 'macAddress', value: '0a:13:d6:2c:2a:13' },
          { name: 'privateIPv4Address', value: '10.0.0.139' },
        ],
      },
    ],
    availabilityZone: 'eu-west-3a',
    clusterArn: 'arn:aws:ecs:eu-west-3:111122223333:cluster/ecsbox-tasks',
    connectivity: 'CONNECTED',
    connectivityAt: iso(at - 5_000),
    containers: [
      {
        containerArn: `${task.taskArn.replace(':task/', ':container/')}/web`,
        lastStatus: 'RUNNING',
        name: 'web',
        image: 'nginx:1.27',
        runtimeId: 'ba0d6b83bcc8417e8ad43b1e86a0ed3c-2531612879',
        taskArn: task.taskArn,
        networkInterfaces: [{ attachmentId: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8', privateIpv4Address: '10.0.0.139' }],
        cpu: '0',
      },
    ],
    cpu: '256',
    createdAt: iso(at - 30_000),
    desiredStatus: 'RUNNING',
    enableExecuteCommand: false,
    ephemeralStorage: { sizeInGiB: 20 },
    group: task.group,
    launchType: 'FARGATE',
    lastStatus: 'RUNNING',
    memory: '512',
    overrides: { containerOverrides: [{ name: 'web' }] },
    platformVersion: '1.4.0',
    pullStartedAt: iso(at - 20_000),
    pullStoppedAt: iso(at - 10_000),
    startedAt: iso(at - 2_000),
    startedBy: task.startedBy,
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    updatedAt: iso(at),
    version: 3,
    ...change,
  },
});

describe('"ECS Task State Change" events', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    deps = await depsWithWebFamily(clock);
    fakeEcsClient.reset();
  });

  it('are applied to the record under the shard lease, in lifecycle order, make the service due and wake the shard', async () => {
    const ecs = new FakeEcs(() => clock.now());
    const fleet = new FargateFleet(new ECSClient({ region: 'eu-west-3' }), { cluster: 'ecsbox-tasks', subnets: ['subnet-1'], familyPrefix: 'ecsbox-000000000000-' }, {
      clock,
      sleep: async (ms) => clock.advance(ms),
    });
    const config = testConfig(deps.tableName);
    const fleets = new ClusterFleets(fleet, config.fleetDefaults, config.region);
    const { store } = buildReconciler(config, { clock });
    const reconciler = new Reconciler(store, fleets, clock, 'reconciler', reconcilerSettings('fast', config.reconcileShards), { info: () => undefined });
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    await reconciler.pass();
    await reconciler.release();

    const [launched] = [...ecs.tasks.values()];
    const { group, startedBy } = fakeEcsClient.commandCalls(RunTaskCommand)[0].args[0].input;
    const [record] = (await deps.tasks.list('c1', { desiredStatus: 'RUNNING' }, { maxResults: 10 }, clock.now())).items;
    const taskId = record.split('/').pop()!;
    // The ECS task's group names the record; RunTask's startedBy is what the rule filters on.
    expect(group).toBe(`ecsbox:000000000000:c1:${taskId}`);
    expect(startedBy).toMatch(/^ecsbox-/);
    const task = { taskArn: launched.taskArn!, group: group!, startedBy: startedBy!, taskDefinitionArn: launched.taskDefinitionArn! };

    const woken: Array<number | undefined> = [];
    const context: TaskEventContext = {
      store,
      fleets,
      trigger: { wake: async (shard) => void woken.push(shard) },
      clock,
      shards: config.reconcileShards,
      leaseTtlMs: 15_000,
      holder: 'event',
    };
    clock.advance(60_000);
    const running = taskStateChange(task, clock.now(), {});
    expect(isTaskStateChange(running)).toBe(true);
    const before = (await deps.tasks.get('c1', taskId))!;
    expect(await applyTaskStateChange(context, running)).toBe('applied');
    const after = (await deps.tasks.get('c1', taskId))!;
    expect(after).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedAt: clock.now() - 2_000,
      pullStartedAt: clock.now() - 20_000,
      version: before.version + 1,
      network: { availabilityZone: 'eu-west-3a', attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED' }] },
    });
    expect(after.containers[0]).toMatchObject({ name: 'web', lastStatus: 'RUNNING', runtimeId: 'ba0d6b83bcc8417e8ad43b1e86a0ed3c-2531612879' });
    expect(woken).toEqual([0]);
    // The service settles (ECS runs the task, as the event said): nothing in the shard is due any
    // more, so only the resync would read it.
    Object.assign(launched, { lastStatus: 'RUNNING', startedAt: new Date(clock.now() - 2_000), containers: launched.containers!.map((c) => ({ ...c, lastStatus: 'RUNNING' })) });
    for (let pass = 0; pass < 30 && (await store.dueShards(clock.now() + 60_000)).length; pass++) {
      await reconciler.pass('due');
      await reconciler.release();
      clock.advance(250);
    }
    expect(await store.dueShards(clock.now() + 60_000)).toEqual([]);
    const settled = (await deps.tasks.get('c1', taskId))!.version;

    // An older event, delivered late: nothing is written.
    expect(await applyTaskStateChange(context, taskStateChange(task, clock.now() - 40_000, { lastStatus: 'PENDING', containers: [] }))).toBe('stale');
    expect((await deps.tasks.get('c1', taskId))!.version).toBe(settled);

    // While a reconciler holds the shard's lease, the event is left to it (it observes the task itself).
    const stopped = taskStateChange(task, clock.now() + 1_000, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      stoppingAt: iso(clock.now()),
      stoppedAt: iso(clock.now() + 1_000),
      containers: [{ name: 'web', image: 'nginx:1.27', lastStatus: 'STOPPED', exitCode: 1, taskArn: task.taskArn }],
    });
    const held = (await store.acquireLease(0, 'reconciler', clock.now(), 15_000))!;
    expect(await applyTaskStateChange(context, stopped)).toBe('busy');
    expect((await deps.tasks.get('c1', taskId))!.version).toBe(settled);
    await store.releaseLease(held);
    expect(await applyTaskStateChange(context, stopped)).toBe('applied');
    expect(await deps.tasks.get('c1', taskId)).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      version: settled + 1,
    });
    // The event made the service due: the wake-up's due pass reads it and replaces the task.
    expect(await store.dueShards(clock.now())).toEqual([0]);
    expect(await reconciler.pass('due')).toMatchObject({ visited: 1, acted: 1 });
    await reconciler.release();
    expect(fakeEcsClient.commandCalls(RunTaskCommand)).toHaveLength(2);

    // Not ecsbox's: another group, or another task under a record's group.
    expect(await applyTaskStateChange(context, taskStateChange({ ...task, group: 'family:web' }, clock.now(), {}))).toBe('unknown');
    expect(await applyTaskStateChange(context, taskStateChange({ ...task, taskArn: `${task.taskArn}0` }, clock.now(), {}))).toBe('unknown');
    expect(isTaskStateChange({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toBe(false);
  });
});
