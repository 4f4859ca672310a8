import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { CONTAINER_INSTANCE_OPERATIONS, identityDocument } from '../support/ec2';
import { checkedEcsClient } from '../support/ecs-wire';
import { api } from '../support/http';

const ARN = 'arn:aws:ecs:us-east-1:000000000000';
const { client, checked } = checkedEcsClient();
afterAll(() => client.destroy());

const CLUSTER = 'ec2-instances';

const resource = (resources: Array<{ name?: string; integerValue?: number; stringSetValue?: string[] }> | undefined, name: string) =>
  resources?.find((candidate) => candidate.name === name);

/** Every ARN ListContainerInstances gives for `filter`, one per page to exercise nextToken. */
const listed = async (input: { filter?: string; status?: 'ACTIVE' | 'DRAINING' } = {}) => {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListContainerInstancesCommand({ cluster: CLUSTER, ...input, maxResults: 2, nextToken }));
    expect(page.containerInstanceArns?.length ?? 0).toBeLessThanOrEqual(2);
    arns.push(...(page.containerInstanceArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns.sort();
};

describe('container instances over the ECS wire protocol', () => {
  let agentRegistered: string;
  const launched: string[] = [];

  it('registers an instance from its identity document with its type\'s resources, once per EC2 instance', async () => {
    await client.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const registration = {
      cluster: CLUSTER,
      instanceIdentityDocument: identityDocument('i-0123456789abcdef0', 't3.small', 'us-east-1a'),
      versionInfo: { agentVersion: '1.88.0', agentHash: 'abc1234', dockerVersion: 'DockerVersion: 25.0.6' },
      attributes: [{ name: 'stack', value: 'blue' }],
    };
    const { containerInstance } = await client.send(new RegisterContainerInstanceCommand(registration));
    agentRegistered = containerInstance!.containerInstanceArn!;
    expect(agentRegistered).toMatch(new RegExp(`^${ARN}:container-instance/${CLUSTER}/[0-9a-f]{32}$`));
    expect(containerInstance).toMatchObject({
      ec2InstanceId: 'i-0123456789abcdef0',
      status: 'ACTIVE',
      agentConnected: true,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      versionInfo: { agentVersion: '1.88.0' },
    });
    expect(resource(containerInstance!.registeredResources, 'CPU')?.integerValue).toBe(2048);
    expect(resource(containerInstance!.registeredResources, 'MEMORY')?.integerValue).toBe(1955);
    expect(resource(containerInstance!.remainingResources, 'PORTS')?.stringSetValue?.sort()).toEqual(['22', '2375', '2376', '51678', '51679']);
    expect(containerInstance!.attributes).toEqual(
      expect.arrayContaining([
        { name: 'ecs.instance-type', value: 't3.small' },
        { name: 'ecs.availability-zone', value: 'us-east-1a' },
        { name: 'ecs.os-type', value: 'linux' },
        { name: 'ecs.ami-id', value: 'ami-0123456789abcdef0' },
        { name: 'ecs.capability.task-eni' },
        { name: 'stack', value: 'blue' },
      ]),
    );
    // The agent restarts and registers again: the same container instance.
    const again = await client.send(new RegisterContainerInstanceCommand(registration));
    expect(again.containerInstance?.containerInstanceArn).toBe(agentRegistered);
    await expect(
      client.send(new RegisterContainerInstanceCommand({ ...registration, instanceIdentityDocument: '{"instanceId": "i-1"}' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('instanceIdentityDocument.instanceId') });
  });

  it('launches simulated instances through REST and counts them on the cluster', async () => {
    const answer = await api.post(`/v1/clusters/${CLUSTER}/container-instances`, { instanceType: 'm5.large', count: 3 });
    expect(answer.status).toBe(201);
    expect(answer.body.containerInstances.map((instance: any) => instance.attributes.find((a: any) => a.name === 'ecs.availability-zone').value)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
    expect(answer.body.containerInstances[0].registeredAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    launched.push(...answer.body.containerInstances.map((instance: any) => instance.containerInstanceArn));
    const refused = await api.post(`/v1/clusters/${CLUSTER}/container-instances`, { instanceType: 'x9.huge' });
    expect(refused).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException', message: expect.stringContaining('instanceType') } });
    const { clusters } = await client.send(new DescribeClustersCommand({ clusters: [CLUSTER] }));
    expect(clusters?.[0].registeredContainerInstancesCount).toBe(4);
  });

  it('lists instances by status and by the cluster query language', async () => {
    expect(await listed()).toEqual([agentRegistered, ...launched].sort());
    expect(await listed({ filter: 'attribute:ecs.instance-type == m5.large' })).toEqual([...launched].sort());
    expect(await listed({ filter: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1c] and not attribute:stack exists' })).toEqual(
      [launched[0], launched[2]].sort(),
    );
    expect(await listed({ filter: 'attribute:ecs.instance-type =~ t3.*' })).toEqual([agentRegistered]);
    expect(await listed({ filter: 'ec2InstanceId == i-0123456789abcdef0 or agentVersion < 1.0.0' })).toEqual([agentRegistered]);
    await expect(
      client.send(new ListContainerInstancesCommand({ cluster: CLUSTER, filter: 'attribute:ecs.instance-type === t3.micro' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining("unknown operator '==='") });
  });

  it('describes instances with tags and health, and missing ones as failures', async () => {
    const missing = `${ARN}:container-instance/${CLUSTER}/ffffffffffffffffffffffffffffffff`;
    const answer = await client.send(
      new DescribeContainerInstancesCommand({
        cluster: CLUSTER,
        containerInstances: [agentRegistered, launched[0].split('/').at(-1)!, missing],
        include: ['TAGS', 'CONTAINER_INSTANCE_HEALTH'],
      }),
    );
    expect(answer.containerInstances?.map((instance) => instance.containerInstanceArn)).toEqual([agentRegistered, launched[0]]);
    expect(answer.containerInstances?.[0]).toMatchObject({ tags: [], healthStatus: { overallStatus: 'OK' } });
    expect(answer.failures).toEqual([{ arn: missing, reason: 'MISSING' }]);
    const plain = await client.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: [agentRegistered] }));
    expect(plain.containerInstances?.[0]).not.toHaveProperty('healthStatus');
    expect(plain.containerInstances?.[0]).not.toHaveProperty('tags');
  });

  it('drains and reactivates instances', async () => {
    const drained = await client.send(
      new UpdateContainerInstancesStateCommand({ cluster: CLUSTER, containerInstances: [launched[1], 'ffffffffffffffffffffffffffffffff'], status: 'DRAINING' }),
    );
    expect(drained.containerInstances?.map((instance) => instance.status)).toEqual(['DRAINING']);
    expect(drained.failures).toEqual([{ arn: `${ARN}:container-instance/${CLUSTER}/ffffffffffffffffffffffffffffffff`, reason: 'MISSING' }]);
    expect(await listed({ status: 'DRAINING' })).toEqual([launched[1]]);
    await expect(
      client.send(new UpdateContainerInstancesStateCommand({ cluster: CLUSTER, containerInstances: [launched[1]], status: 'REGISTERING' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await client.send(new UpdateContainerInstancesStateCommand({ cluster: CLUSTER, containerInstances: [launched[1]], status: 'ACTIVE' }));
    expect(await listed({ status: 'DRAINING' })).toEqual([]);
  });

  it('puts, lists and deletes custom attributes within ECS\'s limit', async () => {
    const put = await client.send(
      new PutAttributesCommand({ cluster: CLUSTER, attributes: [{ name: 'stack', value: 'prod', targetType: 'container-instance', targetId: launched[2] }] }),
    );
    expect(put.attributes).toEqual([{ name: 'stack', value: 'prod', targetType: 'container-instance', targetId: launched[2] }]);
    const listedAttributes = await client.send(new ListAttributesCommand({ cluster: CLUSTER, targetType: 'container-instance', attributeName: 'stack' }));
    expect(listedAttributes.attributes?.map(({ value, targetId }) => [targetId, value]).sort()).toEqual(
      [[agentRegistered, 'blue'], [launched[2], 'prod']].sort(),
    );
    expect(await listed({ filter: 'attribute:stack == prod' })).toEqual([launched[2]]);
    await expect(
      client.send(new PutAttributesCommand({ cluster: CLUSTER, attributes: [{ name: 'x', targetId: 'ffffffffffffffffffffffffffffffff' }] })),
    ).rejects.toMatchObject({ name: 'TargetNotFoundException' });
    const eleven = Array.from({ length: 10 }, (_, index) => ({ name: `custom-${index}`, value: 'v', targetId: launched[2] }));
    await expect(client.send(new PutAttributesCommand({ cluster: CLUSTER, attributes: eleven }))).rejects.toMatchObject({
      name: 'AttributeLimitExceededException',
    });
    await client.send(new DeleteAttributesCommand({ cluster: CLUSTER, attributes: [{ name: 'stack', targetId: launched[2] }] }));
    expect(await listed({ filter: 'attribute:stack == prod' })).toEqual([]);
  });

  it('deregisters instances (the cluster cannot be deleted before), keeping them describable as INACTIVE', async () => {
    await expect(client.send(new DeleteClusterCommand({ cluster: CLUSTER }))).rejects.toMatchObject({
      name: 'ClusterContainsContainerInstancesException',
    });
    for (const arn of [agentRegistered, ...launched]) {
      const { containerInstance } = await client.send(new DeregisterContainerInstanceCommand({ cluster: CLUSTER, containerInstance: arn, force: true }));
      expect(containerInstance?.status).toBe('INACTIVE');
    }
    expect(await listed()).toEqual([]);
    const { containerInstances } = await client.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: [agentRegistered] }));
    expect(containerInstances?.[0].status).toBe('INACTIVE');
    const { clusters } = await client.send(new DescribeClustersCommand({ clusters: [CLUSTER] }));
    expect(clusters?.[0].registeredContainerInstancesCount).toBe(0);
    await client.send(new DeleteClusterCommand({ cluster: CLUSTER }));
  });

  it("checked a successful answer of every container instance operation against ECS's model", () => {
    expect([...checked].filter((name) => CONTAINER_INSTANCE_OPERATIONS.includes(name)).sort()).toEqual([...CONTAINER_INSTANCE_OPERATIONS].sort());
  });
});
