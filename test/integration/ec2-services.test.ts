import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import type { Reconciler } from '../../lib/reconciler/reconciler';
import { createCluster } from '../../lib/usecases/clusters';
import { describeContainerInstances, launchContainerInstances } from '../../lib/usecases/container-instances';
import { createService, describeService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { runTask } from '../../lib/usecases/tasks';
import { freshDeps, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';

/** A bridge-mode task of 300 MiB with one dynamic host port: three fit on a t3.micro (944 MiB). */
const SMALL = {
  family: 'small',
  containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 300, portMappings: [{ containerPort: 80 }] }],
};
const SERVICES = ['a', 'b', 'c'];

/**
 * Three EC2 services that want 12 tasks in all on two instances that hold 6, planned by four
 * reconcilers passing at the same moment while RunTask launches on the same instances: whoever
 * commits first takes the capacity, and no instance is ever over-committed.
 */
describe('EC2 services on DynamoDB Local under concurrent reconcilers', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let reconcilers: Reconciler[];
  let instanceArns: string[];

  beforeAll(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock });
    reconcilers = Array.from({ length: 4 }, () => buildReconciler(testConfig(deps.tableName), { clock }).reconciler);
    await createCluster(deps, { clusterName: 'ec2' });
    await registerTaskDefinition(deps, validateTaskDefinition(SMALL));
    instanceArns = (await launchContainerInstances(deps, 'ec2', { instanceType: 't3.micro', count: 2 })).containerInstances.map(
      (instance) => instance.containerInstanceArn,
    );
  });

  const liveServiceTasks = async () =>
    (await Promise.all(SERVICES.map((name) => serviceTaskRecords(deps, 'ec2', name)))).flat().filter((task) => task.lastStatus !== 'STOPPED');

  it('never over-commits an instance, and the services that do not fit say so', async () => {
    for (const serviceName of SERVICES) {
      await createService(deps, { cluster: 'ec2', serviceName, taskDefinition: 'small', desiredCount: 4, launchType: 'EC2' });
    }
    let standalone = 0;
    for (let round = 0; round < 16; round++) {
      const racing = round % 4 === 0 ? [runTask(deps, { cluster: 'ec2', taskDefinition: 'small', launchType: 'EC2' })] : [];
      const [answer] = await Promise.all([...racing, ...reconcilers.map((reconciler) => reconciler.pass())]);
      if (answer && 'tasks' in answer) standalone += answer.tasks.length;
      await Promise.all(reconcilers.map((reconciler) => reconciler.release()));
      const { containerInstances } = await describeContainerInstances(deps, { cluster: 'ec2', containerInstances: instanceArns });
      for (const instance of containerInstances) {
        const memory = instance.remainingResources.find((resource) => resource.name === 'MEMORY')!.integerValue;
        expect(memory).toBeGreaterThanOrEqual(0);
        expect(instance.runningTasksCount + instance.pendingTasksCount).toBeLessThanOrEqual(3);
      }
      const live = await liveServiceTasks();
      expect(live.length + standalone).toBeLessThanOrEqual(6);
      for (const arn of instanceArns) expect(live.filter((task) => task.containerInstanceArn === arn).length).toBeLessThanOrEqual(3);
      clock.advance(250);
    }
    const live = await liveServiceTasks();
    // The instances are full: every slot went to a service task or a standalone one.
    expect(live.length + standalone).toBe(6);
    expect(live.every((task) => task.launchType === 'EC2' && instanceArns.includes(task.containerInstanceArn!))).toBe(true);
    const events = (await Promise.all(SERVICES.map((name) => describeService(deps, 'ec2', name)))).flatMap(({ service }) => service.events);
    const unplaced = events.filter((event) => event.message.includes('was unable to place a task'));
    expect(unplaced.length).toBeGreaterThan(0);
    expect(unplaced[0].message).toContain('has insufficient memory available.');
  });
});
