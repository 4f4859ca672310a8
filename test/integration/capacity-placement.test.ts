import { buildReconciler } from '../../lib/container';
import { capacityPass } from '../../lib/controllers/capacity/controller';
import type { Deps } from '../../lib/deps';
import type { TaskRecord } from '../../lib/domain/task';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { log } from '../../lib/log';
import type { Reconciler } from '../../lib/reconciler/reconciler';
import { createCapacityProvider, putClusterCapacityProviders, updateSimulatedGroup } from '../../lib/usecases/capacity-providers';
import { createCluster } from '../../lib/usecases/clusters';
import { launchContainerInstances } from '../../lib/usecases/container-instances';
import { createService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { runTask } from '../../lib/usecases/tasks';
import { freshDeps, testConfig, TestClock } from '../support/dynamo';

const ASG = 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f3c2b1a-1111-2222-3333-444455556677:autoScalingGroupName/placement-asg';
/** A boot on the fast profile, and a little more. */
const BOOT = 5_100;
/** A bridge-mode task of 300 MiB with one dynamic host port: three fit on a t3.micro (944 MiB). */
const SMALL = {
  family: 'small',
  containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 300, portMappings: [{ containerPort: 80 }] }],
};

/**
 * Tasks of an Auto Scaling group provider: RunTask records them waiting (the cluster has an
 * instance of its own, which they may not use), as the reconciler does a service's, and both wake the
 * capacity controller; the provider's group launches two t3.micro that hold 6 tasks, and four
 * reconcilers place the waiting ones at the same moments while RunTask launches EC2 tasks on the same
 * instances: no instance is ever over-committed, and only the provider's instances take the
 * provider's tasks.
 */
describe('tasks waiting for capacity on DynamoDB Local, placed by racing reconcilers', () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let reconcilers: Reconciler[];
  let ownInstance: string;
  /** The capacity controller's wake-ups: by the requests, and by the reconcilers. */
  const wakes = { requests: 0, reconcilers: 0 };

  beforeAll(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock, capacityTrigger: { wake: async () => void (wakes.requests += 1) } });
    const capacityTrigger = { wake: async () => void (wakes.reconcilers += 1) };
    reconcilers = Array.from({ length: 4 }, () => buildReconciler(testConfig(deps.tableName), { clock, capacityTrigger }).reconciler);
    await registerTaskDefinition(deps, validateTaskDefinition(SMALL));
    await createCapacityProvider(deps, { name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: ASG, managedScaling: { status: 'ENABLED' } } });
    await updateSimulatedGroup(deps, 'cp', { instanceType: 't3.micro', maxSize: 2 });
    await createCluster(deps, { clusterName: 'ec2' });
    await putClusterCapacityProviders(deps, { cluster: 'ec2', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] });
    ownInstance = (await launchContainerInstances(deps, 'ec2', { instanceType: 't3.micro', count: 1 })).containerInstances[0].containerInstanceArn;
  });

  const liveTasks = async () => (await deps.capacityProviders.liveTasks('ec2')).filter((task) => task.lastStatus !== 'STOPPED');
  const waiting = (tasks: TaskRecord[]) => tasks.filter((task) => task.containerInstanceArn === undefined);

  const expectNoInstanceOverCommitted = async () => {
    const tasks = await liveTasks();
    for (const instance of await deps.containerInstances.listLive('ec2')) {
      const on = tasks.filter((task) => task.containerInstanceArn?.endsWith(`/${instance.id}`));
      expect(on.length * 300).toBeLessThanOrEqual(instance.registered.memory);
      expect(instance.remaining.memory).toBeGreaterThanOrEqual(0);
      // The provider's tasks run on its group's instances only.
      if (instance.capacityProviderName !== 'cp') expect(on.filter((task) => task.capacityProviderName === 'cp')).toEqual([]);
    }
  };

  it('records the tasks waiting, however much room other instances have, and wakes the capacity controller', async () => {
    const before = wakes.requests;
    const { tasks, failures } = await runTask(deps, { cluster: 'ec2', taskDefinition: 'small', count: 8 });
    expect(wakes.requests).toBeGreaterThan(before);
    expect(failures).toEqual([]);
    expect(tasks.map((task) => [task.lastStatus, task.launchType, task.capacityProviderName, task.containerInstanceArn])).toEqual(
      Array.from({ length: 8 }, () => ['PROVISIONING', 'EC2', 'cp', undefined]),
    );
    await createService(deps, { cluster: 'ec2', serviceName: 'web', taskDefinition: 'small', desiredCount: 1, capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] });
    await Promise.all(reconcilers.map((reconciler) => reconciler.pass()));
    await Promise.all(reconcilers.map((reconciler) => reconciler.release()));
    // The service's task waits too, and the reconciler that recorded it woke the controller.
    expect(waiting(await liveTasks())).toHaveLength(9);
    expect(wakes.reconcilers).toBe(1);
  });

  it('places them as the group launches instances, never over-committing one while RunTask races', async () => {
    await capacityPass(deps, clock.now(), log);
    clock.advance(BOOT);
    // The group's two instances register (and the waiting tasks are made due at once).
    await capacityPass(deps, clock.now(), log);
    expect((await deps.containerInstances.listLive('ec2')).filter((instance) => instance.capacityProviderName === 'cp')).toHaveLength(2);
    let racing = 0;
    // Eight rounds with RunTask racing every other one, then two quiet ones (a pass that lost a race places again).
    for (let round = 0; round < 10; round++) {
      const launches = round % 2 === 0 && round < 8 ? [runTask(deps, { cluster: 'ec2', taskDefinition: 'small', launchType: 'EC2' })] : [];
      const [answer] = await Promise.all([...launches, ...reconcilers.map((reconciler) => reconciler.pass())]);
      if (answer && 'tasks' in answer) racing += answer.tasks.length;
      await Promise.all(reconcilers.map((reconciler) => reconciler.release()));
      await expectNoInstanceOverCommitted();
      clock.advance(500);
    }
    const tasks = await liveTasks();
    const placed = tasks.filter((task) => task.capacityProviderName === 'cp' && task.containerInstanceArn !== undefined);
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.every((task) => task.containerInstanceArn !== ownInstance && task.ref !== undefined)).toBe(true);
    // The group's two instances hold 6: every slot went to a waiting task or a racing one, or nothing waits any more.
    const onGroup = tasks.filter((task) => task.containerInstanceArn !== undefined && task.containerInstanceArn !== ownInstance);
    expect(waiting(tasks).length === 0 || onGroup.length === 6).toBe(true);
    expect(tasks.length).toBe(9 + racing);
  });
});
