import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster, describeCluster } from '../../lib/usecases/clusters';
import { describeContainerInstances, launchContainerInstances } from '../../lib/usecases/container-instances';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { describeTasks, runTask, startTask, stopTask } from '../../lib/usecases/tasks';
import { freshDeps, testConfig, TestClock } from '../support/dynamo';

/** A bridge-mode task of 300 MiB with one dynamic host port: three fit on a t3.micro (944 MiB). */
const SMALL = {
  family: 'small',
  containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 300, portMappings: [{ containerPort: 80 }] }],
};

describe('EC2 tasks on DynamoDB Local', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let instanceArns: string[];

  beforeAll(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock });
    await createCluster(deps, { clusterName: 'ec2' });
    await registerTaskDefinition(deps, validateTaskDefinition(SMALL));
    const launched = await launchContainerInstances(deps, 'ec2', { instanceType: 't3.micro', count: 2 });
    instanceArns = launched.containerInstances.map((instance) => instance.containerInstanceArn);
  });

  const instances = async () =>
    (await describeContainerInstances(deps, { cluster: 'ec2', containerInstances: instanceArns })).containerInstances;
  const memoryLeft = (instance: { remainingResources: Array<{ name: string; integerValue: number }> }) =>
    instance.remainingResources.find((resource) => resource.name === 'MEMORY')!.integerValue;

  it('never over-commits an instance when 12 RunTasks race for 2 instances that hold 6', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => runTask(deps, { cluster: 'ec2', taskDefinition: 'small' })));
    const tasks = answers.flatMap((answer) => answer.tasks);
    const failures = answers.flatMap((answer) => answer.failures);
    expect(tasks).toHaveLength(6);
    expect(failures.length).toBeGreaterThanOrEqual(6);
    expect(new Set(failures.map((failure) => failure.reason))).toEqual(new Set(['RESOURCE:MEMORY']));
    expect(new Set(failures.map((failure) => failure.arn))).toEqual(new Set(instanceArns));
    for (const arn of instanceArns) {
      const on = tasks.filter((task) => task.containerInstanceArn === arn);
      expect(on).toHaveLength(3);
      // Every dynamic host port of an instance is given once.
      const ports = on.flatMap((task) => task.containers.flatMap((container) => (container as { networkBindings?: Array<{ hostPort: number }> }).networkBindings ?? []));
      expect(new Set(ports.map((binding) => binding.hostPort)).size).toBe(ports.length);
    }
    for (const instance of await instances()) {
      expect(memoryLeft(instance)).toBe(944 - 900);
      expect(instance.runningTasksCount + instance.pendingTasksCount).toBe(3);
    }
    expect((await describeCluster(deps, 'ec2')).cluster).toMatchObject({ registeredContainerInstancesCount: 2, pendingTasksCount: 6 });
  });

  it('releases a stopped task\'s share with no write to the instance, and StartTask takes it again', async () => {
    const [first] = instanceArns;
    const taskArns = await describeTasksOn(first);
    await stopTask(deps, 'ec2', taskArns[0]);
    const reconciler = buildReconciler(testConfig(deps.tableName), { clock }).reconciler;
    for (let round = 0; round < 40; round++) {
      await reconciler.pass();
      clock.advance(1000);
    }
    await reconciler.release();
    const [stopped] = (await describeTasks(deps, 'ec2', [taskArns[0]])).tasks;
    expect(stopped.lastStatus).toBe('STOPPED');
    expect(memoryLeft((await instances()).find((instance) => instance.containerInstanceArn === first)!)).toBe(944 - 600);
    const started = await startTask(deps, { cluster: 'ec2', taskDefinition: 'small', containerInstances: [first, first, 'f'.repeat(32)] });
    expect(started.tasks.map((task) => task.containerInstanceArn)).toEqual([first]);
    expect(started.failures).toEqual([
      { arn: first, reason: 'RESOURCE:MEMORY' },
      { arn: 'f'.repeat(32), reason: 'MISSING' },
    ]);
  });

  /** The live tasks on an instance, by a describe of every task the cluster lists. */
  const describeTasksOn = async (instanceArn: string) => {
    const page = await deps.tasks.list('ec2', { desiredStatus: 'RUNNING' }, { maxResults: 100 }, clock.now());
    const { tasks } = await describeTasks(deps, 'ec2', page.items);
    return tasks.filter((task) => task.containerInstanceArn === instanceArn).map((task) => task.taskArn);
  };
});
