import {
  CreateCapacityProviderCommand,
  CreateServiceCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutClusterCapacityProvidersCommand,
  CreateClusterCommand,
  DeleteServiceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateCapacityProviderCommand,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import { CAPACITY_PROVIDER_OPERATIONS } from '../support/ec2';
import { checkedEcsClient } from '../support/ecs-wire';
import { api, fargateTaskDefinition, request } from '../support/http';
import { eventually } from '../support/poll';

const { client, checked } = checkedEcsClient();
afterAll(() => client.destroy());

const ASG = 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:6d2b79f5-0000-4000-8000-000000000001:autoScalingGroupName/e2e-asg';
const network = { awsvpcConfiguration: { subnets: ['subnet-0e2e'] } };

/**
 * Capacity providers through @aws-sdk/client-ecs on the fast profile: an Auto Scaling group
 * provider attached to a cluster with a default strategy launches its simulated instances, which
 * boot (5 s) before registering; a FARGATE_SPOT task interrupted on purpose gets the warning and is
 * replaced by its service. The two run side by side.
 */
describe('capacity providers', () => {
  it('attaches an Auto Scaling group provider whose instances boot, then register, with the reservation computed', async () => {
    const { capacityProvider } = await client.send(
      new CreateCapacityProviderCommand({
        name: 'e2e-cp',
        autoScalingGroupProvider: { autoScalingGroupArn: ASG, managedScaling: { status: 'ENABLED', targetCapacity: 100, maximumScalingStepSize: 2 }, managedTerminationProtection: 'ENABLED' },
        tags: [{ key: 'team', value: 'e2e' }],
      }),
    );
    expect(capacityProvider).toMatchObject({ name: 'e2e-cp', status: 'ACTIVE', autoScalingGroupProvider: { managedScaling: { instanceWarmupPeriod: 300 } } });
    const { capacityProviders } = await client.send(new DescribeCapacityProvidersCommand({ include: ['TAGS'] }));
    expect(capacityProviders?.map((provider) => provider.name)).toEqual(expect.arrayContaining(['FARGATE', 'FARGATE_SPOT', 'e2e-cp']));
    expect(capacityProviders?.find((provider) => provider.name === 'e2e-cp')?.tags).toEqual([{ key: 'team', value: 'e2e' }]);

    // The simulated group (ecsbox has no EC2 API): two instances at least.
    const group = await request('PUT', '/v1/capacity-providers/e2e-cp/auto-scaling-group', { instanceType: 't3.small', minSize: 2, maxSize: 4 });
    expect(group).toMatchObject({ status: 200, body: { autoScalingGroup: { autoScalingGroupName: 'e2e-asg', minSize: 2, desiredCapacity: 2, instances: [] } } });
    const attachedAt = Date.now();
    await client.send(new CreateClusterCommand({ clusterName: 'e2e-cp-cluster' }));
    const { cluster } = await client.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'e2e-cp-cluster',
        capacityProviders: ['e2e-cp', 'FARGATE'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'e2e-cp', weight: 1, base: 1 }],
      }),
    );
    expect(cluster).toMatchObject({ capacityProviders: ['e2e-cp', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'e2e-cp', weight: 1, base: 1 }] });
    await expect(client.send(new DeleteCapacityProviderCommand({ capacityProvider: 'e2e-cp' }))).rejects.toMatchObject({ name: 'ClientException' });

    const launched = await eventually(
      async () => {
        const { body } = await api.get('/v1/capacity-providers/e2e-cp');
        return body.autoScalingGroup?.instances.length === 2 ? body.autoScalingGroup.instances : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250, what: 'the group to launch two instances' },
    );
    expect(launched.map((instance: { availabilityZone: string }) => instance.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
    const registered = await eventually(
      async () => {
        const { containerInstanceArns } = await client.send(new ListContainerInstancesCommand({ cluster: 'e2e-cp-cluster' }));
        return containerInstanceArns?.length === 2 ? containerInstanceArns : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'two container instances' },
    );
    // They boot first, as EC2 instances do (a minute, 5 s on the fast profile).
    expect(Date.now() - attachedAt).toBeGreaterThanOrEqual(4_000);
    const { containerInstances } = await client.send(new DescribeContainerInstancesCommand({ cluster: 'e2e-cp-cluster', containerInstances: registered }));
    expect(containerInstances?.map((instance) => instance.ec2InstanceId).sort()).toEqual(launched.map((instance: { instanceId: string }) => instance.instanceId).sort());
    expect(containerInstances?.every((instance) => instance.attributes?.some((attribute) => attribute.name === 'ecs.instance-type' && attribute.value === 't3.small'))).toBe(true);
    // No task needs them: M = 0, N = 2.
    await eventually(async () => ((await api.get('/v1/capacity-providers/e2e-cp')).body.capacityProviderReservation === 0 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the reservation to be 0',
    });
    const described = await client.send(new DescribeClustersCommand({ clusters: ['e2e-cp-cluster'], include: ['ATTACHMENTS'] }));
    expect(described.clusters?.[0]).toMatchObject({ registeredContainerInstancesCount: 2, attachments: [{ type: 'as_policy' }] });

    const { capacityProvider: updated } = await client.send(
      new UpdateCapacityProviderCommand({ name: 'e2e-cp', autoScalingGroupProvider: { managedScaling: { targetCapacity: 80 } } }),
    );
    expect(updated?.autoScalingGroupProvider?.managedScaling).toMatchObject({ status: 'ENABLED', targetCapacity: 80, maximumScalingStepSize: 2 });

    // Detached, it can go (and the controller has nothing left to do for the files after this one).
    await client.send(new PutClusterCapacityProvidersCommand({ cluster: 'e2e-cp-cluster', capacityProviders: [], defaultCapacityProviderStrategy: [] }));
    const { capacityProvider: deleted } = await client.send(new DeleteCapacityProviderCommand({ capacityProvider: 'e2e-cp' }));
    expect(deleted).toMatchObject({ name: 'e2e-cp', status: 'INACTIVE' });
  }, 25_000);

  it('interrupts a FARGATE_SPOT task with the two-minute warning (10 s here); its service replaces it', async () => {
    await client.send(new CreateClusterCommand({ clusterName: 'e2e-spot', capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }));
    await client.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('e2e-spot') as any));
    await client.send(
      new CreateServiceCommand({ cluster: 'e2e-spot', serviceName: 'spot', taskDefinition: 'e2e-spot', desiredCount: 1, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], networkConfiguration: network }),
    );
    const tasksOf = async () => {
      const { taskArns } = await client.send(new ListTasksCommand({ cluster: 'e2e-spot', serviceName: 'spot' }));
      return taskArns?.length ? (await client.send(new DescribeTasksCommand({ cluster: 'e2e-spot', tasks: taskArns }))).tasks ?? [] : [];
    };
    const running = await eventually(async () => (await tasksOf()).find((task) => task.lastStatus === 'RUNNING'), { timeoutMs: 15_000, what: 'a RUNNING Spot task' });
    expect(running.capacityProviderName).toBe('FARGATE_SPOT');

    const interrupted = await api.post('/v1/clusters/e2e-spot/spot-interruptions', { count: 1 });
    expect(interrupted.status).toBe(200);
    expect(interrupted.body.tasks).toEqual([
      expect.objectContaining({ taskArn: running.taskArn, lastStatus: 'RUNNING', desiredStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }),
    ]);
    const warnedAt = Date.now();
    // The replacement is launched during the warning, while the interrupted task still runs (how
    // soon it reaches RUNNING is the simulated lifecycle's, which a loaded machine stretches).
    const replacement = await eventually(
      async () => {
        // ListTasks shows tasks meant to run: the warned one (desiredStatus STOPPED) is described by its ARN.
        const other = (await tasksOf()).find((task) => task.taskArn !== running.taskArn && task.lastStatus !== 'STOPPED');
        const [warned] = (await client.send(new DescribeTasksCommand({ cluster: 'e2e-spot', tasks: [running.taskArn!] }))).tasks ?? [];
        return other && warned?.lastStatus === 'RUNNING' ? other : undefined;
      },
      { timeoutMs: 9_000, intervalMs: 250, what: 'a replacement launched beside the warned task' },
    );
    await eventually(
      async () => {
        const [task] = (await client.send(new DescribeTasksCommand({ cluster: 'e2e-spot', tasks: [replacement.taskArn!] }))).tasks ?? [];
        return task?.lastStatus === 'RUNNING' ? task : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the replacement RUNNING' },
    );
    expect(replacement.capacityProviderName).toBe('FARGATE_SPOT');
    const stopped = await eventually(
      async () => {
        const [task] = (await client.send(new DescribeTasksCommand({ cluster: 'e2e-spot', tasks: [running.taskArn!] }))).tasks ?? [];
        return task?.lastStatus === 'STOPPED' ? task : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the interrupted task to stop' },
    );
    expect(Date.now() - warnedAt).toBeGreaterThanOrEqual(9_000);
    expect(stopped).toMatchObject({ stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' });
  }, 40_000);

  it('RunTask and a service of an Auto Scaling group provider wait in PROVISIONING until its group launches an instance, then run on it', async () => {
    const cluster = 'e2e-wait';
    await client.send(
      new CreateCapacityProviderCommand({
        name: 'e2e-wait-cp',
        autoScalingGroupProvider: { autoScalingGroupArn: ASG.replace('e2e-asg', 'e2e-wait-asg'), managedScaling: { status: 'ENABLED', targetCapacity: 100 } },
      }),
    );
    await client.send(new CreateClusterCommand({ clusterName: cluster }));
    await client.send(
      new PutClusterCapacityProvidersCommand({ cluster, capacityProviders: ['e2e-wait-cp'], defaultCapacityProviderStrategy: [{ capacityProvider: 'e2e-wait-cp', weight: 1 }] }),
    );
    // EC2-compatible (no requiresCompatibilities): four of them fit on one t3.medium, the group's type.
    await client.send(
      new RegisterTaskDefinitionCommand({ family: 'e2e-wait', networkMode: 'bridge', containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 256, memory: 512 }] }),
    );
    // The cluster's default strategy, and no instance at all: the tasks wait for the provider's capacity.
    const run = await client.send(new RunTaskCommand({ cluster, taskDefinition: 'e2e-wait', count: 2 }));
    expect(run.failures).toEqual([]);
    expect(run.tasks?.map((task) => [task.lastStatus, task.launchType, task.capacityProviderName, task.containerInstanceArn])).toEqual([
      ['PROVISIONING', 'EC2', 'e2e-wait-cp', undefined],
      ['PROVISIONING', 'EC2', 'e2e-wait-cp', undefined],
    ]);
    await client.send(
      new CreateServiceCommand({ cluster, serviceName: 'web', taskDefinition: 'e2e-wait', desiredCount: 2, capacityProviderStrategy: [{ capacityProvider: 'e2e-wait-cp', weight: 1 }] }),
    );
    // The waiting tasks need one instance and the group has none: it scales out.
    await eventually(async () => ((await api.get('/v1/capacity-providers/e2e-wait-cp')).body.autoScalingGroup?.desiredCapacity >= 1 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 250,
      what: 'the group to scale out',
    });
    const taskArns = run.tasks!.map((task) => task.taskArn!);
    const running = await eventually(
      async () => {
        const { tasks } = await client.send(new DescribeTasksCommand({ cluster, tasks: taskArns }));
        return tasks?.every((task) => task.lastStatus === 'RUNNING') ? tasks : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the standalone tasks to run' },
    );
    const result = await waitUntilServicesStable({ client, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { cluster, services: ['web'] });
    expect(result.state).toBe('SUCCESS');
    const { taskArns: serviceTasks } = await client.send(new ListTasksCommand({ cluster, serviceName: 'web' }));
    const { tasks: served } = await client.send(new DescribeTasksCommand({ cluster, tasks: serviceTasks! }));
    // Every task runs on an instance the provider's group launched.
    const instanceArns = [...new Set([...running, ...served!].map((task) => task.containerInstanceArn!))];
    const { containerInstances } = await client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: instanceArns }));
    expect(containerInstances?.map((instance) => instance.capacityProviderName)).toEqual(instanceArns.map(() => 'e2e-wait-cp'));
    expect(containerInstances?.reduce((sum, instance) => sum + (instance.runningTasksCount ?? 0), 0)).toBe(4);

    // Nothing left for the capacity controller in the files after this one.
    await client.send(new DeleteServiceCommand({ cluster, service: 'web', force: true }));
    await Promise.all(taskArns.map((task) => client.send(new StopTaskCommand({ cluster, task }))));
    // (once the deleted service's tasks have stopped: until then its strategy holds the provider)
    await eventually(
      () =>
        client
          .send(new PutClusterCapacityProvidersCommand({ cluster, capacityProviders: [], defaultCapacityProviderStrategy: [] }))
          .then(() => true)
          .catch(() => undefined),
      { timeoutMs: 15_000, intervalMs: 500, what: 'the provider to be detached' },
    );
  }, 40_000);

  it("checked a successful answer of every capacity provider operation against ECS's model", () => {
    expect([...checked].filter((name) => CAPACITY_PROVIDER_OPERATIONS.includes(name)).sort()).toEqual([...CAPACITY_PROVIDER_OPERATIONS].sort());
  });
});
