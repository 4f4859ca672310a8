import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { awsCli } from '../support/aws-cli';
import { api, request } from '../support/http';
import { eventually } from '../support/poll';
import { awsClients, createServices } from '../support/scaling';

/**
 * The simulated load (REST) and CloudWatch's AWS/ECS metrics, alarms and custom metrics, through
 * the real @aws-sdk/client-cloudwatch (AWS JSON 1.0) and the AWS CLI v2 (the query protocol).
 * The local stack runs the fast profile: a metric minute lasts 5 s.
 */
describe('CloudWatch metrics of a simulated load', () => {
  const cluster = 'e2e-cw';
  const clients = awsClients();
  const { ecs, cloudwatch } = clients;
  const serviceMetric = {
    Namespace: 'AWS/ECS',
    MetricName: 'CPUUtilization',
    Dimensions: [
      { Name: 'ClusterName', Value: cluster },
      { Name: 'ServiceName', Value: 'web' },
    ],
  };

  beforeAll(async () => {
    await createServices(ecs, cluster, ['web'], 2);
    await eventually(
      async () => ((await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services?.[0].runningCount === 2 ? true : undefined),
      { timeoutMs: 30_000, what: 'two RUNNING tasks' },
    );
  });

  afterAll(() => clients.destroy());

  it('sets and shows a load over REST, shared by the RUNNING tasks', async () => {
    const put = await request('PUT', `/v1/clusters/${cluster}/services/web/load`, { cpuUtilization: 80, memoryUtilization: 40 });
    expect(put.status).toBe(200);
    expect(put.body.current).toMatchObject({ cpuUtilization: 80, memoryUtilization: 40, runningTasks: 2, perTask: { cpuUtilization: 40, memoryUtilization: 20 } });
    const got = await api.get(`/v1/clusters/${cluster}/services/web/load`);
    expect(got.body.load).toMatchObject({ cpuUtilization: 80, memoryUtilization: 40, setAt: expect.any(String) });

    const refused = await request('PUT', `/v1/clusters/${cluster}/services/web/load`, { shape: 'step', cpuUtilization: 10 });
    expect(refused).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException', message: expect.stringContaining('then') } });
    expect((await request('PUT', `/v1/clusters/${cluster}/services/nope/load`, { cpuUtilization: 1 })).status).toBe(404);
  });

  it('serves AWS/ECS CPUUtilization per service and per cluster through the SDK', async () => {
    const point = await eventually(
      async () => {
        const now = Date.now();
        const { Datapoints } = await cloudwatch.send(
          new GetMetricStatisticsCommand({ ...serviceMetric, StartTime: new Date(now - 60_000), EndTime: new Date(now + 60_000), Period: 60, Statistics: ['Average', 'SampleCount'] }),
        );
        // A whole period under the load: each of the two tasks shows about 80 / 2.
        return Datapoints?.find((candidate) => Math.abs(candidate.Average! - 40) <= 1.5 && candidate.SampleCount === 12);
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'a datapoint of about 40 %' },
    );
    expect(point.Timestamp).toBeInstanceOf(Date);
    expect(point.Unit).toBe('Percent');

    const now = Date.now();
    const { MetricDataResults } = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 120_000),
        EndTime: new Date(now),
        MetricDataQueries: [
          { Id: 'service', MetricStat: { Metric: serviceMetric, Period: 60, Stat: 'Maximum' } },
          { Id: 'cluster', MetricStat: { Metric: { ...serviceMetric, MetricName: 'MemoryUtilization', Dimensions: [serviceMetric.Dimensions[0]] }, Period: 60, Stat: 'Average' } },
        ],
      }),
    );
    expect(MetricDataResults?.map((result) => [result.Id, result.StatusCode])).toEqual([
      ['service', 'Complete'],
      ['cluster', 'Complete'],
    ]);
    expect(MetricDataResults?.[1].Values?.some((value) => Math.abs(value - 20) <= 1)).toBe(true);
    expect(MetricDataResults?.[0].Timestamps?.[0]).toBeInstanceOf(Date);

    const { Metrics } = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'AWS/ECS', Dimensions: [{ Name: 'ClusterName', Value: cluster }] }));
    expect(Metrics).toEqual(expect.arrayContaining([expect.objectContaining(serviceMetric)]));
  });

  it('stores alarms, evaluates them on the metric, and deletes them', async () => {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        ...serviceMetric,
        AlarmName: 'e2e-cw-high',
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 30,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    const alarm = await eventually(
      async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['e2e-cw-high'] }))).MetricAlarms?.find((found) => found.StateValue === 'ALARM'),
      { timeoutMs: 20_000, intervalMs: 500, what: 'the alarm in ALARM' },
    );
    expect(alarm.StateReason).toMatch(/Threshold Crossed/);
    expect(alarm.StateUpdatedTimestamp).toBeInstanceOf(Date);

    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['e2e-cw-high'] }));
    const missing = await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['e2e-cw-high'] })).catch((error: { name: string; $metadata: { httpStatusCode: number } }) => error);
    expect(missing).toMatchObject({ name: 'ResourceNotFound', $metadata: { httpStatusCode: 400 } });
    const refused = await cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/Mine', MetricData: [{ MetricName: 'x', Value: 1 }] })).catch((error: Error) => error);
    expect(refused).toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('AWS/') });
  });

  it('keeps custom metrics put with PutMetricData', async () => {
    const now = Date.now();
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'E2E/Shop',
        MetricData: [
          { MetricName: 'Orders', Dimensions: [{ Name: 'Shop', Value: 'north' }], Value: 3, Timestamp: new Date(now - 1000), Unit: 'Count' },
          { MetricName: 'Orders', Dimensions: [{ Name: 'Shop', Value: 'north' }], Values: [1, 2], Counts: [2, 1], Timestamp: new Date(now - 900), Unit: 'Count' },
        ],
      }),
    );
    const { Datapoints } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'E2E/Shop',
        MetricName: 'Orders',
        Dimensions: [{ Name: 'Shop', Value: 'north' }],
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 1000),
        Period: 3600,
        Statistics: ['Sum', 'SampleCount', 'Maximum'],
      }),
    );
    expect(Datapoints?.reduce((total, point) => total + point.Sum!, 0)).toBe(7);
    expect(Datapoints?.reduce((total, point) => total + point.SampleCount!, 0)).toBe(4);
    const { Metrics } = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'E2E/Shop' }));
    expect(Metrics).toEqual([{ Namespace: 'E2E/Shop', MetricName: 'Orders', Dimensions: [{ Name: 'Shop', Value: 'north' }] }]);
  });

  it('answers the AWS CLI in the query protocol', async () => {
    const now = Date.now();
    const statistics = JSON.parse(
      await awsCli(
        'cloudwatch',
        'get-metric-statistics',
        '--namespace', 'AWS/ECS',
        '--metric-name', 'CPUUtilization',
        '--dimensions', `Name=ClusterName,Value=${cluster}`, 'Name=ServiceName,Value=web',
        '--start-time', new Date(now - 120_000).toISOString(),
        '--end-time', new Date(now).toISOString(),
        '--period', '60',
        '--statistics', 'Average',
      ),
    );
    expect(statistics.Label).toBe('CPUUtilization');
    expect(statistics.Datapoints.length).toBeGreaterThan(0);
    expect(Date.parse(statistics.Datapoints[0].Timestamp)).toBeGreaterThan(now - 200_000);

    await awsCli(
      'cloudwatch', 'put-metric-alarm',
      '--alarm-name', 'e2e-cw-cli',
      '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization',
      '--dimensions', `Name=ClusterName,Value=${cluster}`,
      '--statistic', 'Average', '--period', '60', '--evaluation-periods', '2',
      '--threshold', '90', '--comparison-operator', 'GreaterThanOrEqualToThreshold',
    );
    const described = JSON.parse(await awsCli('cloudwatch', 'describe-alarms', '--alarm-names', 'e2e-cw-cli'));
    expect(described.MetricAlarms).toEqual([
      expect.objectContaining({ AlarmName: 'e2e-cw-cli', Threshold: 90, EvaluationPeriods: 2, Dimensions: [{ Name: 'ClusterName', Value: cluster }] }),
    ]);
    const failure = await awsCli('cloudwatch', 'delete-alarms', '--alarm-names', 'e2e-cw-nope').catch((error: { stderr: string }) => error.stderr);
    expect(failure).toMatch(/ResourceNotFound/);
    await awsCli('cloudwatch', 'delete-alarms', '--alarm-names', 'e2e-cw-cli');
  });
});
