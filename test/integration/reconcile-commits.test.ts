import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createTableContext } from '../../lib/adapters/dynamodb/table';
import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { ClusterFleets } from '../../lib/fleet/resolver';
import { SimulatedFleet } from '../../lib/fleet/simulated';
import type { ReconcileStore, ServiceCommit, ServiceSlice } from '../../lib/ports';
import { Reconciler } from '../../lib/reconciler/reconciler';
import { reconcilerSettings } from '../../lib/reconciler/settings';
import { withServiceEvents } from '../../lib/domain/service';
import { createService, describeService, updateService } from '../../lib/usecases/services';
import { depsWithWebFamily, dynamoEndpoint, testConfig, TestClock } from '../support/dynamo';

/**
 * The shape of the reconciler's commits (issue 10, target 4): several services share a transaction
 * and lose alone, a lost lease fences them all, and a simulated launch is recorded with its ref in
 * the decision's own write.
 */

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe("the reconciler's commits", () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    deps = await depsWithWebFamily(clock);
  });

  const settle = async (store = buildReconciler(testConfig(deps.tableName), { clock })) => {
    for (let pass = 0; pass < 20; pass++) {
      const outcome = await store.reconciler.pass();
      if (!outcome.acted && outcome.nextWakeAt === undefined) return store.reconciler.release();
      clock.advance(1_000);
    }
    throw new Error('the services did not settle');
  };

  const slices = async (store: ReconcileStore): Promise<ServiceSlice[]> => {
    const found: ServiceSlice[] = [];
    for await (const page of store.shardPages(0)) found.push(...page.services);
    return found.sort((a, b) => a.service.serviceName.localeCompare(b.service.serviceName));
  };

  /** The next version of each service, with nothing else changed. */
  const rewrite = (slice: ServiceSlice): ServiceCommit => ({
    service: { ...slice.service, version: slice.service.version + 1 },
    newTasks: [],
    changedTasks: [],
  });

  it('commits several services in one transaction; a service whose version moved on loses alone', async () => {
    for (const serviceName of ['a', 'b', 'c']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    }
    await settle();
    const { store } = buildReconciler(testConfig(deps.tableName), { clock });
    const read = await slices(store);
    // b changes after the read: its commit is stale.
    await updateService(deps, 'c1', 'b', { desiredCount: 2 });
    const lease = (await store.acquireLease(0, 'holder', clock.now(), 15_000))!;
    const before = store.writeUnits();
    expect(await store.commitServices(lease, read.map(rewrite), clock.now())).toEqual([true, false, true]);
    expect(store.writeUnits()).toBeGreaterThan(before);
    const versions = await Promise.all(['a', 'b', 'c'].map(async (name) => (await deps.services.get('c1', name))!.service.version));
    expect(versions).toEqual([read[0].service.version + 1, read[1].service.version + 1, read[2].service.version + 1]);
    expect((await describeService(deps, 'c1', 'b')).service.desiredCount).toBe(2);
  });

  it('writes nothing once the lease is lost', async () => {
    for (const serviceName of ['a', 'b']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 0, networkConfiguration: network });
    }
    await settle();
    const { store } = buildReconciler(testConfig(deps.tableName), { clock });
    const read = await slices(store);
    const lease = (await store.acquireLease(0, 'old', clock.now(), 15_000))!;
    clock.advance(16_000);
    await store.acquireLease(0, 'successor', clock.now(), 15_000);
    expect(await store.commitServices(lease, read.map(rewrite), clock.now())).toEqual([false, false]);
    for (const slice of read) {
      expect((await deps.services.get('c1', slice.service.serviceName))!.service.version).toBe(slice.service.version);
    }
  });

  it('records a simulated launch with its ref in the write that decides it, not in a second one', async () => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 3, networkConfiguration: network });
    const built = buildReconciler(testConfig(deps.tableName), { clock });
    const commits: ServiceCommit[] = [];
    const taskCommits: number[] = [];
    const recording = new Proxy(built.store, {
      get: (target, property: keyof ReconcileStore) => {
        if (property === 'commitServices') {
          return (...args: Parameters<ReconcileStore['commitServices']>) => (commits.push(...args[1]), target.commitServices(...args));
        }
        if (property === 'commitTasks') {
          return (...args: Parameters<ReconcileStore['commitTasks']>) => (taskCommits.push(args[1].length), target.commitTasks(...args));
        }
        const value = target[property];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const config = testConfig(deps.tableName);
    const reconciler = new Reconciler(
      recording,
      new ClusterFleets(new SimulatedFleet({ profile: 'fast' }), config.fleetDefaults, config.region),
      clock,
      'holder',
      reconcilerSettings('fast', config.reconcileShards),
      { info: () => undefined },
    );
    await reconciler.pass();
    const launched = commits.flatMap((commit) => commit.newTasks);
    expect(launched).toHaveLength(3);
    for (const task of launched) expect(task.ref?.kind).toBe('simulated');
    expect(taskCommits).toEqual([]);
    // What is stored is what a second look finds: the records, with their refs, PROVISIONING.
    const table = createTableContext({ tableName: deps.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'x' });
    for (const task of launched) {
      const stored = await deps.tasks.get('c1', task.taskId);
      expect(stored).toMatchObject({ taskId: task.taskId, lastStatus: 'PROVISIONING', ref: task.ref, version: 1 });
      const { Item } = await table.client.send(new GetCommand({ TableName: deps.tableName, Key: { PK: 'A#000000000000#C#c1', SK: `TASK#${task.taskId}` } }));
      // Packed: only what expressions name is a plain attribute.
      expect(Item).toMatchObject({ lastStatus: 'PROVISIONING', taskArn: task.taskArn });
      expect(Item).not.toHaveProperty('containers');
    }
    table.client.destroy();
  });

  it("keeps a service's newest events in its own item until they outgrow a write unit, and shows the last 100 in order", async () => {
    await createService(deps, { cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 0, networkConfiguration: network });
    await settle();
    const { store } = buildReconciler(testConfig(deps.tableName), { clock });
    const table = createTableContext({ tableName: deps.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'x' });
    const item = async (sortKey: string) =>
      (await table.client.send(new GetCommand({ TableName: deps.tableName, Key: { PK: 'A#000000000000#C#c1', SK: sortKey }, ConsistentRead: true }))).Item;
    const shown = async () => (await describeService(deps, 'c1', 'web')).service.events.map((event: { message: string }) => event.message);
    const said = (await shown()).reverse(); // what the service said before: the oldest first
    let [slice] = await slices(store);
    const lease = (await store.acquireLease(0, 'holder', clock.now(), 15_000))!;
    let eventsItemWrites = 0;
    for (let commit = 0; commit < 40; commit++) {
      clock.advance(100);
      // Three events a commit, as a pass that launches tasks and then settles says them.
      const added = [0, 1, 2].map((index) => `(service web) event ${commit * 3 + index}, with a task id 0123456789abcdef0123456789abcdef in it.`);
      said.push(...added);
      const next = withServiceEvents(
        { ...slice.service, version: slice.service.version + 1 },
        added.map((message, index) => ({ id: `${commit}-${index}`, createdAt: clock.now(), message })).reverse(),
      );
      const eventsBefore = JSON.stringify(await item('SERVICE#web#EVENTS'));
      expect(await store.commitServices(lease, [{ service: next, newTasks: [], changedTasks: [] }], clock.now())).toEqual([true]);
      if (JSON.stringify(await item('SERVICE#web#EVENTS')) !== eventsBefore) eventsItemWrites += 1;
      const serviceItem = (await item('SERVICE#web'))!;
      // Within one write unit, by DynamoDB's rules (attribute names and values).
      const bytes = Object.entries(serviceItem).reduce(
        (sum, [name, value]) => sum + name.length + (value instanceof Uint8Array ? value.byteLength : String(value).length),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(1024);
      expect(await shown()).toEqual([...said].reverse().slice(0, 100));
      [slice] = await slices(store);
    }
    // 120 events in 40 commits: the events item was rewritten only when the recent ones moved there.
    expect(eventsItemWrites).toBeGreaterThan(0);
    expect(eventsItemWrites).toBeLessThanOrEqual(10);
    table.client.destroy();
  });
});
