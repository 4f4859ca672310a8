import {
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { request } from '../support/http';
import { eventually } from '../support/poll';
import { awsClients, createServices, scalableTargetOf } from '../support/scaling';

/**
 * The scaling controller changes desiredCount for real, on the fast profile (a metric minute is
 * 5 s), for each policy type, driven through the real SDK clients. The three services scale side by
 * side, so the file takes about as long as its slowest (target tracking: 3 datapoints).
 */
describe('ECS service auto scaling on a simulated load', () => {
  const cluster = 'e2e-scale';
  const clients = awsClients();
  const { ecs, scaling, cloudwatch } = clients;
  const resourceOf = (service: string) => scalableTargetOf(cluster, service);

  const service = async (serviceName: string) => (await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }))).services![0];

  const desiredCountReaches = (serviceName: string, count: number) =>
    eventually(async () => ((await service(serviceName)).desiredCount === count ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `${serviceName} scaled to ${count}`,
    });

  beforeAll(async () => {
    await createServices(ecs, cluster, ['tracked', 'stepped', 'scheduled'], 1);
    for (const name of ['tracked', 'stepped', 'scheduled']) {
      await scaling.send(new RegisterScalableTargetCommand({ ...resourceOf(name), MinCapacity: 1, MaxCapacity: 6 }));
    }
  });

  afterAll(() => clients.destroy());

  it('scales out by target tracking, by a step policy on a user alarm, and by a scheduled action', async () => {
    // Target tracking: 140 % on one task (±3 %), target 50 % → 3 tasks, after AlarmHigh's 3 datapoints.
    await scaling.send(
      new PutScalingPolicyCommand({
        ...resourceOf('tracked'),
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
      }),
    );
    // Step scaling: +2 tasks while the service's CPU is above 60 % for one datapoint.
    const step = await scaling.send(
      new PutScalingPolicyCommand({
        ...resourceOf('stepped'),
        PolicyName: 'steps',
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }], Cooldown: 300 },
      }),
    );
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'e2e-scale-stepped-high',
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: cluster },
          { Name: 'ServiceName', Value: 'stepped' },
        ],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 60,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [step.PolicyARN!],
      }),
    );
    // A scheduled action, due in two seconds: the minimum becomes 4.
    const soon = new Date(Date.now() + 2000).toISOString().slice(0, 19);
    await scaling.send(
      new PutScheduledActionCommand({ ...resourceOf('scheduled'), ScheduledActionName: 'soon', Schedule: `at(${soon})`, ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 6 } }),
    );
    for (const name of ['tracked', 'stepped']) {
      expect((await request('PUT', `/v1/clusters/${cluster}/services/${name}/load`, { cpuUtilization: 140 })).status).toBe(200);
    }

    await Promise.all([desiredCountReaches('tracked', 3), desiredCountReaches('stepped', 3), desiredCountReaches('scheduled', 4)]);

    const finished = (name: string) =>
      eventually(
        async () => {
          const { ScalingActivities } = await scaling.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceOf(name).ResourceId }));
          return ScalingActivities?.[0]?.StatusCode === 'Successful' ? ScalingActivities : undefined;
        },
        { what: `${name}'s activity Successful` },
      );
    const ScalingActivities = await finished('tracked');
    expect(ScalingActivities[0]).toMatchObject({
      Description: 'Setting desired count to 3.',
      StatusCode: 'Successful',
      Cause: expect.stringMatching(/^monitor alarm TargetTracking-service\/e2e-scale\/tracked-AlarmHigh-.* in state ALARM triggered policy cpu50$/),
      Details: expect.stringMatching(/^average CPU 1[34]\d(\.\d)? % over 3 datapoints > target 50 %: 1 → 3 tasks$/),
    });
    expect((await service('tracked')).events?.map((event) => event.message)).toContain('Successfully set desired count to 3. Change successfully fulfilled by ecs.');
    const [high] = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/e2e-scale/tracked-AlarmHigh' }))).MetricAlarms ?? [];
    expect(high).toMatchObject({ EvaluationPeriods: 3, Threshold: 50, AlarmActions: [expect.stringContaining('policyName/cpu50')] });

    // The REST face explains the same decisions.
    const rest = await request('GET', `/v1/clusters/${cluster}/services/tracked/scaling`);
    expect(rest.body.scaling).toMatchObject({
      scalableTarget: { MinCapacity: 1, MaxCapacity: 6, CreationTime: expect.stringMatching(/^\d{4}-/) },
      policies: [expect.objectContaining({ PolicyName: 'cpu50' })],
      activities: expect.arrayContaining([expect.objectContaining({ Details: ScalingActivities[0].Details })]),
    });

    const [scheduled] = await finished('scheduled');
    expect(scheduled).toMatchObject({ StatusCode: 'Successful', Cause: 'scheduled action name soon was triggered', Details: 'desired count 1 is outside [4, 6]: 1 → 4 tasks' });
  });
});
