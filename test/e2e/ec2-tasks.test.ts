import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  type ContainerInstance,
} from '@aws-sdk/client-ecs';
import { EC2_TASK_OPERATIONS } from '../support/ec2';
import { checkedEcsClient } from '../support/ecs-wire';
import { api } from '../support/http';
import { eventually } from '../support/poll';

const { client, checked } = checkedEcsClient();
afterAll(() => client.destroy());

const CLUSTER = 'ec2-tasks';

const memoryOf = (instance: ContainerInstance, which: 'remainingResources' | 'registeredResources') =>
  instance[which]!.find((resource) => resource.name === 'MEMORY')!.integerValue!;

const describeInstances = async (arns: string[]) =>
  (await client.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: arns }))).containerInstances!;

describe('standalone tasks on container instances through @aws-sdk/client-ecs', () => {
  let instances: string[];

  beforeAll(async () => {
    await client.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const launched = await api.post(`/v1/clusters/${CLUSTER}/container-instances`, { instanceType: 't3.small', count: 3 });
    expect(launched.status).toBe(201);
    instances = launched.body.containerInstances.map((instance: { containerInstanceArn: string }) => instance.containerInstanceArn);
    // No requiresCompatibilities: EC2-only, bridge by default, sized by the container's memory.
    await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'ec2-web',
        containerDefinitions: [{ name: 'web', image: 'nginx:1.27', memory: 256, portMappings: [{ containerPort: 80 }] }],
      }),
    );
    await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'ec2-host',
        networkMode: 'host',
        containerDefinitions: [{ name: 'api', image: 'nginx:1.27', memoryReservation: 128, portMappings: [{ containerPort: 8080 }] }],
      }),
    );
    await client.send(
      new RegisterTaskDefinitionCommand({ family: 'ec2-huge', containerDefinitions: [{ name: 'big', image: 'nginx:1.27', memory: 4096 }] }),
    );
  });

  it('binpacks on memory, spreads by instance, and defaults to EC2 with no launch type', async () => {
    const packed = await client.send(
      new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'ec2-web', count: 3, group: 'packed', placementStrategy: [{ type: 'binpack', field: 'memory' }] }),
    );
    expect(packed.failures).toEqual([]);
    expect(packed.tasks!.every((task) => task.launchType === 'EC2')).toBe(true);
    expect(new Set(packed.tasks!.map((task) => task.containerInstanceArn)).size).toBe(1);
    const spread = await client.send(
      new RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: 'ec2-web',
        launchType: 'EC2',
        count: 3,
        group: 'spread',
        placementStrategy: [{ type: 'spread', field: 'instanceId' }],
      }),
    );
    expect(new Set(spread.tasks!.map((task) => task.containerInstanceArn))).toEqual(new Set(instances));
    const [running] = (
      await eventually(
        async () => {
          const { tasks } = await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [packed.tasks![0].taskArn!] }));
          return tasks?.[0]?.lastStatus === 'RUNNING' ? tasks : undefined;
        },
        { what: 'an EC2 task to run' },
      )
    );
    const [binding] = running.containers![0].networkBindings!;
    expect(binding).toMatchObject({ bindIP: '0.0.0.0', containerPort: 80, protocol: 'tcp' });
    expect(binding.hostPort).toBeGreaterThanOrEqual(32768);
    expect(running.platformVersion).toBeUndefined();
    const listed = await client.send(new ListTasksCommand({ cluster: CLUSTER, containerInstance: running.containerInstanceArn }));
    expect(listed.taskArns!.length).toBeGreaterThanOrEqual(3);
  });

  it('starts host-mode tasks on named instances, with failures per instance', async () => {
    const [first, second] = instances;
    const started = await client.send(new StartTaskCommand({ cluster: CLUSTER, taskDefinition: 'ec2-host', containerInstances: [first, first, second] }));
    expect(started.tasks!.map((task) => task.containerInstanceArn)).toEqual([first, second]);
    expect(started.failures).toEqual([{ arn: first, reason: 'RESOURCE:PORTS' }]);
    expect(started.tasks![0].containers![0]).toMatchObject({ name: 'api' });
  });

  it('answers a task no instance can hold with RESOURCE:MEMORY for each instance', async () => {
    const refused = await client.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'ec2-huge', launchType: 'EC2' }));
    expect(refused.tasks).toEqual([]);
    expect(refused.failures!.map((failure) => failure.reason)).toEqual(['RESOURCE:MEMORY', 'RESOURCE:MEMORY', 'RESOURCE:MEMORY']);
    expect(new Set(refused.failures!.map((failure) => failure.arn))).toEqual(new Set(instances));
    await expect(client.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'ec2-web', launchType: 'FARGATE' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Task definition does not support launch_type FARGATE.',
    });
  });

  it('counts tasks on instances and the cluster while they run, and gives everything back once they stop', async () => {
    const described = await describeInstances(instances);
    expect(described.reduce((sum, instance) => sum + instance.runningTasksCount! + instance.pendingTasksCount!, 0)).toBe(8);
    const [cluster] = (await client.send(new DescribeClustersCommand({ clusters: [CLUSTER], include: ['STATISTICS'] }))).clusters!;
    expect(cluster.registeredContainerInstancesCount).toBe(3);
    expect(cluster.runningTasksCount! + cluster.pendingTasksCount!).toBe(8);
    const ec2Tasks = cluster.statistics!.filter((statistic) => /EC2TasksCount$/.test(statistic.name!)).reduce((sum, statistic) => sum + Number(statistic.value), 0);
    expect(ec2Tasks).toBe(8);
    const { taskArns } = await client.send(new ListTasksCommand({ cluster: CLUSTER, launchType: 'EC2' }));
    expect(taskArns).toHaveLength(8);
    await Promise.all(taskArns!.map((task) => client.send(new StopTaskCommand({ cluster: CLUSTER, task }))));
    await eventually(
      async () => {
        const now = await describeInstances(instances);
        return now.every((instance) => instance.runningTasksCount === 0 && instance.pendingTasksCount === 0 && memoryOf(instance, 'remainingResources') === memoryOf(instance, 'registeredResources'))
          ? true
          : undefined;
      },
      { what: 'the instances to be empty again' },
    );
  });

  it("checked a successful answer of each of these operations against ECS's model", () => {
    expect(EC2_TASK_OPERATIONS.filter((operation) => !checked.has(operation))).toEqual([]);
  });
});
