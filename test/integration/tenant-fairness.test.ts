import { mapConcurrently } from '../../lib/concurrency';
import { buildDeps, buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeServices, listServices, updateService } from '../../lib/usecases/services';
import { describeTasks, listTasks } from '../../lib/usecases/tasks';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshTable, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const TENANT_A = '111111111111';
const TENANT_B = '222222222222';
/** Tenant A's load: 100 services of 10 tasks. */
const A_SERVICES = 100;
const A_TASKS_PER_SERVICE = 10;
/** Small pages of the due index, so that a pass must go on past many pages of A's work to reach B's. */
const PAGE_SIZE = 20;

/**
 * Issue 11, isolation: one tenant's thousand tasks do not delay another's service by more than one
 * pass. Both tenants share one table, one shard (the default: the hardest case) and one cluster
 * name. A's services are all changing at once (created, every one due now, 1,000 launches to make);
 * B's service is due now too, but its due-index key (`<due>#<account>#...`) sorts after all of A's.
 * A due pass reads its shard's whole due range, page after page, not a capped share of it, so the
 * very pass that launches A's thousand tasks launches B's too; a pass capped to its first pages (or
 * to a number of services) would leave B behind every one of A's services.
 */
describe('tenant fairness in the reconciler', () => {
  let clock: TestClock;
  let tenantA: Deps;
  let tenantB: Deps;
  let reconciler: ReturnType<typeof buildReconciler>;

  beforeAll(async () => {
    clock = new TestClock();
    const table = await freshTable();
    table.client.destroy();
    const settings = testConfig(table.tableName);
    tenantA = buildDeps({ ...settings, accountId: TENANT_A }, { clock });
    tenantB = buildDeps({ ...settings, accountId: TENANT_B }, { clock });
    reconciler = buildReconciler(settings, { clock, reconcilePageSize: PAGE_SIZE });
    for (const deps of [tenantA, tenantB]) {
      await createCluster(deps, { clusterName: 'c1' });
      await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    }
    const names = Array.from({ length: A_SERVICES }, (_, index) => `a-${String(index).padStart(3, '0')}`);
    await mapConcurrently(names, 20, (serviceName) =>
      createService(tenantA, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: A_TASKS_PER_SERVICE, networkConfiguration: network }),
    );
  });

  it("acts on B's new service, and on B's scaling while A's thousand tasks are in flight, within one pass each", async () => {
    await createService(tenantB, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'b-web', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });

    // One due pass of the shard: every one of A's services and B's are read and acted on.
    const first = await reconciler.reconciler.pass('due');
    await reconciler.reconciler.release();
    expect(await serviceTaskRecords(tenantB, 'c1', 'b-web')).toHaveLength(2);
    expect(first).toMatchObject({ busy: false, visited: A_SERVICES + 1, acted: A_SERVICES + 1 });
    const aTasks = await listAll(tenantA);
    expect(aTasks).toHaveLength(A_SERVICES * A_TASKS_PER_SERVICE);

    // A's thousand tasks are all in flight (each of A's services due again); B scales meanwhile.
    clock.advance(1_000);
    await updateService(tenantB, 'c1', 'b-web', { desiredCount: 5 });
    const second = await reconciler.reconciler.pass('due');
    await reconciler.reconciler.release();
    const bTasks = await serviceTaskRecords(tenantB, 'c1', 'b-web');
    expect(bTasks).toHaveLength(5);
    expect(bTasks.every((task) => task.ref !== undefined)).toBe(true);
    expect(second.busy).toBe(false);
    expect(second.visited).toBeGreaterThan(A_SERVICES);

    // Nothing of A's is visible through B's deps, though both use the cluster name "c1".
    const [aService] = (await describeServices(tenantA, 'c1', ['a-000'])).services;
    const seenByB = await describeServices(tenantB, 'c1', [aService.serviceArn, 'a-000']);
    expect(seenByB.services).toEqual([]);
    expect(seenByB.failures.map(({ reason }) => reason)).toEqual(['MISSING', 'MISSING']);
    expect((await listServices(tenantB, 'c1', { maxResults: 100 })).serviceArns).toEqual([
      expect.stringMatching(new RegExp(`^arn:aws:ecs:[a-z0-9-]+:${TENANT_B}:service/c1/b-web$`)),
    ]);
    const bTaskArns = await listAll(tenantB);
    expect(bTaskArns).toHaveLength(5);
    expect(bTaskArns.every((arn) => arn.includes(`:${TENANT_B}:`))).toBe(true);
    const aTaskArns = aTasks.slice(0, 100);
    const described = await describeTasks(tenantB, 'c1', aTaskArns);
    expect(described.tasks).toEqual([]);
    expect(described.failures).toHaveLength(aTaskArns.length);
    expect(described.failures.every(({ reason }) => reason === 'MISSING')).toBe(true);
  });
});

/** Every live task ARN of a tenant's cluster "c1", page by page. */
const listAll = async (deps: Deps): Promise<string[]> => {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await listTasks(deps, 'c1', { maxResults: 100, nextToken });
    arns.push(...page.taskArns);
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
};
