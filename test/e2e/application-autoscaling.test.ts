import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { wireRequest } from '../support/ecs-wire';
import { awsClients, createServices, scalableTargetOf } from '../support/scaling';

/**
 * Application Auto Scaling over its own protocol (JSON 1.1, AnyScaleFrontendService) at the same
 * endpoint as ECS, through the real @aws-sdk/client-application-auto-scaling.
 */
describe('Application Auto Scaling for ECS services', () => {
  const cluster = 'e2e-aas';
  const resource = scalableTargetOf(cluster, 'web');
  const clients = awsClients();
  const { ecs, scaling } = clients;

  beforeAll(() => createServices(ecs, cluster, ['web'], 0));

  afterAll(() => clients.destroy());

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
        name: error.name,
        message: error.message,
        status: error.$metadata?.httpStatusCode,
      }),
    );

  it('registers a target, clamps the desired count into its bounds and says so', async () => {
    const registered = await scaling.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 1, MaxCapacity: 4, Tags: { team: 'web' } }));
    expect(registered.ScalableTargetARN).toMatch(/^arn:aws:application-autoscaling:us-east-1:\d{12}:scalable-target\/0e[0-9a-f]{30}$/);

    const [service] = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services!;
    expect(service.desiredCount).toBe(1);
    expect(service.events?.map((event) => event.message)).toContain('Successfully set desired count to 1. Change successfully fulfilled by ecs.');

    const { ScalingActivities } = await scaling.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: resource.ResourceId }));
    expect(ScalingActivities?.[0]).toMatchObject({ Description: 'Setting desired count to 1.', StatusCode: 'Successful', ResourceId: resource.ResourceId });
    expect(ScalingActivities?.[0].StartTime).toBeInstanceOf(Date);

    // Re-registering updates the bounds and clamps again, keeping the ARN.
    const again = await scaling.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 2 }));
    expect(again.ScalableTargetARN).toBe(registered.ScalableTargetARN);
    const { ScalableTargets } = await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resource.ResourceId] }));
    expect(ScalableTargets).toEqual([
      expect.objectContaining({ ...resource, MinCapacity: 2, MaxCapacity: 4, ScalableTargetARN: registered.ScalableTargetARN, CreationTime: expect.any(Date) }),
    ]);
    expect((await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services![0].desiredCount).toBe(2);

    const arn = registered.ScalableTargetARN!;
    expect((await scaling.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual({ team: 'web' });
    await scaling.send(new TagResourceCommand({ ResourceARN: arn, Tags: { stage: 'dev' } }));
    await scaling.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['team'] }));
    expect((await scaling.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual({ stage: 'dev' });
  });

  it('stores target-tracking and step policies with their managed alarms, and deletes them', async () => {
    const tracking = await scaling.send(
      new PutScalingPolicyCommand({
        ...resource,
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          ScaleInCooldown: 120,
        },
      }),
    );
    expect(tracking.PolicyARN).toMatch(/^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/e2e-aas\/web:policyName\/cpu50$/);
    expect(tracking.Alarms?.map((alarm) => alarm.AlarmName)).toEqual([
      expect.stringMatching(/^TargetTracking-service\/e2e-aas\/web-AlarmHigh-[0-9a-f-]{36}$/),
      expect.stringMatching(/^TargetTracking-service\/e2e-aas\/web-AlarmLow-[0-9a-f-]{36}$/),
    ]);
    await scaling.send(
      new PutScalingPolicyCommand({
        ...resource,
        PolicyName: 'steps',
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'ChangeInCapacity',
          Cooldown: 60,
          MetricAggregationType: 'Average',
          StepAdjustments: [
            { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
            { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
          ],
        },
      }),
    );
    const { ScalingPolicies } = await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resource.ResourceId }));
    expect(ScalingPolicies?.map((policy) => [policy.PolicyName, policy.PolicyType])).toEqual([
      ['cpu50', 'TargetTrackingScaling'],
      ['steps', 'StepScaling'],
    ]);
    expect(ScalingPolicies?.[0].CreationTime).toBeInstanceOf(Date);

    await scaling.send(new DeleteScalingPolicyCommand({ ...resource, PolicyName: 'steps' }));
    const missing = await refusal(scaling.send(new DeleteScalingPolicyCommand({ ...resource, PolicyName: 'steps' })));
    expect(missing).toMatchObject({ name: 'ObjectNotFoundException', status: 400, message: expect.stringContaining('policy name: steps') });
  });

  it('stores scheduled actions in at(), rate() and cron() with a time zone', async () => {
    for (const [name, Schedule] of [
      ['once', 'at(2030-01-01T08:00:00)'],
      ['often', 'rate(5 minutes)'],
      ['mornings', 'cron(0 8 ? * MON-FRI *)'],
    ]) {
      await scaling.send(
        new PutScheduledActionCommand({ ...resource, ScheduledActionName: name, Schedule, Timezone: 'Europe/Paris', ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 3 } }),
      );
    }
    const { ScheduledActions } = await scaling.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs', ResourceId: resource.ResourceId }));
    expect(ScheduledActions?.map((action) => [action.ScheduledActionName, action.Schedule, action.Timezone])).toEqual([
      ['once', 'at(2030-01-01T08:00:00)', 'Europe/Paris'],
      ['often', 'rate(5 minutes)', 'Europe/Paris'],
      ['mornings', 'cron(0 8 ? * MON-FRI *)', 'Europe/Paris'],
    ]);
    await scaling.send(new DeleteScheduledActionCommand({ ...resource, ScheduledActionName: 'often' }));
    const names = (await scaling.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'ecs', ScheduledActionNames: ['once', 'often', 'mornings'] }))).ScheduledActions?.filter((action) => action.ResourceId === resource.ResourceId).map((action) => action.ScheduledActionName);
    expect(names).toEqual(['once', 'mornings']);
  });

  it.each([
    ['another namespace', () => new RegisterScalableTargetCommand({ ...resource, ServiceNamespace: 'dynamodb', MinCapacity: 1, MaxCapacity: 2 }), /namespace: dynamodb/],
    ['a resource id of no service', () => new RegisterScalableTargetCommand({ ...resource, ResourceId: `service/${cluster}/nope`, MinCapacity: 1, MaxCapacity: 2 }), /doesn't exist/],
    ['min above max', () => new RegisterScalableTargetCommand({ ...resource, MinCapacity: 5, MaxCapacity: 2 }), /greater than maximum/],
    ['a bad cron', () => new PutScheduledActionCommand({ ...resource, ScheduledActionName: 'bad', Schedule: 'cron(61 * * * ? *)' }), /schedule expression/],
    ['an unknown time zone', () => new PutScheduledActionCommand({ ...resource, ScheduledActionName: 'bad', Schedule: 'rate(1 hour)', Timezone: 'Mars/Olympus' }), /Timezone/],
    ['target tracking without a metric', () => new PutScalingPolicyCommand({ ...resource, PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50 } }), /Exactly one/],
    ['overlapping steps', () => new PutScalingPolicyCommand({ ...resource, PolicyName: 'p', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 30, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }] } }), /overlap/],
  ])('refuses %s with ValidationException, changing nothing', async (_name, command, message) => {
    const before = await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }));
    expect(await refusal(scaling.send(command() as never))).toMatchObject({ name: 'ValidationException', status: 400, message: expect.stringMatching(message) });
    expect(await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).toEqual(before);
  });

  it('answers raw requests in its own error names and media type', async () => {
    const unknownMember = await wireRequest('AnyScaleFrontendService.DescribeScalableTargets', { ServiceNamespace: 'ecs', Colour: 'red' });
    expect(unknownMember).toMatchObject({ status: 400, body: { __type: 'ValidationException', message: expect.stringContaining('Colour') } });
    expect(unknownMember.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const notJson = await wireRequest('AnyScaleFrontendService.DescribeScalableTargets', '{');
    expect(notJson).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
    const unknownOperation = await wireRequest('AnyScaleFrontendService.LaunchRocket', {});
    expect(unknownOperation).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
  });

  it('deregistering removes the target with its policies and scheduled actions', async () => {
    await scaling.send(new DeregisterScalableTargetCommand(resource));
    expect((await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resource.ResourceId] }))).ScalableTargets).toEqual([]);
    expect((await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resource.ResourceId }))).ScalingPolicies).toEqual([]);
    expect(await refusal(scaling.send(new DeregisterScalableTargetCommand(resource)))).toMatchObject({ name: 'ObjectNotFoundException', status: 400 });
    expect(
      await refusal(scaling.send(new PutScalingPolicyCommand({ ...resource, PolicyName: 'late', StepScalingPolicyConfiguration: { AdjustmentType: 'ExactCapacity', StepAdjustments: [{ ScalingAdjustment: 1 }] } }))),
    ).toMatchObject({ name: 'ObjectNotFoundException', message: expect.stringContaining('No scalable target registered') });
  });
});
