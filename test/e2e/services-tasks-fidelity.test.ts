import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { awsCli } from '../support/aws-cli';
import { checkedEcsClient } from '../support/ecs-wire';
import { fargateTaskDefinition, request } from '../support/http';
import { eventually } from '../support/poll';
import { tableSnapshot } from '../support/table-snapshot';

/**
 * ECS's documented behaviour of services and tasks, over the wire with the real SDK (whose answers
 * are checked against ECS's model) and the AWS CLI v2: list filters, the task's ENI and fields,
 * capacity provider strategies, the overrides limit and out-of-range simulation settings.
 */

const ARN = 'arn:aws:ecs:us-east-1:000000000000';
const CLUSTER = 'fid';
/** Where refused requests go: no task runs there, so its items change only if a refusal wrote. */
const QUIET = 'fid-quiet';
const { client } = checkedEcsClient();
const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-0fid1', 'subnet-0fid2'] } };

afterAll(() => client.destroy());

const cli = (...args: string[]) => awsCli('ecs', ...args);

const describeTask = async (taskArn: string): Promise<Task> =>
  (await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [taskArn] }))).tasks![0];

const taskWhere = (taskArn: string, check: (task: Task) => boolean, what: string) =>
  eventually(async () => {
    const task = await describeTask(taskArn);
    return check(task) ? task : undefined;
  }, { what, timeoutMs: 30_000 });

/** A refused request: its ECS error, and nothing of the cluster's or account's items changed. */
const expectRefused = async (send: () => Promise<unknown>, name: string, message: RegExp) => {
  const before = await tableSnapshot([QUIET]);
  await expect(send()).rejects.toMatchObject({ name, message: expect.stringMatching(message), $metadata: { httpStatusCode: 400 } });
  expect(await tableSnapshot([QUIET])).toEqual(before);
};

beforeAll(async () => {
  await client.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await client.send(new CreateClusterCommand({ clusterName: QUIET }));
  await client.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('fid-web') as RegisterTaskDefinitionCommandInput));
});

describe('ListTasks and ListServices filters', () => {
  it('take every valid enum value and answer what matches: PENDING, EC2, EXTERNAL and DAEMON match nothing', async () => {
    const [task] = (await client.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: CLUSTER, taskDefinition: 'fid-web', networkConfiguration, startedBy: 'fid-filters' }))).tasks!;
    await client.send(
      new CreateServiceCommand({ launchType: 'FARGATE', cluster: CLUSTER, serviceName: 'filtered', taskDefinition: 'fid-web', desiredCount: 0, networkConfiguration }),
    );
    const tasks = (input: Record<string, string>) =>
      client.send(new ListTasksCommand({ cluster: CLUSTER, startedBy: 'fid-filters', ...input })).then((answer) => answer.taskArns);
    expect(await tasks({})).toEqual([task.taskArn]);
    expect(await tasks({ launchType: 'FARGATE' })).toEqual([task.taskArn]);
    // ECS never sets a task's desiredStatus to PENDING: the filter answers nothing, even for a task still PENDING.
    expect(await tasks({ desiredStatus: 'PENDING' })).toEqual([]);
    for (const launchType of ['EC2', 'EXTERNAL', 'MANAGED_INSTANCES']) expect(await tasks({ launchType })).toEqual([]);

    const services = (input: Record<string, string>) =>
      client.send(new ListServicesCommand({ cluster: CLUSTER, ...input })).then((answer) => answer.serviceArns);
    const filtered = `${ARN}:service/${CLUSTER}/filtered`;
    expect(await services({ launchType: 'FARGATE' })).toContain(filtered);
    expect(await services({ schedulingStrategy: 'REPLICA' })).toContain(filtered);
    for (const input of [{ launchType: 'EC2' }, { launchType: 'EXTERNAL' }, { schedulingStrategy: 'DAEMON' }] as Array<Record<string, string>>) {
      expect(await services(input)).toEqual([]);
    }
    // The REST face takes the same filters.
    const rest = await request('GET', `/v1/clusters/${CLUSTER}/tasks?desiredStatus=PENDING`);
    expect(rest).toMatchObject({ status: 200, body: { taskArns: [] } });
    // The AWS CLI sends the same filters.
    expect(await cli('list-tasks', '--cluster', CLUSTER, '--desired-status', 'PENDING', '--query', 'length(taskArns)')).toBe('0');
    expect(await cli('list-services', '--cluster', CLUSTER, '--scheduling-strategy', 'DAEMON', '--query', 'length(serviceArns)')).toBe('0');
  });
});

describe('a Fargate task as DescribeTasks shows it', () => {
  it('has an ENI attachment with a private address from its subnet, a zone, connectivity and container runtime fields', async () => {
    const [ran] = (await client.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: CLUSTER, taskDefinition: 'fid-web', networkConfiguration }))).tasks!;
    expect(ran.attachments?.[0]).toMatchObject({ type: 'ElasticNetworkInterface', status: 'PRECREATED' });
    const task = await taskWhere(ran.taskArn!, (found) => found.lastStatus === 'RUNNING', 'the task to run');
    const [attachment] = task.attachments!;
    const details = Object.fromEntries(attachment.details!.map(({ name, value }) => [name, value]));
    expect(attachment).toMatchObject({ id: expect.any(String), type: 'ElasticNetworkInterface', status: 'ATTACHED' });
    expect(details).toEqual({
      subnetId: expect.stringMatching(/^subnet-0fid[12]$/),
      networkInterfaceId: expect.stringMatching(/^eni-[0-9a-f]{17}$/),
      macAddress: expect.stringMatching(/^0e(:[0-9a-f]{2}){5}$/),
      privateDnsName: `ip-${details.privateIPv4Address.replaceAll('.', '-')}.ec2.internal`,
      privateIPv4Address: expect.stringMatching(/^10\.\d+\.\d+\.\d+$/),
    });
    expect(task).toMatchObject({
      availabilityZone: expect.stringMatching(/^us-east-1[a-c]$/),
      connectivity: 'CONNECTED',
      ephemeralStorage: { sizeInGiB: 20 },
    });
    expect(task.connectivityAt).toBeInstanceOf(Date);
    expect(task.containers?.[0]).toMatchObject({
      imageDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      runtimeId: expect.stringMatching(new RegExp(`^${ran.taskArn!.split('/').at(-1)}-\\d{10}$`)),
      networkInterfaces: [{ attachmentId: attachment.id, privateIpv4Address: details.privateIPv4Address }],
    });

    // The query everyone uses to find a task's address.
    const address = await cli(
      'describe-tasks', '--cluster', CLUSTER, '--tasks', ran.taskArn!,
      '--query', "tasks[0].attachments[0].details[?name=='privateIPv4Address'].value", '--output', 'text',
    );
    expect(address).toBe(details.privateIPv4Address);

    await client.send(new StopTaskCommand({ cluster: CLUSTER, task: ran.taskArn! }));
    const stopped = await taskWhere(ran.taskArn!, (found) => found.lastStatus === 'STOPPED', 'the task to stop');
    expect(stopped.attachments?.[0]).toMatchObject({ id: attachment.id, status: 'DELETED', details: attachment.details });
  });
});

describe('capacity provider strategies and service fields', () => {
  it('places RunTask tasks by base and weight and names the provider on each', async () => {
    const { tasks } = await client.send(
      new RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: 'fid-web',
        count: 5,
        networkConfiguration,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', base: 1, weight: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        ],
      }),
    );
    expect(tasks?.map((task) => task.capacityProviderName).sort()).toEqual(['FARGATE', 'FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT']);
    expect(tasks?.every((task) => task.launchType === 'FARGATE')).toBe(true);
  });

  it('creates a service on a strategy: shown without launchType, with ECS\'s empty lists and createdBy; its tasks name the provider', async () => {
    const { service } = await client.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: 'spot',
        taskDefinition: 'fid-web',
        desiredCount: 2,
        networkConfiguration,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        loadBalancers: [],
        placementConstraints: [],
      }),
    );
    expect(service).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
      loadBalancers: [],
      serviceRegistries: [],
      placementConstraints: [],
      placementStrategy: [],
      createdBy: 'arn:aws:iam::000000000000:root',
    });
    expect(service?.launchType).toBeUndefined();
    const taskArns = await eventually(async () => {
      const { taskArns: found = [] } = await client.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'spot' }));
      return found.length === 2 ? found : undefined;
    }, { what: 'two service tasks' });
    const { tasks } = await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }));
    expect(tasks?.map((task) => task.capacityProviderName)).toEqual(['FARGATE_SPOT', 'FARGATE_SPOT']);
    const { services } = await client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['spot'] }));
    expect(services?.[0].loadBalancers).toEqual([]);

    // UpdateService changes the strategy, or with an empty one goes back to the launch type.
    const moved = await client.send(
      new UpdateServiceCommand({ cluster: CLUSTER, service: 'spot', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 2 }] }),
    );
    expect(moved.service?.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE', weight: 2, base: 0 }]);
    const back = await client.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'spot', capacityProviderStrategy: [], desiredCount: 0 }));
    expect(back.service).toMatchObject({ launchType: 'FARGATE', desiredCount: 0 });
    expect(back.service?.capacityProviderStrategy).toBeUndefined();
  });

  it.each([
    ['a strategy beside a launchType', { launchType: 'FARGATE' as const, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, /both a launch type and capacity provider strategy/],
    ['an unknown provider', { capacityProviderStrategy: [{ capacityProvider: 'MY_ASG', weight: 1 }] }, /MY_ASG/],
    ['two bases', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', base: 1, weight: 1 }] }, /base/],
    ['a load balancer', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1', containerName: 'web', containerPort: 80 }] }, /loadBalancers/],
  ])('refuses %s on CreateService and RunTask, storing nothing', async (_name, members, message) => {
    await expectRefused(
      () => client.send(new CreateServiceCommand({ cluster: QUIET, serviceName: 'refused', taskDefinition: 'fid-web', desiredCount: 1, networkConfiguration, ...members })),
      'InvalidParameterException',
      message,
    );
    if ('loadBalancers' in members) return;
    await expectRefused(
      () => client.send(new RunTaskCommand({ cluster: QUIET, taskDefinition: 'fid-web', networkConfiguration, ...members })),
      'InvalidParameterException',
      message,
    );
  });
});

describe('RunTask overrides', () => {
  /** Overrides whose JSON is exactly `length` characters. */
  const shellLength = JSON.stringify({ containerOverrides: [{ name: 'web', command: [''] }] }).length;
  const overridesOf = (length: number) => ({ containerOverrides: [{ name: 'web', command: ['x'.repeat(length - shellLength)] }] });

  it('takes 8192 characters of overrides and refuses more, as ECS does, storing nothing', async () => {
    const accepted = await client.send(
      new RunTaskCommand({ launchType: 'FARGATE', cluster: CLUSTER, taskDefinition: 'fid-web', networkConfiguration, overrides: overridesOf(8192) }),
    );
    expect(accepted.tasks?.[0].overrides?.containerOverrides?.[0].command?.[0]).toHaveLength(8192 - shellLength);
    for (const length of [8193, 300_000]) {
      await expectRefused(
        () => client.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: QUIET, taskDefinition: 'fid-web', networkConfiguration, overrides: overridesOf(length) })),
        'InvalidParameterException',
        /^Container Overrides length must be at most 8192$/,
      );
    }
  });
});

describe('the largest task a request can build', () => {
  it('is stored and stopped like any other: every member that grows the item is bounded (here at its limit, in 3-byte characters)', async () => {
    const wide = (length: number) => '€'.repeat(length);
    const shellLength = JSON.stringify({ containerOverrides: [{ name: 'web', command: [''] }] }).length;
    const { tasks } = await client.send(
      new RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: 'fid-web',
        count: 10,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: Array.from({ length: 16 }, (_, index) => `${String(index).padStart(2, '0')}${wide(253)}`),
            securityGroups: Array.from({ length: 5 }, (_, index) => `${String(index).padStart(2, '0')}${wide(253)}`),
          },
        },
        startedBy: wide(36),
        group: wide(255),
        overrides: { containerOverrides: [{ name: 'web', command: [wide(8192 - shellLength)] }] },
        tags: Array.from({ length: 50 }, (_, index) => ({ key: `${String(index).padStart(2, '0')}${wide(126)}`, value: wide(256) })),
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      }),
    );
    expect(tasks).toHaveLength(10);
    const taskArn = tasks![0].taskArn!;
    await client.send(new StopTaskCommand({ cluster: CLUSTER, task: taskArn, reason: wide(255) }));
    const stopped = await taskWhere(taskArn, (task) => task.lastStatus === 'STOPPED', 'the large task to stop');
    expect(stopped.stoppedReason).toBe(wide(255));
  });
});

describe('simulation settings out of range', () => {
  it('runs a task whose ECSBOX_EXIT_AFTER, ECSBOX_EXIT_CODE or ECSBOX_SIMULATE is out of range, as docs/simulated-fleet.md says', async () => {
    const environment = [
      { name: 'ECSBOX_SIMULATE', value: 'exit' },
      { name: 'ECSBOX_EXIT_AFTER', value: '1e15' },
      { name: 'ECSBOX_EXIT_CODE', value: '999' },
    ];
    const runs = await Promise.all(
      [environment, [{ name: 'ECSBOX_SIMULATE', value: 'explode' }]].map((env) =>
        client.send(
          new RunTaskCommand({
            cluster: CLUSTER,
            taskDefinition: 'fid-web',
            launchType: 'FARGATE',
            networkConfiguration,
            overrides: { containerOverrides: [{ name: 'web', environment: env }] },
          }),
        ),
      ),
    );
    for (const { tasks } of runs) {
      // Clamped to a year: the task runs (and the reconciler goes on recording it) rather than failing on write.
      const running = await taskWhere(tasks![0].taskArn!, (task) => task.lastStatus === 'RUNNING', 'the task to run');
      expect(running.desiredStatus).toBe('RUNNING');
    }
  });
});
