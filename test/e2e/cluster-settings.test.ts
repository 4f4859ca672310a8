import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { checkedEcsClient } from '../support/ecs-wire';
import { fargateTaskDefinition } from '../support/http';
import { tableSnapshot } from '../support/table-snapshot';

/**
 * CreateCluster's settings and capacity providers, and DescribeClusters' include, through the real
 * SDK: every answer is checked against ECS's model (checkedEcsClient), refusals name the member.
 */
const { client } = checkedEcsClient();
afterAll(() => client.destroy());

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('cluster settings and capacity providers over the ECS wire protocol', () => {
  it('accepts and echoes containerInsights, FARGATE/FARGATE_SPOT and a default strategy', async () => {
    const { cluster } = await client.send(
      new CreateClusterCommand({
        clusterName: 'cp-echo',
        settings: [{ name: 'containerInsights', value: 'enhanced' }],
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1, base: 2 },
          { capacityProvider: 'FARGATE_SPOT', weight: 4 },
        ],
      }),
    );
    expect(cluster).toMatchObject({
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 2 },
        { capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0 },
      ],
    });

    const plain = (await client.send(new DescribeClustersCommand({ clusters: ['cp-echo'] }))).clusters![0];
    expect(plain.settings).toBeUndefined();
    expect(plain.statistics).toEqual([]);
    expect(plain.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
    expect(plain.defaultCapacityProviderStrategy).toHaveLength(2);

    const full = (
      await client.send(new DescribeClustersCommand({ clusters: ['cp-echo'], include: ['SETTINGS', 'STATISTICS', 'TAGS'] }))
    ).clusters![0];
    expect(full.settings).toEqual([{ name: 'containerInsights', value: 'enhanced' }]);
    expect(full.tags).toEqual([]);
    expect(full.statistics).toEqual(
      [
        'runningEC2TasksCount',
        'runningFargateTasksCount',
        'pendingEC2TasksCount',
        'pendingFargateTasksCount',
        'activeEC2ServiceCount',
        'activeFargateServiceCount',
        'drainingEC2ServiceCount',
        'drainingFargateServiceCount',
      ].map((name) => ({ name, value: '0' })),
    );
  });

  it('counts tasks and services by launch type in STATISTICS', async () => {
    await client.send(new CreateClusterCommand({ clusterName: 'cp-stats' }));
    await client.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('cp-stats') as RegisterTaskDefinitionCommandInput));
    await client.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: 'cp-stats', taskDefinition: 'cp-stats', count: 2, networkConfiguration: network }));
    for (const serviceName of ['kept', 'drained']) {
      await client.send(
        new CreateServiceCommand({ launchType: 'FARGATE', cluster: 'cp-stats', serviceName, taskDefinition: 'cp-stats', desiredCount: 0, networkConfiguration: network }),
      );
    }
    await client.send(new DeleteServiceCommand({ cluster: 'cp-stats', service: 'drained' }));
    const { clusters } = await client.send(new DescribeClustersCommand({ clusters: ['cp-stats'], include: ['STATISTICS'] }));
    const statistics = Object.fromEntries(clusters![0].statistics!.map(({ name, value }) => [name, Number(value)]));
    expect(statistics.runningFargateTasksCount + statistics.pendingFargateTasksCount).toBe(2);
    expect(statistics.runningFargateTasksCount).toBe(clusters![0].runningTasksCount);
    expect(statistics.activeFargateServiceCount).toBe(1);
    // The deleted service drains until the reconciler retires it.
    expect(statistics.drainingFargateServiceCount).toBeLessThanOrEqual(1);
    expect(statistics.runningEC2TasksCount + statistics.activeEC2ServiceCount).toBe(0);
  });

  it.each([
    ['an unknown capacity provider', { capacityProviders: ['MY_ASG'] }, /capacity provider 'MY_ASG'/],
    ['a duplicate capacity provider', { capacityProviders: ['FARGATE', 'FARGATE'] }, /capacityProviders/],
    [
      'a strategy naming a provider the cluster lacks',
      { capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] },
      /not associated with the cluster/,
    ],
    [
      'a base on two providers',
      {
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1, base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 1 },
        ],
      },
      /base/,
    ],
    [
      'a weight over 1000',
      { capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] },
      /weight/,
    ],
    [
      'a base over 100000',
      { capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 100001 }] },
      /base/,
    ],
    ['an unknown setting', { settings: [{ name: 'fancyInsights', value: 'enabled' }] }, /settings/],
    ['an unknown containerInsights value', { settings: [{ name: 'containerInsights', value: 'maybe' }] }, /settings/],
  ])('refuses %s, naming it, and stores nothing', async (_, members, message) => {
    const before = await tableSnapshot();
    const refusal = await client
      .send(new CreateClusterCommand({ clusterName: 'cp-refused', ...(members as object) }))
      .catch((error: Error) => error);
    expect(refusal).toMatchObject({ name: expect.stringMatching(/^(ClientException|InvalidParameterException)$/) });
    expect((refusal as Error).message).toMatch(message);
    expect(await tableSnapshot()).toEqual(before);
  });
});

describe("ECS's per-call quotas over the ECS wire protocol", () => {
  beforeAll(async () => {
    await client.send(new CreateClusterCommand({ clusterName: 'quota' }));
    await client.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('quota') as RegisterTaskDefinitionCommandInput));
  });

  it.each([
    [
      'desiredCount over 5,000 tasks per service',
      () =>
        client.send(
          new CreateServiceCommand({ launchType: 'FARGATE', cluster: 'quota', serviceName: 'big', taskDefinition: 'quota', desiredCount: 5001, networkConfiguration: network }),
        ),
      /desiredCount/,
    ],
    ['11 services in one DescribeServices', () => client.send(new DescribeServicesCommand({ cluster: 'quota', services: Array(11).fill('web') })), /services/],
    ['101 tasks in one DescribeTasks', () => client.send(new DescribeTasksCommand({ cluster: 'quota', tasks: Array(101).fill('0123') })), /tasks/],
    [
      '11 revisions in one DeleteTaskDefinitions',
      () => client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: Array(11).fill('quota:1') })),
      /taskDefinitions/,
    ],
  ])('refuses %s, naming the member, and stores nothing', async (_, send, message) => {
    const before = await tableSnapshot(['quota']);
    const refusal = await send().catch((error: Error) => error);
    expect(refusal).toMatchObject({ name: expect.stringMatching(/^(ClientException|InvalidParameterException)$/) });
    expect((refusal as Error).message).toMatch(message);
    expect(await tableSnapshot(['quota'])).toEqual(before);
  });
});
