import {
  ClientException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServerException,
  StopTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { FakeEcs, fakeEcsClient } from '../support/fake-ecs';
import type { TaskDefinition } from '../../lib/domain/model';
import type { TaskRecord } from '../../lib/domain/task';
import { THROTTLED_REASON, type BackendRef, type LaunchOutcome, type LaunchSpec } from '../../lib/fleet/backend';
import {
  clientTokenFor,
  FargateFleet,
  FORGOTTEN_REASON,
  startedByFor,
  STRAY_GRACE_MS,
  TASK_EVENT_LATE_MS,
  STRAY_REASON,
  type FargateFleetOptions,
  type FargateTarget,
  ecsGroupFor,
  recordOfEcsGroup,
} from '../../lib/fleet/fargate';
import { sampleTaskDefinition } from '../contract/fleet-backend';

const T0 = Date.UTC(2026, 0, 1);
const ecs = fakeEcsClient;

const TARGET: FargateTarget = {
  cluster: 'ecsbox-tasks',
  subnets: ['subnet-default'],
  securityGroups: ['sg-default'],
  assignPublicIp: 'DISABLED',
  executionRoleArn: 'arn:aws:iam::111122223333:role/ecsbox-execution',
  taskRoleArn: 'arn:aws:iam::111122223333:role/ecsbox-task',
  familyPrefix: 'ecsbox-000000000000-',
};

const throttling = () =>
  new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });


function setup(options: FargateFleetOptions = {}) {
  let now = T0;
  const sleeps: number[] = [];
  const clock = { now: () => now };
  const fleet = (more: FargateFleetOptions = {}) =>
    new FargateFleet(new ECSClient({ region: 'eu-west-3' }), TARGET, {
      clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      ...options,
      ...more,
    });
  return {
    fake: new FakeEcs(clock.now),
    fleet: fleet(),
    fleet2: fleet,
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

beforeEach(() => ecs.reset());

const definition = (fields: Partial<TaskDefinition> = {}): TaskDefinition => ({
  ...sampleTaskDefinition(),
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:3',
  family: 'web',
  revision: 3,
  ...fields,
});

const spec = (taskId: string, fields: Partial<LaunchSpec> = {}): LaunchSpec => ({
  taskId,
  clusterName: 'default',
  taskDefinition: definition(),
  group: 'service:web',
  startedBy: 'ecs-svc/1234567890123456789',
  ...fields,
});

const slots = (count: number) => Array.from({ length: count }, (_, i) => spec(`slot-${i}`));
const inputs = <T>(command: Parameters<typeof ecs.commandCalls>[0]) =>
  ecs.commandCalls(command).map((call) => call.args[0].input as T);
const accepted = (outcomes: LaunchOutcome[]) => outcomes.filter((o) => o.accepted).length;
type FargateRef = Extract<BackendRef, { kind: 'fargate' }>;
const refOf = (outcome: LaunchOutcome): FargateRef => {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.reason}`);
  if (outcome.ref.kind !== 'fargate') throw new Error(`not a Fargate ref: ${outcome.ref.kind}`);
  return outcome.ref;
};

describe('FargateFleet launch: task definitions', () => {
  it('registers the ecsbox revision as its own family, mapped field by field, with the target roles', async () => {
    const { fleet } = setup();
    // Every field ECS knows, named as ECS names it: registered exactly as ecsbox holds it.
    const containerDefinitions: TaskDefinition['containerDefinitions'] = [
      {
        name: 'app',
        image: 'nginx:1.27',
        essential: true,
        cpu: 128,
        memory: 256,
        portMappings: [{ containerPort: 80, protocol: 'tcp' }],
        environment: [{ name: 'MODE', value: 'prod' }],
        command: ['nginx', '-g', 'daemon off;'],
        healthCheck: { command: ['CMD-SHELL', 'curl -f localhost'], interval: 10, timeout: 5, retries: 3 },
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecsbox/web' } },
      },
      { name: 'sidecar', image: 'envoy:1', essential: false, dependsOn: [{ containerName: 'app', condition: 'START' }] },
    ];
    const runtimePlatform = { cpuArchitecture: 'ARM64' as const, operatingSystemFamily: 'LINUX' };
    const taskDefinition = definition({
      executionRoleArn: 'arn:aws:iam::000000000000:role/tenant-chosen',
      runtimePlatform,
      containerDefinitions,
    });
    await fleet.launch([spec('slot-1', { taskDefinition })]);

    const [registered] = inputs<RegisterTaskDefinitionCommandInput>(RegisterTaskDefinitionCommand);
    expect(registered.family).toMatch(/^ecsbox-000000000000-web-3-[0-9a-f]{12}$/);
    expect(registered).toMatchObject({
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: TARGET.executionRoleArn,
      taskRoleArn: TARGET.taskRoleArn,
      runtimePlatform,
      containerDefinitions,
    });
    expect(inputs<RunTaskCommandInput>(RunTaskCommand)[0].taskDefinition).toBe(registered.family);
  });

  it('registers once per process, and not at all when ECS already has the family (cold start)', async () => {
    const { fleet, fleet2 } = setup();
    await fleet.launch([spec('slot-1')]);
    await fleet.launch([spec('slot-2'), spec('slot-3')]);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);

    await fleet2().launch([spec('slot-4')]);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it('gives different content under the same ecsbox name its own family (a reset ecsbox reuses "web:3")', async () => {
    const { fleet } = setup();
    const other = definition({ containerDefinitions: [{ name: 'app', image: 'httpd:2', essential: true }] });
    await fleet.launch([spec('slot-1'), spec('slot-2', { taskDefinition: other })]);
    const families = inputs<RegisterTaskDefinitionCommandInput>(RegisterTaskDefinitionCommand).map((i) => i.family);
    expect(new Set(families).size).toBe(2);
  });

  it('shortens a long ecsbox family so the ECS family fits 255 characters', async () => {
    const { fleet } = setup();
    await fleet.launch([spec('slot-1', { taskDefinition: definition({ family: 'f'.repeat(255) }) })]);
    const [registered] = inputs<RegisterTaskDefinitionCommandInput>(RegisterTaskDefinitionCommand);
    expect(registered.family).toHaveLength(255);
    expect(registered.family).toMatch(/^ecsbox-000000000000-f+-3-[0-9a-f]{12}$/);
  });

  it('refuses every slot of a definition ECS will not register, and launches the others', async () => {
    const { fleet } = setup();
    ecs
      .on(RegisterTaskDefinitionCommand, { cpu: '999' })
      .rejects(new ClientException({ message: "Invalid 'cpu' setting for task.", $metadata: {} }));
    const bad = definition({ cpu: '999' });
    const outcomes = await fleet.launch([
      spec('slot-1', { taskDefinition: bad }),
      spec('slot-2'),
      spec('slot-3', { taskDefinition: bad }),
    ]);
    expect(outcomes.map((o) => o.accepted)).toEqual([false, true, false]);
    expect(outcomes[0]).toEqual({
      taskId: 'slot-1',
      accepted: false,
      reason: 'ClientException',
      detail: "Invalid 'cpu' setting for task.",
    });
  });
});

describe('FargateFleet launch: one RunTask per slot', () => {
  it('runs each slot with count 1, a deterministic clientToken and a startedBy naming the slot', async () => {
    const { fleet } = setup();
    const network = { awsvpcConfiguration: { subnets: ['subnet-own'], assignPublicIp: 'ENABLED' as const } };
    const overrides = { containerOverrides: [{ name: 'app', environment: [{ name: 'X', value: '1' }] }] };
    const outcomes = await fleet.launch([
      spec('slot-a', { networkConfiguration: network, overrides }),
      spec('slot-b'),
    ]);

    const calls = inputs<RunTaskCommandInput>(RunTaskCommand);
    expect(calls).toHaveLength(2);
    const [a, b] = ['slot-a', 'slot-b'].map((id) => calls.find((c) => c.clientToken === clientTokenFor(TARGET.familyPrefix, id))!);
    expect(a).toMatchObject({
      cluster: TARGET.cluster,
      launchType: 'FARGATE',
      count: 1,
      // The ECS task's group names the ecsbox record (its state-change events lead back to it).
      group: 'ecsbox:000000000000:default:slot-a',
      startedBy: startedByFor(TARGET.familyPrefix, 'slot-a'),
      networkConfiguration: network,
      overrides,
    });
    expect(b.networkConfiguration).toEqual({
      awsvpcConfiguration: { subnets: ['subnet-default'], securityGroups: ['sg-default'], assignPublicIp: 'DISABLED' },
    });
    for (const call of calls) {
      expect(call.clientToken).toMatch(/^[0-9a-f]{64}$/);
      expect(call.startedBy).toMatch(/^ecsbox-[0-9a-f]{29}$/);
    }
    expect(a.startedBy).not.toBe(b.startedBy);
    expect(outcomes.map((o) => o.taskId)).toEqual(['slot-a', 'slot-b']);
    expect(refOf(outcomes[0])).toEqual({ kind: 'fargate', taskArn: expect.stringContaining(':task/ecsbox-tasks/'), cluster: TARGET.cluster });
  });

  it('derives the slot identity from the prefix and taskId only, so any process names it the same', () => {
    expect(clientTokenFor('p-', 'slot')).toBe(clientTokenFor('p-', 'slot'));
    expect(clientTokenFor('p-', 'slot')).not.toBe(clientTokenFor('q-', 'slot'));
    expect(startedByFor('p-', 'x'.repeat(500))).toHaveLength(36);
  });

  it('repeats the same RunTask when ListTasks does not show the task yet: the clientToken returns it again', async () => {
    const { fleet } = setup();
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const [first] = await fleet.launch([spec('slot-1')]);
    const [second] = await fleet.launch([spec('slot-1')]);
    const [call1, call2] = inputs<RunTaskCommandInput>(RunTaskCommand);
    expect(call2).toEqual(call1);
    expect(refOf(second)).toEqual(refOf(first));
  });

  it('turns RunTask failures into refused outcomes, slot by slot', async () => {
    const { fleet } = setup();
    ecs.on(RunTaskCommand, { clientToken: clientTokenFor(TARGET.familyPrefix, 'slot-2') }).resolves({
      tasks: [],
      failures: [{ reason: 'RESOURCE:FARGATE', detail: 'Capacity is unavailable at this time.' }],
    });
    const outcomes = await fleet.launch(slots(3).map((s, i) => ({ ...s, taskId: `slot-${i + 1}` })));
    expect(outcomes[1]).toEqual({
      taskId: 'slot-2',
      accepted: false,
      reason: 'RESOURCE:FARGATE',
      detail: 'Capacity is unavailable at this time.',
    });
    expect(accepted(outcomes)).toBe(2);
  });

  it('refuses a slot ECS rejects (bad subnet) and looks the definition up again next time', async () => {
    const { fake, fleet } = setup();
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(new InvalidParameterException({ message: 'Subnet not found.', $metadata: {} }))
      .callsFake(fake.run);
    const [outcome] = await fleet.launch([spec('slot-1')]);
    expect(outcome).toEqual({ taskId: 'slot-1', accepted: false, reason: 'InvalidParameterException', detail: 'Subnet not found.' });
    await fleet.launch([spec('slot-2')]);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2);
  });

  it("propagates a ServerException that outlasts the SDK's retries: the task may exist, so nothing is refused", async () => {
    const { fleet } = setup();
    ecs.on(RunTaskCommand).rejects(new ServerException({ message: 'Internal failure', $metadata: {} }));
    await expect(fleet.launch([spec('slot-1')])).rejects.toThrow('Internal failure');
    // The adapter itself does not retry: the client's retry strategy has (see fargate-retry.test.ts).
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});

describe('FargateFleet launch: orphan adoption', () => {
  const orphan = (taskId: string, desiredStatus: string): Task => ({
    taskArn: `arn:aws:ecs:eu-west-3:111122223333:task/ecsbox-tasks/orphan-${desiredStatus}`,
    taskDefinitionArn: 'arn:aws:ecs:eu-west-3:111122223333:task-definition/x:1',
    startedBy: startedByFor(TARGET.familyPrefix, taskId),
    lastStatus: desiredStatus,
    desiredStatus,
    containers: [],
  });

  it.each(['RUNNING', 'STOPPED'])('adopts a %s task ECS already has for the slot instead of launching', async (status) => {
    const { fake, fleet } = setup();
    fake.put(orphan('slot-1', status));
    const [outcome] = await fleet.launch([spec('slot-1')]);
    expect(refOf(outcome)).toEqual({ kind: 'fargate', taskArn: orphan('slot-1', status).taskArn, cluster: TARGET.cluster });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(inputs(ListTasksCommand)).toContainEqual({
      cluster: TARGET.cluster,
      startedBy: startedByFor(TARGET.familyPrefix, 'slot-1'),
      desiredStatus: status,
    });
  });

  it('launches the same slot from a second process only once', async () => {
    const { fleet, fleet2 } = setup();
    const [first] = await fleet.launch([spec('slot-1')]);
    const [second] = await fleet2().launch([spec('slot-1')]);
    expect(refOf(second)).toEqual(refOf(first));
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});

describe('FargateFleet limits', () => {
  it("refuses the slots as throttled once RunTask stays throttled past the SDK's retries, and launches nothing more", async () => {
    const { fleet } = setup();
    ecs.on(RunTaskCommand).rejects(throttling());
    const outcomes = await fleet.launch(slots(12));
    const attemptsPerSlot = new Map<string, number>();
    for (const { clientToken } of inputs<RunTaskCommandInput>(RunTaskCommand)) {
      attemptsPerSlot.set(clientToken!, (attemptsPerSlot.get(clientToken!) ?? 0) + 1);
    }
    expect(attemptsPerSlot.size).toBeLessThan(12);
    expect(new Set(attemptsPerSlot.values())).toEqual(new Set([1]));
    expect(outcomes.every((o) => !o.accepted && o.reason === THROTTLED_REASON)).toBe(true);
    expect(outcomes[0]).toMatchObject({ detail: 'Rate exceeded' });
  });

  it('lets an observation fail when DescribeTasks stays throttled', async () => {
    const { fleet } = setup();
    ecs.on(DescribeTasksCommand).rejects(throttling());
    const ref: BackendRef = { kind: 'fargate', taskArn: 'arn:aws:ecs:r:1:task/c/t', cluster: 'c' };
    await expect(fleet.observe([{ taskId: 't', ref, createdAt: T0 }], T0)).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it("keeps to Fargate's launch bucket: a burst of 100, then 20 per second while the wait allows", async () => {
    const { fleet, sleeps } = setup({ maxLaunchWaitMs: 500 });
    const outcomes = await fleet.launch(slots(120));
    expect(accepted(outcomes)).toBe(110);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(110);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(500);
    const refused = outcomes.filter((o) => !o.accepted);
    expect(refused.every((o) => !o.accepted && o.reason === THROTTLED_REASON)).toBe(true);
  });

  it('waits for the bucket when the default wait covers the launch', async () => {
    const { fleet, sleeps } = setup();
    expect(accepted(await fleet.launch(slots(120)))).toBe(120);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(1_000);
  });
});

describe('FargateFleet observe', () => {
  const ref = (id: string): FargateRef => ({
    kind: 'fargate',
    taskArn: `arn:aws:ecs:eu-west-3:111122223333:task/ecsbox-tasks/${id}`,
    cluster: TARGET.cluster,
  });
  const at = (seconds: number) => new Date(T0 + seconds * 1000);

  it('maps status, timestamps, stop code and containers (in definition order, essential from it)', async () => {
    const { fake, fleet, fleet2 } = setup();
    const [launched] = await fleet.launch([
      spec('slot-1', {
        taskDefinition: definition({
          containerDefinitions: [
            { name: 'app', image: 'nginx:1.27', essential: true },
            { name: 'sidecar', image: 'envoy:1', essential: false },
          ],
        }),
      }),
    ]);
    const launchedRef = refOf(launched);
    const app = {
      name: 'app',
      image: 'nginx:1.27',
      lastStatus: 'STOPPED',
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
      healthStatus: 'UNHEALTHY',
      cpu: '128',
      memory: '256',
    } as const;
    const sidecar = { name: 'sidecar', image: 'envoy:1', lastStatus: 'STOPPED', exitCode: 0, healthStatus: 'UNKNOWN' } as const;
    const stopped = { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' } as const;
    Object.assign(fake.tasks.get(launchedRef.taskArn)!, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      healthStatus: 'UNHEALTHY',
      containers: [sidecar, app],
      pullStartedAt: at(1),
      pullStoppedAt: at(2),
      startedAt: at(3),
      stoppingAt: at(4),
      stoppedAt: at(5),
      ...stopped,
    });

    const expected = {
      taskId: 'slot-1',
      ref: launchedRef,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      healthStatus: 'UNHEALTHY',
      containers: [
        { ...app, essential: true },
        { ...sidecar, essential: false },
      ],
      pullStartedAt: T0 + 1000,
      pullStoppedAt: T0 + 2000,
      startedAt: T0 + 3000,
      stoppingAt: T0 + 4000,
      stoppedAt: T0 + 5000,
      ...stopped,
    };
    const [observed] = await fleet.observe([{ taskId: 'slot-1', ref: launchedRef, createdAt: T0 }], T0);
    expect(observed).toMatchObject(expected);
    expect(observed.nextChangeAt).toBeUndefined();

    // A process that never launched it learns the layout from the task's definition.
    const [cold] = await fleet2().observe([{ taskId: 'slot-1', ref: launchedRef, createdAt: T0 }], T0);
    expect(cold).toMatchObject(expected);
    expect(inputs(DescribeTaskDefinitionCommand).at(-1)).toEqual({
      taskDefinition: fake.tasks.get(launchedRef.taskArn)!.taskDefinitionArn,
    });
  });

  it('launches a task placed on a capacity provider through that provider, without a launch type', async () => {
    const { fleet } = setup();
    await fleet.launch([spec('slot-spot', { capacityProviderName: 'FARGATE_SPOT' })]);
    const [call] = inputs<RunTaskCommandInput>(RunTaskCommand);
    expect(call.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(call.launchType).toBeUndefined();
  });

  it('maps the ENI attachment, zone, connectivity and container network fields of DescribeTasks', async () => {
    const { fake, fleet } = setup();
    const [launched] = await fleet.launch([spec('slot-1')]);
    const launchedRef = refOf(launched);
    const attachment = {
      id: '0f2b6e0c-1111-2222-3333-444455556666',
      type: 'ElasticNetworkInterface',
      status: 'ATTACHED',
      details: [
        { name: 'subnetId', value: 'subnet-0abc' },
        { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' },
        { name: 'macAddress', value: '0e:11:22:33:44:55' },
        { name: 'privateDnsName', value: 'ip-10-0-1-23.ec2.internal' },
        { name: 'privateIPv4Address', value: '10.0.1.23' },
      ],
    };
    const container = fake.tasks.get(launchedRef.taskArn)!.containers![0];
    Object.assign(fake.tasks.get(launchedRef.taskArn)!, {
      lastStatus: 'RUNNING',
      attachments: [attachment],
      availabilityZone: 'us-east-1b',
      connectivity: 'CONNECTED',
      connectivityAt: at(2),
      containers: [
        {
          ...container,
          lastStatus: 'RUNNING',
          imageDigest: 'sha256:abc',
          runtimeId: 'slot-1-1234567890',
          networkInterfaces: [{ attachmentId: attachment.id, privateIpv4Address: '10.0.1.23' }],
        },
      ],
    });
    const [observed] = await fleet.observe([{ taskId: 'slot-1', ref: launchedRef, createdAt: T0 }], T0);
    expect(observed.network).toEqual({
      attachments: [attachment],
      availabilityZone: 'us-east-1b',
      connectivity: 'CONNECTED',
      connectivityAt: T0 + 2000,
    });
    expect(observed.containers[0]).toMatchObject({
      imageDigest: 'sha256:abc',
      runtimeId: 'slot-1-1234567890',
      networkInterfaces: [{ attachmentId: attachment.id, privateIpv4Address: '10.0.1.23' }],
    });
  });

  it('describes at most 100 tasks per call, and reports a task ECS forgot as STOPPED', async () => {
    const { fake, fleet } = setup();
    for (let i = 0; i < 250; i += 2) {
      fake.put({ taskArn: ref(`t${i}`).taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containers: [] });
    }
    const tasks = Array.from({ length: 250 }, (_, i) => ({ taskId: `t${i}`, ref: ref(`t${i}`), createdAt: T0 }));
    // Past the grace after the records were created: a task ECS does not know is gone.
    const observed = await fleet.observe(tasks, T0 + 5 * 60_000);

    expect(inputs<{ tasks: string[] }>(DescribeTasksCommand).map((i) => i.tasks.length)).toEqual([100, 100, 50]);
    expect(observed.map((o) => o.taskId)).toEqual(tasks.map((t) => t.taskId));
    expect(observed[0]).toMatchObject({ lastStatus: 'RUNNING' });
    expect(observed[1]).toEqual({
      taskId: 't1',
      ref: ref('t1'),
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      healthStatus: 'UNKNOWN',
      containers: [],
      stoppedReason: FORGOTTEN_REASON,
    });
  });

  it('shows a just-launched task as RunTask returned it while DescribeTasks does not know it yet', async () => {
    const { fake, fleet, advance } = setup();
    const [launched] = await fleet.launch([spec('slot-1')]);
    fake.tasks.clear();
    const [early] = await fleet.observe([{ taskId: 'slot-1', ref: refOf(launched), createdAt: T0 }], T0);
    expect(early).toMatchObject({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' });

    advance(5 * 60_000);
    const [late] = await fleet.observe([{ taskId: 'slot-1', ref: refOf(launched), createdAt: T0 }], T0 + 5 * 60_000);
    expect(late).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: FORGOTTEN_REASON });
  });

  it("judges a MISSING task by its record's createdAt, whichever process asks: unknown within 5 minutes, gone after", async () => {
    const { fleet2 } = setup();
    const missing = { taskId: 'slot-1', ref: ref('slot-1') };
    // A process that did not launch it (a fresh invocation) must not declare it gone too early.
    expect(await fleet2().observe([{ ...missing, createdAt: T0 - 60_000 }], T0)).toEqual([]);
    const [gone] = await fleet2().observe([{ ...missing, createdAt: T0 - 5 * 60_000 }], T0);
    expect(gone).toMatchObject({ taskId: 'slot-1', lastStatus: 'STOPPED', stoppedReason: FORGOTTEN_REASON });
  });

  it('fails on a DescribeTasks failure other than MISSING rather than guess', async () => {
    const { fleet } = setup();
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: 'arn:x', reason: 'ACCESS_DENIED' }] });
    await expect(fleet.observe([{ taskId: 't', ref: ref('t'), createdAt: T0 }], T0)).rejects.toThrow(/ACCESS_DENIED/);
  });

  it('refuses a ref that is not a Fargate task', async () => {
    const { fleet } = setup();
    await expect(fleet.observe([{ taskId: 't', ref: { kind: 'simulated', timeline: {} }, createdAt: T0 }], T0)).rejects.toThrow(/ref kind simulated/);
  });
});

describe('FargateFleet observe with task state change events', () => {
  /** A record as a due pass passes it: an ecsbox task id (32 hex digits), so its events can name it. */
  const record = (taskId: string, fields: Partial<TaskRecord> = {}): TaskRecord =>
    ({
      taskId,
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${taskId}`,
      clusterName: 'default',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      healthChecked: false,
      createdAt: T0,
      ...fields,
    }) as TaskRecord;
  const id = (digit: string) => digit.repeat(32);
  const records = [
    record(id('a'), { startedAt: T0 }), // steady: its events say when it stops
    record(id('b'), { lastStatus: 'PROVISIONING' }), // starting
    record(id('c'), { desiredStatus: 'STOPPED', startedAt: T0 }), // stopping
    record(id('d'), { healthChecked: true, startedAt: T0 }), // waiting for its first health result: no event says it
    record(id('e'), { lastStatus: 'PROVISIONING', clusterName: 'x'.repeat(250) }), // a group too long to name it: no events
  ];

  it('describes on a due pass only the tasks whose events are late or cannot come; the resync, and a fleet without events, every task', async () => {
    const { fleet, fleet2, advance } = setup({ taskEvents: true });
    const launched = await fleet.launch(records.map((task) => spec(task.taskId, { clusterName: task.clusterName })));
    const requests = launched.map((outcome, index) => ({ taskId: records[index].taskId, ref: refOf(outcome), createdAt: T0 }));
    // Which records DescribeTasks was asked about, by their letter.
    const letterOf = new Map(requests.map((request) => [request.ref.taskArn, request.taskId[0]]));
    const described = () => inputs<{ tasks: string[] }>(DescribeTasksCommand).flatMap((input) => input.tasks.map((arn) => letterOf.get(arn)));
    const duePass = async (now: number) => {
      ecs.resetHistory();
      await fleet.observe(requests.map((request, index) => ({ ...request, recorded: records[index] })), now);
      return described();
    };

    expect(await duePass(T0)).toEqual(['d', 'e']);
    advance(10_000);
    expect(await duePass(T0 + 10_000)).toEqual(['d', 'e']);
    // Starting and stopping for 30 s without a change: their events are late.
    expect(await duePass(T0 + TASK_EVENT_LATE_MS)).toEqual(['b', 'c', 'd', 'e']);
    // Described just now: late again only a while later.
    expect(await duePass(T0 + TASK_EVENT_LATE_MS + 1_000)).toEqual(['d', 'e']);
    expect(await duePass(T0 + 2 * TASK_EVENT_LATE_MS)).toEqual(['b', 'c', 'd', 'e']);

    // The resync gives no records: every task is described.
    ecs.resetHistory();
    await fleet.observe(requests, T0 + 2 * TASK_EVENT_LATE_MS);
    expect(described()).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Without task events, a due pass describes every task too.
    ecs.resetHistory();
    await fleet2({ taskEvents: false }).observe(requests.map((request, index) => ({ ...request, recorded: records[index] })), T0);
    expect(described()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('FargateFleet stop', () => {
  it("stops a running task with the reason cut to ECS's 255 characters, and returns the refs unchanged", async () => {
    const { fleet } = setup();
    const [launched] = await fleet.launch([spec('slot-1')]);
    const ref = refOf(launched);
    const reason = 'é'.repeat(300);
    const stopped = await fleet.stop([{ taskId: 'slot-1', ref, reason, stopCode: 'ServiceSchedulerInitiated' }]);
    expect(stopped).toEqual([{ taskId: 'slot-1', ref }]);
    expect(inputs(StopTaskCommand)).toEqual([
      { cluster: TARGET.cluster, task: ref.taskArn, reason: 'é'.repeat(255) },
    ]);
  });

  it('leaves a stopped or forgotten task alone', async () => {
    const { fleet } = setup();
    const [launched] = await fleet.launch([spec('slot-1')]);
    const ref = refOf(launched);
    await fleet.stop([{ taskId: 'slot-1', ref, reason: 'first', stopCode: 'UserInitiated' }]);
    const gone: BackendRef = { kind: 'fargate', taskArn: 'arn:aws:ecs:r:1:task/ecsbox-tasks/gone', cluster: TARGET.cluster };
    await fleet.stop([
      { taskId: 'slot-1', ref, reason: 'second', stopCode: 'UserInitiated' },
      { taskId: 'gone', ref: gone, reason: 'third', stopCode: 'UserInitiated' },
    ]);
    expect(inputs<{ reason: string }>(StopTaskCommand).map((i) => i.reason)).toEqual(['first']);
    const [observed] = await fleet.observe([{ taskId: 'slot-1', ref, createdAt: T0 }], T0);
    expect(observed).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'first' });
  });
});

describe('FargateFleet garbage collection', () => {
  it('stops the ecsbox tasks of its tenant that no record owns, once they are past the grace, and nothing else', async () => {
    const { fake, fleet, advance } = setup();
    await fleet.launch([spec('owned'), spec('stray')]);
    fake.put({
      taskArn: 'arn:aws:ecs:eu-west-3:111122223333:task/ecsbox-tasks/foreign',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-3:111122223333:task-definition/someone-else:1',
      startedBy: 'ecsbox-0123456789abcdef0123456789a',
      desiredStatus: 'RUNNING',
      createdAt: new Date(T0),
    });
    advance(STRAY_GRACE_MS);
    await fleet.launch([spec('young-stray')]);
    let askedAfterListing = false;
    const stopped = await fleet.collectStrays(async () => {
      askedAfterListing = ecs.commandCalls(ListTasksCommand).some((call) => call.args[0].input.startedBy === undefined);
      return new Set(['owned']);
    }, T0 + STRAY_GRACE_MS);
    expect(askedAfterListing).toBe(true);
    const strayArn = [...fake.tasks.values()].find((task) => task.startedBy === startedByFor(TARGET.familyPrefix, 'stray'))!.taskArn;
    expect(stopped).toEqual([strayArn]);
    expect(inputs(StopTaskCommand)).toEqual([{ cluster: TARGET.cluster, task: strayArn, reason: STRAY_REASON }]);
  });
});

describe('the ECS group naming the record', () => {
  const taskId = '0123456789abcdef0123456789abcdef';

  it('names account, cluster and task, and is read back; a name past 255 characters keeps the fallback', () => {
    const group = ecsGroupFor('000000000000', 'web', taskId, 'service:web');
    expect(recordOfEcsGroup(group)).toEqual({ accountId: '000000000000', clusterName: 'web', taskId });
    expect(ecsGroupFor('000000000000', 'c'.repeat(255), taskId, 'service:web')).toBe('service:web');
    for (const other of ['service:web', 'family:web', `ecsbox:00000000000:web:${taskId}`, `ecsbox:000000000000:web:${taskId}x`, undefined]) {
      expect(recordOfEcsGroup(other)).toBeUndefined();
    }
  });
});
