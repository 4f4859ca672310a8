import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { taskItem } from '../../lib/adapters/dynamodb/fleet-items';
import { createTableContext } from '../../lib/adapters/dynamodb/table';
import { buildReconciler } from '../../lib/container';
import type { TaskRecord } from '../../lib/domain/task';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { SimulatedFleet } from '../../lib/fleet/simulated';
import type { PassOutcome } from '../../lib/reconciler/reconciler';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeService, updateService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { dynamoEndpoint, freshDeps, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

/**
 * The "next due" index: what a scheduled minute and a wake-up read (only what is due), and what the
 * hourly resync reads (everything). Driven by due passes alone, as the deployed reconciler is.
 */
describe('the reconciler reads what is due, and everything only at the resync', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let reconciler: ReturnType<typeof buildReconciler>;

  beforeEach(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock });
    reconciler = buildReconciler(testConfig(deps.tableName), { clock });
    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
  });

  /** Due passes, the clock moving on, until the shard has nothing due within a minute; every outcome kept. */
  const duePasses = async (count = 30): Promise<PassOutcome[]> => {
    const outcomes: PassOutcome[] = [];
    for (let pass = 0; pass < count; pass++) {
      outcomes.push(await reconciler.reconciler.pass('due'));
      await reconciler.reconciler.release();
      clock.advance(250);
      if (!(await reconciler.store.dueShards(clock.now() + 60_000)).length) break;
    }
    return outcomes;
  };

  const steadyService = async (serviceName: string) => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });
    await duePasses();
    const { service } = await describeService(deps, 'c1', serviceName);
    expect(service).toMatchObject({ runningCount: 2, pendingCount: 0 });
    expect(service.deployments).toHaveLength(1);
    expect(service.deployments[0].rolloutState).toBe('COMPLETED');
  };

  it('does not read a steady service on a scheduled minute, and reads it at the resync', async () => {
    await steadyService('web');
    clock.advance(60_000);
    const { store } = reconciler;
    expect(await store.dueShards(clock.now())).toEqual([]);
    const writes = store.writeUnits();
    const minute = await reconciler.reconciler.pass('due');
    expect(minute).toMatchObject({ visited: 0, acted: 0, busy: false });
    expect(minute.readUnits).toBeLessThanOrEqual(0.5);

    const resync = await reconciler.reconciler.pass('resync');
    expect(resync).toMatchObject({ visited: 1, acted: 0, busy: false, nextWakeAt: undefined });
    expect(store.writeUnits()).toBe(writes);
    // A desired-state change makes it due at once, whatever the clock says.
    await updateService(deps, 'c1', 'web', { desiredCount: 3 });
    expect(await store.dueShards(clock.now())).toEqual([0]);
    expect(await reconciler.reconciler.pass('due')).toMatchObject({ visited: 1, acted: 1 });
  });

  /**
   * Ways a stored task can differ from what the fleet reports (a lost event, a bug, a hand edit),
   * each on the record as stored, version unchanged: the resync must find and correct every one.
   */
  const drifts: Array<[string, (task: TaskRecord) => TaskRecord]> = [
    ['lastStatus', (task) => ({ ...task, lastStatus: 'PENDING' })],
    ['startedAt dropped', ({ startedAt: _startedAt, ...task }) => task as TaskRecord],
    ['a container field', (task) => ({ ...task, containers: task.containers.map((c) => ({ ...c, healthStatus: 'UNHEALTHY' as const })) })],
    ['a container field dropped', (task) => ({ ...task, containers: task.containers.map(({ imageDigest: _digest, ...c }) => c) })],
    ['a container field added', (task) => ({ ...task, containers: task.containers.map((c) => ({ ...c, exitCode: 0 })) })],
    ['a container dropped', (task) => ({ ...task, containers: [] })],
    ['a container added', (task) => ({ ...task, containers: [...task.containers, { ...task.containers[0], name: 'extra' }] })],
    ['the network', (task) => ({ ...task, network: { ...task.network!, connectivity: undefined, connectivityAt: undefined } })],
    ['an attachment detail', (task) => ({ ...task, network: { ...task.network!, attachments: task.network!.attachments.map((a) => ({ ...a, details: a.details.slice(1) })) } })],
  ];

  it('corrects at the resync every stored task that differs from what the fleet reports', async () => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: drifts.length, networkConfiguration: network });
    await duePasses();
    clock.advance(60_000);
    const settled = (await serviceTaskRecords(deps, 'c1', 'web')).sort((a, b) => a.taskId.localeCompare(b.taskId));
    expect(settled).toHaveLength(drifts.length);
    expect(await reconciler.reconciler.pass('resync')).toMatchObject({ acted: 0 });
    // Written as the reconciler writes, at the version read: nothing tells the resync which changed.
    const table = createTableContext({ tableName: deps.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'x' });
    const config = testConfig(deps.tableName);
    for (const [index, [, drift]] of drifts.entries()) {
      await table.client.send(new PutCommand({ TableName: deps.tableName, Item: taskItem(drift(settled[index]), config.reconcileShards, config.taskRetentionMs) }));
    }
    table.client.destroy();
    expect(await reconciler.reconciler.pass('resync')).toMatchObject({ visited: 1, acted: 1 });
    await reconciler.reconciler.release();
    const corrected = (await serviceTaskRecords(deps, 'c1', 'web')).sort((a, b) => a.taskId.localeCompare(b.taskId));
    for (const [index, [drift]] of drifts.entries()) {
      expect({ drift, task: corrected[index] }).toEqual({ drift, task: { ...settled[index], version: settled[index].version + 1 } });
    }
    // And the next resync finds nothing left to do.
    expect(await reconciler.reconciler.pass('resync')).toMatchObject({ acted: 0 });
  });

  it('acts on a task transition the fleet announced, with no wake-up, reading only that service', async () => {
    await steadyService('steady');
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    // The write made it due: the first pass launches its task and nothing else is read.
    expect(await reconciler.reconciler.pass('due')).toMatchObject({ visited: 1, acted: 1 });
    await reconciler.reconciler.release();
    // Nothing is due yet, but an invocation's loop must know when it will be, to follow it.
    const early = await reconciler.reconciler.pass('due');
    expect(early.visited).toBe(0);
    expect(early.nextWakeAt).toBeGreaterThan(clock.now());
    expect(early.nextWakeAt).toBeLessThanOrEqual(clock.now() + 60_000);
    const [launched] = await serviceTaskRecords(deps, 'c1', 'web');
    expect(launched.ref).toBeDefined();
    const [observed] = await new SimulatedFleet({ profile: 'fast' }).observe([{ taskId: launched.taskId, ref: launched.ref! }], clock.now());
    expect(observed.nextChangeAt).toBeGreaterThan(clock.now());

    // From here on no API call is made: the due index alone brings the task to RUNNING.
    const outcomes = await duePasses();
    expect(outcomes.every((outcome) => outcome.visited <= 1)).toBe(true);
    expect(outcomes.some((outcome) => outcome.acted === 1)).toBe(true);
    const [running] = await serviceTaskRecords(deps, 'c1', 'web');
    expect(running).toMatchObject({ taskId: launched.taskId, lastStatus: 'RUNNING' });
    const { service } = await describeService(deps, 'c1', 'web');
    expect(service).toMatchObject({ runningCount: 1, pendingCount: 0 });
    expect(service.events[0].message).toMatch(/has reached a steady state/);
    // Settled, it leaves the due index.
    expect(await reconciler.store.dueShards(clock.now() + 3_600_000)).toEqual([]);
  });
});
