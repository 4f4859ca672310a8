import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { api, request } from '../support/http';
import { eventually } from '../support/poll';
import { awsClients, createServices } from '../support/scaling';

/**
 * GET /v1/clusters/{cluster}/services/{service}/metrics, the REST route the console's CPU chart
 * reads: the same datapoints CloudWatch's GetMetricStatistics gives for the service, complete
 * one-minute periods only (5 s each on the local stack's fast profile).
 */
describe('a service metrics over REST', () => {
  const cluster = 'e2e-console-metrics';
  const clients = awsClients();
  const path = `/v1/clusters/${cluster}/services/web/metrics`;

  beforeAll(async () => {
    await createServices(clients.ecs, cluster, ['web'], 1);
    await eventually(
      async () => ((await clients.ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }))).services?.[0].runningCount === 1 ? true : undefined),
      { timeoutMs: 30_000, what: 'a RUNNING task' },
    );
    expect((await request('PUT', `/v1/clusters/${cluster}/services/web/load`, { cpuUtilization: 70 })).status).toBe(200);
  });

  afterAll(() => clients.destroy());

  it('answers the CPU datapoints CloudWatch has for the service, one-minute periods, complete ones only', async () => {
    // One task carries the whole load: about 70 % (±3 %) in every period after the load was set.
    const metrics = await eventually(
      async () => {
        const { body } = await api.get(`${path}?minutes=10`);
        const last = body.metrics.datapoints.at(-1);
        return last && last.average > 60 ? body.metrics : undefined;
      },
      { timeoutMs: 20_000, what: 'a period at the new load' },
    );
    expect(metrics).toMatchObject({ metricName: 'CPUUtilization', unit: 'Percent', periodSeconds: 60, timeScale: 12 });
    const periodMs = 5000;
    const [start, end] = [Date.parse(metrics.start), Date.parse(metrics.end)];
    expect(end - start).toBe(10 * periodMs);
    expect(end % periodMs).toBe(0);
    expect(end).toBeLessThanOrEqual(Date.now());
    const last = metrics.datapoints.at(-1);
    expect(last.average).toBeGreaterThanOrEqual(70 * 0.97);
    expect(last.average).toBeLessThanOrEqual(70 * 1.03);
    expect(last.minimum).toBeLessThanOrEqual(last.average);
    expect(last.maximum).toBeGreaterThanOrEqual(last.average);
    // The same numbers as CloudWatch's, for the same range.
    const { Datapoints } = await clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: cluster },
          { Name: 'ServiceName', Value: 'web' },
        ],
        StartTime: new Date(start),
        EndTime: new Date(end),
        Period: 60,
        Statistics: ['Average', 'Minimum', 'Maximum'],
      }),
    );
    const fromCloudWatch = (Datapoints ?? [])
      .map((point) => ({ timestamp: point.Timestamp!.toISOString(), average: point.Average, minimum: point.Minimum, maximum: point.Maximum }))
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    expect(metrics.datapoints).toEqual(fromCloudWatch);
  });

  it('refuses bad input with the field named, and a missing service with ServiceNotFoundException', async () => {
    for (const query of ['minutes=0', 'minutes=1441', 'minutes=ten', 'metric=DiskUtilization', 'period=60']) {
      const answer = await api.get(`${path}?${query}`);
      expect(answer).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException', message: expect.stringContaining(query.split('=')[0]) } });
    }
    expect((await api.get(`/v1/clusters/${cluster}/services/nope/metrics`)).body.__type).toBe('ServiceNotFoundException');
  });
});
