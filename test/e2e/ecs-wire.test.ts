import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  DeleteClusterCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { operations } from '../../lib/protocols/ecs/operations';
import { CAPACITY_PROVIDER_OPERATIONS, CONTAINER_INSTANCE_OPERATIONS, EC2_TASK_OPERATIONS } from '../support/ec2';
import { checkedEcsClient, TARGET_PREFIX, wireRequest } from '../support/ecs-wire';
import { fargateTaskDefinition, request } from '../support/http';
import { eventually } from '../support/poll';
import { tableSnapshot } from '../support/table-snapshot';

const ARN = 'arn:aws:ecs:us-east-1:000000000000';
const { client, checked } = checkedEcsClient();

afterAll(() => client.destroy());

const registration = (family: string, overrides: Record<string, unknown> = {}) =>
  fargateTaskDefinition(family, overrides) as RegisterTaskDefinitionCommandInput;

/** Every page of a paginated ECS list, one item per page, to exercise nextToken. */
const allPages = async <T>(page: (nextToken: string | undefined) => Promise<{ items?: T[]; nextToken?: string }>) => {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const answer = await page(nextToken);
    expect(answer.items?.length ?? 0).toBeLessThanOrEqual(1);
    items.push(...(answer.items ?? []));
    nextToken = answer.nextToken;
  } while (nextToken);
  return items;
};

describe('clusters over the ECS wire protocol', () => {
  it('creates, describes, lists and deletes clusters as ECS does', async () => {
    const { cluster } = await client.send(
      new CreateClusterCommand({ clusterName: 'wire-a', tags: [{ key: 'team', value: 'a' }] }),
    );
    expect(cluster).toEqual({
      clusterArn: `${ARN}:cluster/wire-a`,
      clusterName: 'wire-a',
      status: 'ACTIVE',
      activeServicesCount: 0,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      registeredContainerInstancesCount: 0,
      statistics: [],
      tags: [{ key: 'team', value: 'a' }],
      settings: [{ name: 'containerInsights', value: 'disabled' }],
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    });
    expect((await client.send(new CreateClusterCommand({ clusterName: 'wire-a' }))).cluster).toEqual(cluster);

    const described = await client.send(
      new DescribeClustersCommand({ clusters: ['wire-a', `${ARN}:cluster/wire-a`, 'wire-never'], include: ['TAGS'] }),
    );
    expect(described.clusters?.map((found) => [found.clusterName, found.tags])).toEqual([
      ['wire-a', [{ key: 'team', value: 'a' }]],
      ['wire-a', [{ key: 'team', value: 'a' }]],
    ]);
    expect(described.failures).toEqual([{ arn: `${ARN}:cluster/wire-never`, reason: 'MISSING' }]);
    const withoutTags = await client.send(new DescribeClustersCommand({ clusters: ['wire-a'] }));
    expect(withoutTags.clusters?.[0].tags).toBeUndefined();

    for (const name of ['wire-p1', 'wire-p2', 'wire-p3']) await client.send(new CreateClusterCommand({ clusterName: name }));
    const listed = await allPages(async (nextToken) => {
      const page = await client.send(new ListClustersCommand({ maxResults: 1, nextToken }));
      return { items: page.clusterArns, nextToken: page.nextToken };
    });
    expect(listed).toEqual(expect.arrayContaining(['wire-a', 'wire-p1', 'wire-p2', 'wire-p3'].map((name) => `${ARN}:cluster/${name}`)));
    expect(new Set(listed).size).toBe(listed.length);

    expect((await client.send(new DeleteClusterCommand({ cluster: 'wire-p2' }))).cluster).toMatchObject({
      clusterName: 'wire-p2',
      status: 'INACTIVE',
    });
    // ECS goes on describing a deleted cluster, as INACTIVE, and stops listing it.
    const deleted = await client.send(new DescribeClustersCommand({ clusters: [`${ARN}:cluster/wire-p2`] }));
    expect(deleted.clusters?.[0].status).toBe('INACTIVE');
    expect((await client.send(new ListClustersCommand({}))).clusterArns).not.toContain(`${ARN}:cluster/wire-p2`);
  });

  it('describes the "default" cluster when no cluster is named', async () => {
    await client.send(new CreateClusterCommand({}));
    const described = await client.send(new DescribeClustersCommand({}));
    expect(described.clusters?.map((cluster) => cluster.clusterArn)).toEqual([`${ARN}:cluster/default`]);
    expect(described.failures).toEqual([]);
  });
});

describe('task definitions over the ECS wire protocol', () => {
  it('registers, describes, lists, deregisters and deletes revisions', async () => {
    const before = Date.now();
    const first = await client.send(
      new RegisterTaskDefinitionCommand(registration('wire-web', { tags: [{ key: 'app', value: 'web' }] })),
    );
    expect(first.taskDefinition).toMatchObject({
      taskDefinitionArn: `${ARN}:task-definition/wire-web:1`,
      revision: 1,
      status: 'ACTIVE',
      cpu: '256',
      memory: '512',
      compatibilities: ['EC2', 'FARGATE'],
      containerDefinitions: [{ name: 'web', essential: true, portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }] }],
    });
    expect(first.tags).toEqual([{ key: 'app', value: 'web' }]);
    // Epoch seconds on the wire, which the SDK turns into a Date.
    expect(first.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    expect(first.taskDefinition!.registeredAt!.getTime()).toBeGreaterThanOrEqual(before - 5000);
    await client.send(new RegisterTaskDefinitionCommand(registration('wire-web', { cpu: '1 vCPU', memory: '2 GB' })));

    const revisionOf = async (taskDefinition: string) =>
      (await client.send(new DescribeTaskDefinitionCommand({ taskDefinition }))).taskDefinition?.revision;
    expect(await revisionOf('wire-web')).toBe(2);
    expect(await revisionOf('wire-web:1')).toBe(1);
    expect(await revisionOf(`${ARN}:task-definition/wire-web:1`)).toBe(1);
    const withTags = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'wire-web:1', include: ['TAGS'] }));
    expect(withTags.tags).toEqual([{ key: 'app', value: 'web' }]);
    expect((await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'wire-web:1' }))).tags).toBeUndefined();

    const listed = await allPages(async (nextToken) => {
      const page = await client.send(
        new ListTaskDefinitionsCommand({ familyPrefix: 'wire-web', sort: 'DESC', maxResults: 1, nextToken }),
      );
      return { items: page.taskDefinitionArns, nextToken: page.nextToken };
    });
    expect(listed).toEqual([`${ARN}:task-definition/wire-web:2`, `${ARN}:task-definition/wire-web:1`]);
    const families = await client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'wire-' }));
    expect(families.families).toContain('wire-web');

    const deregistered = await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'wire-web:1' }));
    expect(deregistered.taskDefinition).toMatchObject({ status: 'INACTIVE', revision: 1 });
    expect(deregistered.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);

    const deleted = await client.send(
      new DeleteTaskDefinitionsCommand({
        taskDefinitions: ['wire-web:1', 'wire-web:2', `${ARN}:task-definition/wire-web:9`, 'wire-web', 'bad family!:1'],
      }),
    );
    expect(deleted.taskDefinitions?.map((definition) => [definition.revision, definition.status])).toEqual([
      [1, 'DELETE_IN_PROGRESS'],
    ]);
    expect(deleted.taskDefinitions?.[0].deleteRequestedAt).toBeInstanceOf(Date);
    // Each bad identifier is a failure of its own, echoed as given, with ECS's sentence; the rest proceed.
    expect(deleted.failures).toEqual([
      { arn: 'wire-web:2', reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' },
      {
        arn: `${ARN}:task-definition/wire-web:9`,
        reason: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
      },
      { arn: 'wire-web', reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.' },
      { arn: 'bad family!:1', reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.' },
    ]);
    // Asking again changes nothing.
    const again = await client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['wire-web:1'] }));
    expect(again.taskDefinitions?.[0].deleteRequestedAt).toEqual(deleted.taskDefinitions?.[0].deleteRequestedAt);
    const deleting = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'wire-web', status: 'DELETE_IN_PROGRESS' }));
    expect(deleting.taskDefinitionArns).toEqual([`${ARN}:task-definition/wire-web:1`]);
  });
});

describe('task definitions as ECS echoes them, over the ECS wire protocol', () => {
  it('echoes container defaults, and leaves out requiresCompatibilities the request did not give', async () => {
    const { taskDefinition } = await client.send(
      new RegisterTaskDefinitionCommand({ family: 'wire-ec2', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }] }),
    );
    expect(taskDefinition).not.toHaveProperty('requiresCompatibilities');
    expect(taskDefinition?.compatibilities).toEqual(['EC2']);
    expect(taskDefinition?.registeredBy).toBe('arn:aws:iam::000000000000:root');
    expect(taskDefinition?.containerDefinitions).toEqual([
      {
        name: 'app',
        image: 'nginx',
        memory: 128,
        cpu: 0,
        portMappings: [],
        essential: true,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
      },
    ]);
  });

  it('accepts and echoes ephemeralStorage, proxyConfiguration, runtimePlatform, pidMode and volumes', async () => {
    const fields = {
      ephemeralStorage: { sizeInGiB: 200 },
      proxyConfiguration: { type: 'APPMESH', containerName: 'web', properties: [{ name: 'AppPorts', value: '80' }] },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      pidMode: 'task',
      volumes: [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-12345678', transitEncryption: 'ENABLED' } }],
    } as const;
    const registered = await client.send(new RegisterTaskDefinitionCommand(registration('wire-extras', fields)));
    const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'wire-extras' }));
    for (const answer of [registered, described]) expect(answer.taskDefinition).toMatchObject(fields);
  });

  it('stores and echoes user maps keyed by every Object.prototype name, exactly', async () => {
    const names = Object.getOwnPropertyNames(Object.prototype);
    // Raw JSON: the SDK builds maps by assignment, which cannot send "__proto__".
    const map = `{${names.map((name) => `${JSON.stringify(name)}:${JSON.stringify(`v-${name}`)}`).join(',')}}`;
    const body = JSON.stringify(
      registration('wire-proto', { containerDefinitions: [{ name: 'web', image: 'nginx', dockerLabels: 'MAP', logConfiguration: { logDriver: 'json-file', options: 'MAP' } }] }),
    ).replaceAll('"MAP"', map);
    const registered = await wireRequest(`${TARGET_PREFIX}RegisterTaskDefinition`, body);
    expect(registered.status).toBe(200);
    const described = await wireRequest(`${TARGET_PREFIX}DescribeTaskDefinition`, { taskDefinition: 'wire-proto' });
    expect(described.status).toBe(200);
    const overRest = await request('GET', '/v1/task-definitions/wire-proto');
    expect(overRest.status).toBe(200);
    for (const answer of [registered, described, overRest]) {
      const [container] = (answer.body as any).taskDefinition.containerDefinitions;
      for (const echoed of [container.dockerLabels, container.logConfiguration.options]) {
        expect(Object.entries(echoed)).toEqual(names.map((name) => [name, `v-${name}`]));
      }
    }
  });

  it('refuses numbers past ECS ranges before storing anything, and the family stays describable', async () => {
    await client.send(new RegisterTaskDefinitionCommand(registration('wire-numbers')));
    for (const number of ['1e20', '9e15', '1e309', '-1e309']) {
      const body = JSON.stringify(registration('wire-numbers', { containerDefinitions: [{ name: 'web', image: 'nginx', memory: 'N' }] })).replace('"N"', number);
      const answer = await wireRequest(`${TARGET_PREFIX}RegisterTaskDefinition`, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ __type: 'ClientException', message: expect.stringMatching(/^containerDefinitions\[0\]\.memory must be/) });
    }
    const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'wire-numbers' }));
    expect(described.taskDefinition?.revision).toBe(1);
  });
});

describe('tags over the ECS wire protocol', () => {
  const tagsOf = async (resourceArn: string) =>
    (await client.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

  it.each([
    ['a cluster', `${ARN}:cluster/wire-tagged`, () => client.send(new CreateClusterCommand({ clusterName: 'wire-tagged' }))],
    [
      'a task definition',
      `${ARN}:task-definition/wire-tagged:1`,
      () => client.send(new RegisterTaskDefinitionCommand(registration('wire-tagged'))),
    ],
  ])('adds, overwrites, removes and lists the tags of %s', async (_name, resourceArn, create) => {
    await create();
    expect(await tagsOf(resourceArn)).toEqual([]);
    await client.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'dev' }] }));
    await client.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'env', value: 'prod' }] }));
    expect(await tagsOf(resourceArn)).toEqual([
      { key: 'team', value: 'a' },
      { key: 'env', value: 'prod' },
    ]);
    await client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team', 'never-set'] }));
    expect(await tagsOf(resourceArn)).toEqual([{ key: 'env', value: 'prod' }]);
  });

  it('loses no tag when tags are changed concurrently', async () => {
    const resourceArn = `${ARN}:cluster/wire-tag-race`;
    await client.send(new CreateClusterCommand({ clusterName: 'wire-tag-race' }));
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        client.send(new TagResourceCommand({ resourceArn, tags: [{ key: `k${index}`, value: String(index) }] })),
      ),
    );
    expect((await tagsOf(resourceArn))?.map((tag) => tag.key).sort()).toEqual(
      Array.from({ length: 10 }, (_, index) => `k${index}`).sort(),
    );
  });
});

describe('bad input over the ECS wire protocol', () => {
  /** The stack's items that this file could have written: every name here starts with "wire-". */
  const ownItems = async () => (await tableSnapshot()).filter((item) => item.includes('wire-'));

  const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
    ['a bad Fargate size', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { memory: '999' }))), 'ClientException', /memory/],
    ['a bad family', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad family!'))), 'ClientException', /[Ff]amily/],
    ['no containers', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { containerDefinitions: [] }))), 'ClientException', /containerDefinitions/],
    ['a bad cluster name', () => client.send(new CreateClusterCommand({ clusterName: 'wire-bad name' })), 'ClientException', /clusterName/],
    ['too many clusters to describe', () => client.send(new DescribeClustersCommand({ clusters: Array(101).fill('wire-x') })), 'ClientException', /clusters/],
    ['a bad maxResults', () => client.send(new ListClustersCommand({ maxResults: 500 })), 'ClientException', /maxResults/],
    ['a forged nextToken', () => client.send(new ListTaskDefinitionsCommand({ nextToken: 'Zm9v' })), 'InvalidParameterException', /nextToken/],
    ['a bad status', () => client.send(new ListTaskDefinitionsCommand({ status: 'GONE' as never })), 'ClientException', /status/],
    ['an unknown task definition', () => client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'wire-never:3' })), 'ClientException', /Unable to describe task definition/],
    ['deregister without revision', () => client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'wire-web' })), 'ClientException', /revision/],
    ['an empty delete list', () => client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [] })), 'ClientException', /^taskDefinitions must contain at least 1 item\.$/],
    ['pidMode host on Fargate', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { pidMode: 'host' }))), 'ClientException', /^Tasks using the Fargate launch type do not support pidMode 'host'\. The supported value for pidMode is 'task'\.$/],
    ['ipcMode host on Fargate', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { ipcMode: 'host' }))), 'ClientException', /^Tasks using the Fargate launch type do not support ipcMode\.$/],
    ['ephemeral storage below 21 GiB', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { ephemeralStorage: { sizeInGiB: 20 } }))), 'ClientException', /^ephemeralStorage\.sizeInGiB must be between 21 and 200\.$/],
    ['a number past ECS range', () => client.send(new RegisterTaskDefinitionCommand(registration('wire-bad', { containerDefinitions: [{ name: 'web', image: 'nginx', memory: 9e15 }] }))), 'ClientException', /^containerDefinitions\[0\]\.memory must be at most 2147483647\.$/],
    ['a missing member', () => client.send(new RegisterTaskDefinitionCommand({ family: 'wire-bad' } as RegisterTaskDefinitionCommandInput)), 'ClientException', /^containerDefinitions is required\.$/],
    ['RunTask with a bad launchType', () => client.send(new RunTaskCommand({ taskDefinition: 'wire-web', launchType: 'MARS' as never })), 'InvalidParameterException', /^launchType must be/],
    ['DescribeTasks with an empty list in an unknown cluster', () => client.send(new DescribeTasksCommand({ cluster: 'wire-never', tasks: [] })), 'ClusterNotFoundException', /not found/],
    ['DescribeTasks with an empty list', () => client.send(new DescribeTasksCommand({ cluster: 'wire-a', tasks: [] })), 'InvalidParameterException', /^Tasks cannot be empty\.$/],
    ['delete an unknown cluster', () => client.send(new DeleteClusterCommand({ cluster: 'wire-never' })), 'ClusterNotFoundException', /not found/],
    ['tag something that is not an ARN', () => client.send(new TagResourceCommand({ resourceArn: 'wire-x', tags: [] })), 'InvalidParameterException', /ARN/],
    ['tag an unknown cluster', () => client.send(new TagResourceCommand({ resourceArn: `${ARN}:cluster/wire-never`, tags: [{ key: 'wire-k', value: 'v' }] })), 'ClusterNotFoundException', /not found/],
    ['tag with an empty key', () => client.send(new TagResourceCommand({ resourceArn: `${ARN}:cluster/wire-a`, tags: [{ key: '', value: 'wire-v' }] })), 'InvalidParameterException', /tags\[0\]\.key/],
    ['tag beyond 50 tags', () => client.send(new TagResourceCommand({ resourceArn: `${ARN}:cluster/wire-a`, tags: Array.from({ length: 51 }, (_, index) => ({ key: `wire-${index}`, value: 'v' })) })), 'InvalidParameterException', /tags/],
    ['list the tags of an unknown revision', () => client.send(new ListTagsForResourceCommand({ resourceArn: `${ARN}:task-definition/wire-never:1` })), 'ResourceNotFoundException', /task definition/],
  ];

  it.each(cases)('%s → 400 with the ECS error, nothing stored', async (_name, send, name, message) => {
    const before = await ownItems();
    const failure = await send().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name, message: expect.stringMatching(message), $metadata: { httpStatusCode: 400 } });
    expect((failure as Error).message).not.toMatch(/Invalid input|Too small|Too big|received undefined|expected .*, received/);
    expect(await ownItems()).toEqual(before);
  });

  const rawCases: Array<[string, string | undefined, unknown, string, RegExp]> = [
    ['no X-Amz-Target', undefined, {}, 'UnknownOperationException', /X-Amz-Target/],
    ['an unknown operation', `${TARGET_PREFIX}LaunchRocket`, {}, 'UnknownOperationException', /LaunchRocket/],
    ['an inherited property name', `${TARGET_PREFIX}toString`, {}, 'UnknownOperationException', /toString/],
    ['another service', 'DynamoDB_20120810.ListTables', {}, 'UnknownOperationException', /ListTables/],
    ['malformed JSON', `${TARGET_PREFIX}CreateCluster`, '{"clusterName": ', 'SerializationException', /JSON/],
    ['a JSON array', `${TARGET_PREFIX}CreateCluster`, '[]', 'SerializationException', /object/],
    ['an unknown parameter', `${TARGET_PREFIX}CreateCluster`, { clusterName: 'wire-x', colour: 'red' }, 'ClientException', /colour/],
    ['a wrong type', `${TARGET_PREFIX}RegisterTaskDefinition`, fargateTaskDefinition('wire-bad', { cpu: 256 }), 'ClientException', /cpu/],
  ];

  it.each(rawCases)('%s → 400 with the ECS error, nothing stored', async (_name, target, body, type, message) => {
    const before = await ownItems();
    const answer = await wireRequest(target, body);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(answer.headers.get('x-amzn-errortype')).toBe(type);
    expect(answer.body).toEqual({ __type: type, message: expect.stringMatching(message) });
    expect(await ownItems()).toEqual(before);
  });

  it('takes a request without a body as {}, as the SDKs may send one', async () => {
    const answer = await wireRequest(`${TARGET_PREFIX}ListClusters`, undefined);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(Array.isArray(answer.body.clusterArns)).toBe(true);
  });
});

describe('services and tasks over the ECS wire protocol', () => {
  const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-wire'], assignPublicIp: 'ENABLED' as const } };
  const settled = (taskDefinition: string, runningCount: number) =>
    eventually(
      async () => {
        const { services } = await client.send(new DescribeServicesCommand({ cluster: 'wire-svc', services: ['web'] }));
        const [service] = services ?? [];
        return service?.runningCount === runningCount &&
          service.taskDefinition === taskDefinition &&
          service.deployments?.length &&
          service.deployments[0].rolloutState === 'COMPLETED' &&
          service.deployments.every((deployment) => deployment.status !== 'ACTIVE')
          ? service
          : undefined;
      },
      { timeoutMs: 30_000, what: `web on ${taskDefinition} with ${runningCount} tasks` },
    );

  it('creates a service, scales it, rolls it to a new revision, runs and stops tasks, and deletes it', async () => {
    await client.send(new CreateClusterCommand({ clusterName: 'wire-svc' }));
    const first = await client.send(new RegisterTaskDefinitionCommand(registration('wire-svc-web')));
    const created = await client.send(
      new CreateServiceCommand({
        launchType: 'FARGATE',
        cluster: 'wire-svc',
        serviceName: 'web',
        taskDefinition: 'wire-svc-web',
        desiredCount: 2,
        networkConfiguration,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
      }),
    );
    expect(created.service).toMatchObject({ serviceArn: `${ARN}:service/wire-svc/web`, status: 'ACTIVE', desiredCount: 2 });
    expect(created.service?.createdAt).toBeInstanceOf(Date);
    await settled(first.taskDefinition!.taskDefinitionArn!, 2);

    await client.send(new UpdateServiceCommand({ cluster: 'wire-svc', service: 'web', desiredCount: 3 }));
    await settled(first.taskDefinition!.taskDefinitionArn!, 3);
    const second = await client.send(new RegisterTaskDefinitionCommand(registration('wire-svc-web', { cpu: '512', memory: '1024' })));
    const rolling = await client.send(
      new UpdateServiceCommand({ cluster: 'wire-svc', service: `${ARN}:service/wire-svc/web`, taskDefinition: 'wire-svc-web:2' }),
    );
    expect(rolling.service?.deployments?.map((deployment) => deployment.status)).toEqual(['PRIMARY', 'ACTIVE']);
    const rolled = await settled(second.taskDefinition!.taskDefinitionArn!, 3);
    expect(rolled.events?.[0].message).toBe('(service web) has reached a steady state.');

    expect((await client.send(new ListServicesCommand({ cluster: 'wire-svc' }))).serviceArns).toEqual([`${ARN}:service/wire-svc/web`]);
    const [counted] = (await client.send(new DescribeClustersCommand({ clusters: ['wire-svc'] }))).clusters ?? [];
    expect(counted).toMatchObject({ activeServicesCount: 1, runningTasksCount: 3, pendingTasksCount: 0 });
    const serviceTasks = await client.send(new ListTasksCommand({ cluster: 'wire-svc', serviceName: 'web' }));
    expect(serviceTasks.taskArns).toHaveLength(3);

    const run = { cluster: 'wire-svc', taskDefinition: 'wire-svc-web:1', launchType: 'FARGATE' as const, count: 2, startedBy: 'wire-test', networkConfiguration, clientToken: 'wire-token' };
    const ran = await client.send(new RunTaskCommand(run));
    expect(ran.tasks).toHaveLength(2);
    expect(ran.failures).toEqual([]);
    expect((await client.send(new RunTaskCommand(run))).tasks?.map((task) => task.taskArn)).toEqual(ran.tasks?.map((task) => task.taskArn));
    const taskArn = ran.tasks![0].taskArn!;
    const described = await client.send(new DescribeTasksCommand({ cluster: 'wire-svc', tasks: [taskArn, 'ffffffffffffffffffffffffffffffff'] }));
    expect(described.tasks?.[0]).toMatchObject({ taskArn, group: 'family:wire-svc-web', startedBy: 'wire-test' });
    expect(described.failures).toEqual([{ arn: `${ARN}:task/wire-svc/ffffffffffffffffffffffffffffffff`, reason: 'MISSING' }]);
    expect((await client.send(new ListTasksCommand({ cluster: 'wire-svc', startedBy: 'wire-test' }))).taskArns?.sort()).toEqual(
      ran.tasks?.map((task) => task.taskArn).sort(),
    );
    const stopped = await client.send(new StopTaskCommand({ cluster: 'wire-svc', task: taskArn, reason: 'done' }));
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'done' });
    await eventually(async () => {
      const { taskArns } = await client.send(new ListTasksCommand({ cluster: 'wire-svc', desiredStatus: 'STOPPED', family: 'wire-svc-web' }));
      return taskArns?.includes(taskArn) ? true : undefined;
    }, { what: 'the stopped task to be listed' });

    const serviceArn = `${ARN}:service/wire-svc/web`;
    await client.send(new TagResourceCommand({ resourceArn: serviceArn, tags: [{ key: 'tier', value: 'web' }] }));
    await client.send(new TagResourceCommand({ resourceArn: taskArn, tags: [{ key: 'job', value: 'once' }] }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags).toEqual([{ key: 'tier', value: 'web' }]);
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: taskArn }))).tags).toEqual([{ key: 'job', value: 'once' }]);
    await client.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: ['tier'] }));
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }))).tags).toEqual([]);
    await expect(
      client.send(new ListTagsForResourceCommand({ resourceArn: `${ARN}:service/wire-svc/ghost` })),
    ).rejects.toMatchObject({ name: 'ServiceNotFoundException' });
    const withTags = await client.send(new DescribeTasksCommand({ cluster: 'wire-svc', tasks: [taskArn], include: ['TAGS'] }));
    expect(withTags.tasks?.[0].tags).toEqual([{ key: 'job', value: 'once' }]);
    const withoutTags = await client.send(new DescribeTasksCommand({ cluster: 'wire-svc', tasks: [taskArn] }));
    expect(withoutTags.tasks?.[0].tags).toBeUndefined();

    const deleted = await client.send(new DeleteServiceCommand({ cluster: 'wire-svc', service: 'web', force: true }));
    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
  });

  it('answers bad service and task requests with ECS errors', async () => {
    await expect(
      client.send(new CreateServiceCommand({ launchType: 'FARGATE', cluster: 'wire-nowhere', serviceName: 'x', taskDefinition: 'wire-svc-web', desiredCount: 1, networkConfiguration })),
    ).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
    await expect(client.send(new UpdateServiceCommand({ cluster: 'wire-svc', service: 'ghost', desiredCount: 1 }))).rejects.toMatchObject({
      name: 'ServiceNotFoundException',
    });
    await expect(
      client.send(new DescribeServicesCommand({ cluster: 'wire-svc', services: Array.from({ length: 11 }, (_, index) => `s${index}`) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/services/) });
    await expect(
      client.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: 'wire-svc', taskDefinition: 'wire-svc-web', count: 11, networkConfiguration })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'count must be at most 10.' });
    await expect(client.send(new StopTaskCommand({ cluster: 'wire-svc', task: 'ffffffffffffffffffffffffffffffff' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('conformance to ECS', () => {
  // Jest runs a file's tests in order: by now every operation has answered the checked client.
  // The container instance, StartTask and capacity provider operations are checked by their own files.
  it('checked a successful answer of every operation served against ECS\'s model', () => {
    const elsewhere = [...CONTAINER_INSTANCE_OPERATIONS, ...CAPACITY_PROVIDER_OPERATIONS, ...EC2_TASK_OPERATIONS];
    expect([...checked].sort()).toEqual(Object.keys(operations).filter((name) => !elsewhere.includes(name)).sort());
  });
});
