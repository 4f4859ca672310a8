import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { SimulatedFleet } from '../../lib/fleet/simulated';
import type { PassOutcome } from '../../lib/reconciler/reconciler';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeService, updateService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshDeps, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
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
