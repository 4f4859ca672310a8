import type { Deps } from '../../lib/deps';
import { buildReconciler } from '../../lib/container';
import { deleteCluster, describeCluster } from '../../lib/usecases/clusters';
import { createService, describeService, updateService } from '../../lib/usecases/services';
import { describeTask, listTasks, runTask, stopTask } from '../../lib/usecases/tasks';
import { depsWithWebFamily, testConfig, TestClock } from '../support/dynamo';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('services and tasks on DynamoDB Local', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    deps = await depsWithWebFamily(clock);
  });

  it('loses no update when 20 writers change one service at once', async () => {
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? updateService(deps, 'c1', 'web', { desiredCount: index + 2 })
          : updateService(deps, 'c1', 'web', { healthCheckGracePeriodSeconds: index }),
      ),
    );
    // A writer either lands on top of the others or is told 409: never silently dropped.
    const refused = results.filter((result) => result.status === 'rejected');
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toMatchObject({ name: 'ConflictException' });
    expect(refused).toHaveLength(0);
    const { service } = await describeService(deps, 'c1', 'web');
    const stored = await deps.services.get('c1', 'web');
    expect(stored!.service.version).toBe(21);
    expect(service.desiredCount % 2).toBe(0);
    expect(service.healthCheckGracePeriodSeconds! % 2).toBe(1);
  });

  it('returns the same service for a repeated CreateService with the same clientToken', async () => {
    const input = { cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, launchType: 'FARGATE' as const, networkConfiguration: network, clientToken: 'tok' };
    const first = await createService(deps, input);
    expect(await createService(deps, input)).toEqual(first);
    await expect(createService(deps, { ...input, clientToken: 'other' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('keeps a stopped task visible for the retention (24 h), then forgets it', async () => {
    const { reconciler } = buildReconciler(testConfig(deps.tableName), { clock });
    const { tasks } = await runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', networkConfiguration: network });
    const taskId = tasks[0].taskArn.split('/').pop()!;
    await stopTask(deps, 'c1', taskId, 'done');
    for (let pass = 0; pass < 10; pass++) {
      await reconciler.pass();
      await reconciler.release();
      clock.advance(1_000);
    }
    expect((await describeTask(deps, 'c1', taskId)).task).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: 'done' });
    clock.advance(23 * 3_600_000);
    expect((await listTasks(deps, 'c1', { desiredStatus: 'STOPPED' })).taskArns).toEqual([tasks[0].taskArn]);
    clock.advance(3_600_000);
    await expect(describeTask(deps, 'c1', taskId)).rejects.toMatchObject({ name: 'TaskNotFoundException' });
    expect((await listTasks(deps, 'c1', { desiredStatus: 'STOPPED' })).taskArns).toEqual([]);
  });

  it('refuses to delete a cluster with tasks that are not stopped', async () => {
    await runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', networkConfiguration: network });
    await expect(deleteCluster(deps, 'c1')).rejects.toMatchObject({ name: 'ClusterContainsTasksException' });
    expect((await describeCluster(deps, 'c1')).cluster).toMatchObject({ status: 'ACTIVE', pendingTasksCount: 1 });
  });
});
