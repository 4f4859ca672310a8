import { buildDeps } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster, deleteCluster, describeClusters, listClusters } from '../../lib/usecases/clusters';
import { createService, listServices } from '../../lib/usecases/services';
import {
  deregisterTaskDefinition,
  describeTaskDefinition,
  listTaskDefinitions,
  registerTaskDefinition,
} from '../../lib/usecases/task-definitions';
import { listTasks, runTask } from '../../lib/usecases/tasks';
import { freshTable, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';
import { meterReads, type ReadMeter } from '../support/read-meter';

/**
 * Each read must cost what it answers with, not the history beside it: stopped tasks, event lists,
 * deleted clusters and deregistered revisions stay out of the range a read examines. The meter
 * counts items DynamoDB examined and round trips, whatever the page holds.
 */
const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const LIVE_TASKS = 3;
const STOPPED_TASKS = 60;

describe('read costs on DynamoDB Local', () => {
  let deps: Deps;
  let meter: ReadMeter;
  let clock: TestClock;

  const measured = async <T>(read: () => Promise<T>): Promise<{ result: T; examined: number; roundTrips: number }> => {
    meter.reset();
    const result = await read();
    return { result, examined: meter.itemsExamined, roundTrips: meter.roundTrips };
  };

  beforeAll(async () => {
    clock = new TestClock();
    const table = await freshTable();
    meter = meterReads(table);
    deps = buildDeps(testConfig(table.tableName), { clock, table });
    await createCluster(deps, { clusterName: 'busy' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    await runTask(deps, { launchType: 'FARGATE', cluster: 'busy', taskDefinition: 'web', count: LIVE_TASKS, networkConfiguration: network });
    for (let batch = 0; batch < STOPPED_TASKS / 10; batch++) {
      const { tasks } = await runTask(deps, { launchType: 'FARGATE', cluster: 'busy', taskDefinition: 'web', count: 10, networkConfiguration: network });
      for (const task of tasks) {
        const record = (await deps.tasks.get('busy', task.taskArn.split('/').at(-1)!))!;
        await deps.tasks.save({
          ...record,
          desiredStatus: 'STOPPED',
          lastStatus: 'STOPPED',
          stoppedAt: clock.now(),
          version: record.version + 1,
        });
      }
    }
  }, 60_000);

  it('ListTasks RUNNING examines the live tasks only, however many stopped ones the cluster keeps', async () => {
    const { result, examined } = await measured(() => listTasks(deps, 'busy', { desiredStatus: 'RUNNING' }));
    expect(result.taskArns).toHaveLength(LIVE_TASKS);
    // The cluster's item, then the live tasks.
    expect(examined).toBeLessThanOrEqual(1 + LIVE_TASKS);
    expect((await listTasks(deps, 'busy', { desiredStatus: 'STOPPED' })).taskArns).toHaveLength(STOPPED_TASKS);
  });

  it('pages through the list index with nothing skipped or repeated', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await listTasks(deps, 'busy', { desiredStatus: 'STOPPED', maxResults: 7, nextToken });
      seen.push(...page.taskArns);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toHaveLength(STOPPED_TASKS);
    expect(new Set(seen).size).toBe(STOPPED_TASKS);
  });

  it('DescribeClusters counts the live tasks without reading the stopped ones', async () => {
    const { result, examined } = await measured(() => describeClusters(deps, { clusters: ['busy'], include: ['STATISTICS'] }));
    const [cluster] = result.clusters;
    expect(cluster.runningTasksCount + cluster.pendingTasksCount).toBe(LIVE_TASKS);
    expect(examined).toBeLessThanOrEqual(1 + LIVE_TASKS);
  });

  it("ListServices examines the services, never their events items", async () => {
    await createCluster(deps, { clusterName: 'services' });
    for (const serviceName of ['a', 'b', 'c']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'services', serviceName, taskDefinition: 'web', desiredCount: 0, networkConfiguration: network });
    }
    const { result, examined } = await measured(() => listServices(deps, 'services', {}));
    expect(result.serviceArns).toHaveLength(3);
    expect(examined).toBeLessThanOrEqual(1 + 3);
  });

  it('ListClusters examines ACTIVE clusters only', async () => {
    for (let index = 0; index < 20; index++) await createCluster(deps, { clusterName: `gone-${index}` });
    for (let index = 0; index < 20; index++) await deleteCluster(deps, `gone-${index}`);
    const { result, examined } = await measured(() => listClusters(deps, {}));
    expect(result.clusterArns.map((arn) => arn.split('/').at(-1))).toEqual(['busy', 'services']);
    expect(examined).toBe(2);
  });

  it('finds the latest ACTIVE revision in a bounded number of reads, past any number of INACTIVE ones', async () => {
    for (let revision = 1; revision <= 30; revision++) {
      await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('many')));
    }
    const newest = await measured(() => describeTaskDefinition(deps, 'many', false));
    expect(newest.result.taskDefinition.revision).toBe(30);
    expect(newest.examined).toBe(1);

    for (let revision = 2; revision <= 30; revision++) await deregisterTaskDefinition(deps, `many:${revision}`);
    const oldest = await measured(() => describeTaskDefinition(deps, 'many', false));
    expect(oldest.result.taskDefinition.revision).toBe(1);
    // The newest revision (INACTIVE), the newest ACTIVE one in the index, its consistent read.
    expect(oldest.roundTrips).toBeLessThanOrEqual(3);
    expect(oldest.examined).toBeLessThanOrEqual(3);

    const active = await measured(() => listTaskDefinitions(deps, { familyPrefix: 'many', status: 'ACTIVE', sort: 'DESC' }));
    expect(active.result.taskDefinitionArns).toEqual(['arn:aws:ecs:us-east-1:000000000000:task-definition/many:1']);
    expect(active.examined).toBe(1);

    const inactive: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await listTaskDefinitions(deps, { familyPrefix: 'many', status: 'INACTIVE', sort: 'DESC', maxResults: 8, nextToken });
      inactive.push(...page.taskDefinitionArns);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(inactive.map((arn) => Number(arn.split(':').at(-1)))).toEqual(Array.from({ length: 29 }, (_, index) => 30 - index));
  });
});
