import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  type Task,
} from '@aws-sdk/client-ecs';
import { checkedEcsClient } from '../support/ecs-wire';
import { api } from '../support/http';
import { eventually } from '../support/poll';

/**
 * Services on container instances through @aws-sdk/client-ecs: placement by each strategy, the
 * event of a task that fits nowhere, a DAEMON service following a new instance, and an instance
 * drained during a rolling update, each settled by AWS's own ServicesStable waiter.
 */
const CLUSTER = 'e2e-ec2-services';
const { client } = checkedEcsClient();
afterAll(() => client.destroy());

const launchInstances = async (count: number, instanceType = 't3.medium'): Promise<string[]> => {
  const answer = await api.post(`/v1/clusters/${CLUSTER}/container-instances`, { instanceType, count });
  expect(answer.status).toBe(201);
  return answer.body.containerInstances.map((instance: { containerInstanceArn: string }) => instance.containerInstanceArn);
};

const register = async (family: string, image: string, memory = 128) =>
  (
    await client.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'bridge',
        containerDefinitions: [{ name: 'app', image, cpu: 128, memory, portMappings: [{ containerPort: 80, hostPort: 0 }] }],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;

const stable = async (...services: string[]) => {
  const result = await waitUntilServicesStable({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { cluster: CLUSTER, services });
  expect(result.state).toBe('SUCCESS');
};

const tasksOf = async (serviceName: string): Promise<Task[]> => {
  const { taskArns } = await client.send(new ListTasksCommand({ cluster: CLUSTER, serviceName }));
  if (!taskArns?.length) return [];
  return (await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }))).tasks!;
};

const describe1 = async (serviceName: string) =>
  (await client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [serviceName] }))).services![0];

describe('services on EC2 container instances', () => {
  let instances: string[];
  let web: string;

  beforeAll(async () => {
    await client.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    // Three instances, one per zone (us-east-1a, b, c).
    instances = await launchInstances(3);
    web = await register('e2e-ec2-web', 'nginx:1.27');
  });

  it('places by the default spread, binpack and random, and shows the placement on the service and its tasks', async () => {
    await Promise.all([
      // No launch type: ECS's default on a cluster without a default capacity provider strategy is EC2.
      client.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'spread', taskDefinition: web, desiredCount: 3 })),
      client.send(
        new CreateServiceCommand({
          cluster: CLUSTER,
          serviceName: 'packed',
          taskDefinition: web,
          desiredCount: 3,
          launchType: 'EC2',
          placementStrategy: [{ type: 'binpack', field: 'memory' }],
        }),
      ),
      client.send(
        new CreateServiceCommand({
          cluster: CLUSTER,
          serviceName: 'random',
          taskDefinition: web,
          desiredCount: 2,
          launchType: 'EC2',
          placementStrategy: [{ type: 'random' }],
          placementConstraints: [{ type: 'distinctInstance' }],
        }),
      ),
    ]);
    await stable('spread', 'packed', 'random');
    const spread = await tasksOf('spread');
    expect(new Set(spread.map((task) => task.containerInstanceArn)).size).toBe(3);
    expect(spread.every((task) => task.launchType === 'EC2')).toBe(true);
    const packed = await tasksOf('packed');
    expect(new Set(packed.map((task) => task.containerInstanceArn)).size).toBe(1);
    const random = await tasksOf('random');
    expect(new Set(random.map((task) => task.containerInstanceArn)).size).toBe(2);
    for (const task of [...spread, ...packed, ...random]) expect(instances).toContain(task.containerInstanceArn);
    const shown = await describe1('packed');
    expect(shown).toMatchObject({ launchType: 'EC2', schedulingStrategy: 'REPLICA', placementStrategy: [{ type: 'binpack', field: 'memory' }] });
    expect(shown.platformVersion).toBeUndefined();
    expect((await describe1('random')).placementConstraints).toEqual([{ type: 'distinctInstance' }]);
    expect(await describe1('spread')).toMatchObject({ launchType: 'EC2' });
  });

  it('says why a task cannot be placed, naming the closest instance', async () => {
    const huge = await register('e2e-ec2-huge', 'nginx:1.27', 8000);
    // Through the REST API, with no launch type: the same default (EC2) as the ECS wire protocol.
    const created = await api.post(`/v1/clusters/${CLUSTER}/services`, { serviceName: 'huge', taskDefinition: huge, desiredCount: 1 });
    expect(created.status).toBe(201);
    expect(created.body.service).toMatchObject({ launchType: 'EC2' });
    const event = await eventually(
      async () => (await describe1('huge')).events?.find((candidate) => candidate.message?.includes('unable to place a task')),
      { what: 'the placement failure event' },
    );
    expect(event.message).toMatch(
      /^\(service huge\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) has insufficient memory available\./,
    );
    expect(await tasksOf('huge')).toEqual([]);
    await client.send(new DeleteServiceCommand({ cluster: CLUSTER, service: 'huge', force: true }));
  });

  it('runs a DAEMON service on every instance, following a new one', async () => {
    const agent = await register('e2e-ec2-agent', 'datadog/agent:7');
    const { service } = await client.send(
      new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'agent', taskDefinition: agent, schedulingStrategy: 'DAEMON' }),
    );
    expect(service).toMatchObject({ schedulingStrategy: 'DAEMON', launchType: 'EC2', deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 } });
    await stable('agent');
    expect((await describe1('agent')).desiredCount).toBe(3);
    const [added] = await launchInstances(1);
    instances.push(added);
    await eventually(async () => ((await tasksOf('agent')).some((task) => task.containerInstanceArn === added && task.lastStatus === 'RUNNING') ? true : undefined), {
      what: 'a daemon task on the new instance',
    });
    await stable('agent');
    expect((await describe1('agent')).desiredCount).toBe(4);
    const { serviceArns } = await client.send(new ListServicesCommand({ cluster: CLUSTER, schedulingStrategy: 'DAEMON' }));
    expect(serviceArns).toEqual([expect.stringMatching(/:service\/e2e-ec2-services\/agent$/)]);
    const ec2 = await client.send(new ListServicesCommand({ cluster: CLUSTER, launchType: 'EC2', maxResults: 100 }));
    expect(ec2.serviceArns?.map((arn) => arn.split('/').at(-1)).sort()).toEqual(['agent', 'packed', 'random', 'spread']);
  });

  it.each([
    ['a binpack field other than cpu or memory', { launchType: 'EC2', desiredCount: 1, placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 'binpack'],
    ['a memberOf constraint that does not parse', { launchType: 'EC2', desiredCount: 1, placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack ==' }] }, 'expression'],
    ['placement on Fargate', { launchType: 'FARGATE', desiredCount: 1, placementConstraints: [{ type: 'distinctInstance' }] }, 'Fargate'],
    ['a desired count for DAEMON', { schedulingStrategy: 'DAEMON', desiredCount: 2 }, 'desired count'],
    ['DAEMON on Fargate', { schedulingStrategy: 'DAEMON', launchType: 'FARGATE' }, 'FARGATE'],
  ])('refuses %s with InvalidParameterException, creating nothing', async (_, input, words) => {
    await expect(
      client.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'refused', taskDefinition: web, ...(input as object) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining(words) });
    expect((await client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['refused'] }))).failures).toHaveLength(1);
  });

  it('moves the tasks off a DRAINING instance during a rolling update, within the deployment bounds', async () => {
    const drained = (await tasksOf('spread'))[0].containerInstanceArn!;
    const next = await register('e2e-ec2-web', 'nginx:1.28');
    await client.send(
      new UpdateServiceCommand({
        cluster: CLUSTER,
        service: 'spread',
        taskDefinition: next,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
      }),
    );
    await client.send(new UpdateContainerInstancesStateCommand({ cluster: CLUSTER, containerInstances: [drained], status: 'DRAINING' }));
    await stable('spread', 'packed', 'random', 'agent');
    const all = await Promise.all(['spread', 'packed', 'random', 'agent'].map(tasksOf));
    expect(all.flat().filter((task) => task.containerInstanceArn === drained)).toEqual([]);
    const spread = await tasksOf('spread');
    expect(spread).toHaveLength(3);
    expect(spread.every((task) => task.taskDefinitionArn === next)).toBe(true);
    expect((await describe1('agent')).desiredCount).toBe(3);
  });
});
