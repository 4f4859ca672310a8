import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { checkedEcsClient } from '../support/ecs-wire';
import { eventually } from '../support/poll';

/**
 * AWS's own ServicesStable waiter (what `aws ecs wait services-stable` and deployment tools use)
 * succeeds only when a service shows exactly one deployment and runningCount == desiredCount. It
 * must return within seconds after each kind of change a service goes through.
 */
describe('waitUntilServicesStable from @aws-sdk/client-ecs', () => {
  let client: ECSClient;
  const cluster = 'e2e-stable';
  const network = { awsvpcConfiguration: { subnets: ['subnet-12345678'] } };

  beforeAll(async () => {
    client = checkedEcsClient().client;
    await client.send(new CreateClusterCommand({ clusterName: cluster }));
  });

  afterAll(() => client.destroy());

  const register = async (image: string) =>
    (
      await client.send(
        new RegisterTaskDefinitionCommand({
          family: 'e2e-stable-web',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;

  /** Waits as the tools do, then checks what the waiter saw. */
  const settles = async (serviceName: string, desiredCount: number, taskDefinition: string) => {
    const result = await waitUntilServicesStable(
      { client, maxWaitTime: 45, minDelay: 1, maxDelay: 1 },
      { cluster, services: [serviceName] },
    );
    expect(result.state).toBe('SUCCESS');
    const [service] = (await client.send(new DescribeServicesCommand({ cluster, services: [serviceName] }))).services!;
    expect(service).toMatchObject({ desiredCount, runningCount: desiredCount, pendingCount: 0, taskDefinition });
    // The waiter's rule; the rollout itself completes once the tasks count as healthy.
    expect(service.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition })]);
    return service;
  };

  it('returns after create, scale, rollout and a forced deployment', async () => {
    const first = await register('nginx:1.27');
    await client.send(
      new CreateServiceCommand({ launchType: 'FARGATE', cluster, serviceName: 'web', taskDefinition: first, desiredCount: 2, networkConfiguration: network }),
    );
    await settles('web', 2, first);

    await client.send(new UpdateServiceCommand({ cluster, service: 'web', desiredCount: 3 }));
    await settles('web', 3, first);

    const second = await register('nginx:1.28');
    const rolling = await client.send(new UpdateServiceCommand({ cluster, service: 'web', taskDefinition: second }));
    expect(rolling.service!.deployments!.map((deployment) => deployment.status)).toEqual(['PRIMARY', 'ACTIVE']);
    const rolled = await settles('web', 3, second);

    await client.send(new UpdateServiceCommand({ cluster, service: 'web', forceNewDeployment: true }));
    const forced = await settles('web', 3, second);
    expect(forced.deployments![0].id).not.toBe(rolled.deployments![0].id);
  });

  it('returns after the circuit breaker rolls a failing deployment back', async () => {
    const good = await register('nginx:1.27');
    await client.send(
      new CreateServiceCommand({
        launchType: 'FARGATE',
        cluster,
        serviceName: 'rollback',
        taskDefinition: good,
        desiredCount: 2,
        networkConfiguration: network,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const before = await settles('rollback', 2, good);
    // The breaker rolls back to the last COMPLETED deployment: let this one complete first.
    await eventually(
      async () => {
        const [service] = (await client.send(new DescribeServicesCommand({ cluster, services: ['rollback'] }))).services!;
        return service.deployments![0].rolloutState === 'COMPLETED' ? true : undefined;
      },
      { what: 'the first deployment to complete' },
    );

    const broken = await register('nginx:does-not-exist');
    await client.send(new UpdateServiceCommand({ cluster, service: 'rollback', taskDefinition: broken }));
    const after = await settles('rollback', 2, good);
    expect(after.deployments![0].id).not.toBe(before.deployments![0].id);
    expect(after.events!.map((event) => event.message)).toContainEqual(expect.stringMatching(/deployment failed: tasks failed to start\.$/));
  });
});
