import { capacityPass } from '../../lib/controllers/capacity/controller';
import { SCALE_IN_AFTER_MS } from '../../lib/controllers/capacity/plan';
import { arns } from '../../lib/domain/arn';
import type { Deps } from '../../lib/deps';
import type { TaskRecord } from '../../lib/domain/task';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { log } from '../../lib/log';
import {
  createCapacityProvider,
  deleteCapacityProvider,
  describeCapacityProviders,
  getCapacityProvider,
  putClusterCapacityProviders,
  updateCapacityProvider,
  updateSimulatedGroup,
} from '../../lib/usecases/capacity-providers';
import { createCluster, describeClusters } from '../../lib/usecases/clusters';
import { createService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshDeps, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const ASG = 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f3c2b1a-1111-2222-3333-444455556666:autoScalingGroupName/ec2-asg';
/** A boot on the fast profile (a minute / 12), and a little more. */
const BOOT = 5_100;

/** An EC2 task of provider "cp" waiting for capacity, as the task placement records it (the contract). */
const waitingTask = (deps: Deps, index: number, now: number) =>
  ({
    taskId: `wait${String(index).padStart(28, '0')}`,
    taskArn: arns.task(deps.scope, 'ec2', `wait${String(index).padStart(28, '0')}`),
    clusterName: 'ec2',
    clusterArn: arns.cluster(deps.scope, 'ec2'),
    taskDefinitionArn: arns.taskDefinition(deps.scope, 'web', 1),
    group: 'family:web',
    launchType: 'EC2',
    capacityProviderName: 'cp',
    platformVersion: '',
    cpu: '1024',
    memory: '2048',
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    containers: [{ name: 'web', image: 'nginx', lastStatus: 'PENDING', essential: true }],
    createdAt: now,
    healthChecked: false,
    version: 1,
  }) as unknown as TaskRecord;

describe('capacity providers on DynamoDB Local', () => {
  let deps: Deps;
  const clock = new TestClock();
  const pass = () => capacityPass(deps, clock.now(), log);
  const instances = async () => (await deps.containerInstances.listLive('ec2')).map((record) => record.ec2InstanceId).sort();

  beforeAll(async () => {
    deps = await freshDeps({ clock });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
  });

  it('creates a provider, and describes it after FARGATE and FARGATE_SPOT, a page at a time, tags when asked', async () => {
    const { capacityProvider } = await createCapacityProvider(deps, {
      name: 'cp',
      autoScalingGroupProvider: { autoScalingGroupArn: ASG, managedScaling: { status: 'ENABLED', targetCapacity: 100 }, managedTerminationProtection: 'ENABLED' },
      tags: [{ key: 'team', value: 'a' }],
    });
    expect(capacityProvider).toMatchObject({
      capacityProviderArn: 'arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp',
      status: 'ACTIVE',
      autoScalingGroupProvider: {
        autoScalingGroupArn: ASG,
        managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10_000, instanceWarmupPeriod: 300 },
        managedTerminationProtection: 'ENABLED',
      },
    });
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await describeCapacityProviders(deps, { maxResults: 1, nextToken, include: ['TAGS'] });
      names.push(...page.capacityProviders.map((provider) => provider.name));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toEqual(['FARGATE', 'FARGATE_SPOT', 'cp']);
    const named = await describeCapacityProviders(deps, { capacityProviders: ['cp', 'nope'] });
    expect(named.capacityProviders).toEqual([expect.not.objectContaining({ tags: expect.anything() })]);
    expect(named.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:capacity-provider/nope', reason: 'MISSING' }]);
  });

  it.each([
    ['a name taken', { name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: 'other' } }, /already exists/],
    ['a reserved prefix', { name: 'FargateMore', autoScalingGroupProvider: { autoScalingGroupArn: 'other' } }, /name cannot be prefixed.*FargateMore/],
    ['a group another provider uses', { name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: ASG } }, /Auto Scaling group ARN is already being used by another capacity provider \(cp\)/],
    ['a malformed group ARN', { name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: 'arn:aws:autoscaling:x' } }, /autoScalingGroupArn/],
    ['termination protection without managed scaling', { name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: 'g', managedTerminationProtection: 'ENABLED' as const } }, /managedTerminationProtection/],
    ['steps out of order', { name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: 'g', managedScaling: { minimumScalingStepSize: 5, maximumScalingStepSize: 2 } } }, /minimumScalingStepSize/],
  ])('refuses %s, naming it, and stores nothing', async (_name, input, message) => {
    await expect(createCapacityProvider(deps, input)).rejects.toMatchObject({ message: expect.stringMatching(message) });
    expect((await deps.capacityProviders.list()).map((record) => record.name)).toEqual(['cp']);
  });

  it('attaches the provider to one cluster with its default strategy, and refuses to delete or share it meanwhile', async () => {
    await createCluster(deps, { clusterName: 'ec2', capacityProviders: ['cp', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1, base: 1 }] });
    const { clusters } = await describeClusters(deps, { clusters: ['ec2'], include: ['ATTACHMENTS'] });
    expect(clusters[0]).toMatchObject({
      capacityProviders: ['cp', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1, base: 1 }],
      attachments: [{ type: 'as_policy', status: 'CREATED', details: expect.arrayContaining([{ name: 'capacityProviderName', value: 'cp' }]) }],
    });
    expect((await deps.capacityProviders.get('cp'))?.clusterName).toBe('ec2');
    await expect(createCluster(deps, { clusterName: 'other', capacityProviders: ['cp'] })).rejects.toMatchObject({ message: expect.stringMatching(/already associated with cluster ec2/) });
    expect(await deps.clusters.get('other')).toBeUndefined();
    await expect(deleteCapacityProvider(deps, { capacityProvider: 'cp' })).rejects.toMatchObject({ name: 'ClientException', message: expect.stringMatching(/in use by cluster ec2/) });
    await expect(
      putClusterCapacityProviders(deps, { cluster: 'ec2', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/not associated with the cluster.*FARGATE/) });
  });

  it("refuses to remove a provider a service's strategy uses (ResourceInUseException)", async () => {
    await createService(deps, {
      cluster: 'ec2',
      serviceName: 'spot',
      taskDefinition: 'web',
      desiredCount: 0,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    });
    await expect(putClusterCapacityProviders(deps, { cluster: 'ec2', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [] })).rejects.toMatchObject({
      name: 'ResourceInUseException',
      message: expect.stringMatching(/FARGATE_SPOT is in use by service spot/),
    });
    expect((await deps.clusters.get('ec2'))?.capacityProviders).toEqual(['cp', 'FARGATE_SPOT']);
  });

  it('launches the group up to its minimum, and each instance registers once it has booted', async () => {
    await updateSimulatedGroup(deps, 'cp', { minSize: 1, instanceType: 't3.medium' });
    await pass();
    const { autoScalingGroup } = await getCapacityProvider(deps, 'cp');
    expect(autoScalingGroup.instances).toEqual([expect.objectContaining({ lifecycleState: 'Pending', availabilityZone: 'us-east-1a' })]);
    expect(await instances()).toEqual([]);
    clock.advance(BOOT);
    await pass();
    expect(await instances()).toEqual([autoScalingGroup.instances[0].instanceId]);
    expect((await getCapacityProvider(deps, 'cp')).capacityProviderReservation).toBe(0);
  });

  it('scales out for tasks waiting for capacity, within the maximum step, aiming the reservation at the target', async () => {
    await updateCapacityProvider(deps, { name: 'cp', autoScalingGroupProvider: { managedScaling: { maximumScalingStepSize: 2 } } });
    await deps.tasks.createStandalone(Array.from({ length: 4 }, (_, index) => waitingTask(deps, index, clock.now())));
    await pass();
    // M: 4 tasks of 2 GiB need 4 fresh t3.medium (3,904 MiB each); N: 1 → 400 %, and 2 more at most.
    const scaled = await getCapacityProvider(deps, 'cp');
    expect(scaled.capacityProviderReservation).toBe(400);
    expect(scaled.autoScalingGroup.desiredCapacity).toBe(3);
    clock.advance(BOOT);
    await pass();
    expect(await instances()).toHaveLength(3);
    expect((await getCapacityProvider(deps, 'cp')).autoScalingGroup.desiredCapacity).toBe(4);
    clock.advance(BOOT);
    await pass();
    expect(await instances()).toHaveLength(4);
    const metric = await deps.metrics.customDatapoints(
      { Namespace: 'AWS/ECS/ManagedScaling', MetricName: 'CapacityProviderReservation', Dimensions: [{ Name: 'CapacityProviderName', Value: 'cp' }, { Name: 'ClusterName', Value: 'ec2' }] },
      0,
      clock.now() + 1,
      clock.now(),
    );
    // One datapoint per metric minute (5 s here): the scale-out shows above 100 %.
    expect(Math.max(...metric.map((point) => point.Value!))).toBeGreaterThan(100);
  });

  it('scales in idle instances only after the reservation stayed low, never below the minimum', async () => {
    for (let index = 0; index < 4; index++) {
      const task = (await deps.tasks.get('ec2', waitingTask(deps, index, 0).taskId))!;
      await deps.tasks.save({ ...task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: clock.now(), version: task.version + 1 });
    }
    await pass();
    expect(await instances()).toHaveLength(4);
    clock.advance(SCALE_IN_AFTER_MS / 12);
    await pass();
    expect(await instances()).toHaveLength(1);
    expect((await getCapacityProvider(deps, 'cp')).autoScalingGroup).toMatchObject({ desiredCapacity: 1, instances: [expect.objectContaining({ lifecycleState: 'InService' })] });
  });

  it('detaches and deletes the provider; its instance stays registered', async () => {
    await putClusterCapacityProviders(deps, { cluster: 'ec2', capacityProviders: ['FARGATE_SPOT'], defaultCapacityProviderStrategy: [] });
    expect((await deleteCapacityProvider(deps, { capacityProvider: 'cp' })).capacityProvider).toMatchObject({ status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' });
    expect(await deps.capacityProviders.list()).toEqual([]);
    expect(await instances()).toHaveLength(1);
  });
});
