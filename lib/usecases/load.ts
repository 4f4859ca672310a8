import * as z from 'zod';
import { loadAt, loadInForce, type LoadInput, type ServiceLoad } from '../domain/load';
import { serviceNameOf } from '../domain/arn';
import { ECS_METRICS, ECS_NAMESPACE } from '../domain/metrics';
import { lazySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { ServiceNotFoundException } from '../errors';
import { requireActiveCluster } from './clusters';
import { MetricSource } from './cloudwatch';

/** The ACTIVE or DRAINING service a REST path names, in an ACTIVE cluster. */
export const requireLiveService = async (deps: Deps, clusterReference: string, serviceReference: string) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  const serviceName = serviceNameOf(deps.scope, serviceReference);
  const stored = serviceName === undefined ? undefined : await deps.services.get(cluster.clusterName, serviceName);
  if (!stored || stored.service.status === 'INACTIVE') throw new ServiceNotFoundException();
  return stored.service;
};

/** The load, what it is now, and how the RUNNING tasks share it (what CloudWatch shows for them). */
const presentLoad = async (deps: Deps, clusterName: string, serviceName: string, history: ServiceLoad[] | undefined) => {
  const now = deps.clock.now();
  const source = new MetricSource(deps, now);
  const load = history ? loadInForce(history, now) : await source.environmentLoad(clusterName, serviceName);
  const levels = load ? loadAt(load, now, deps.timeScale) : { cpu: 0, memory: 0 };
  const runningTasks = await source.runningTasks(clusterName, serviceName);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    load: load ? { ...load, setAt: load.setAt === 0 ? undefined : load.setAt } : null,
    current: {
      cpuUtilization: round(levels.cpu),
      memoryUtilization: round(levels.memory),
      runningTasks,
      perTask: runningTasks === 0 ? null : { cpuUtilization: round(levels.cpu / runningTasks), memoryUtilization: round(levels.memory / runningTasks) },
      timeScale: deps.timeScale,
    },
  };
};

export const setServiceLoad = async (deps: Deps, clusterReference: string, serviceReference: string, input: LoadInput) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const history = await deps.metrics.setLoad(service.clusterName, service.serviceName, { ...input, setAt: deps.clock.now() });
  await deps.scalingTrigger.wake();
  return presentLoad(deps, service.clusterName, service.serviceName, history);
};

export const getServiceLoad = async (deps: Deps, clusterReference: string, serviceReference: string) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const history = (await deps.metrics.loads(service.clusterName)).get(service.serviceName);
  return presentLoad(deps, service.clusterName, service.serviceName, history);
};

/** GET …/metrics reaches back at most a day of metric minutes (what a chart of one service needs). */
export const SERVICE_METRICS_MINUTES_MAX = 1440;

export const serviceMetricsQuery = lazySchema(() =>
  z
    .object({
      metric: z.enum(ECS_METRICS).optional(),
      minutes: z.coerce.number().int().min(1).max(SERVICE_METRICS_MINUTES_MAX).optional(),
    })
    .strict(),
);

/** The period of the datapoints: target tracking's alarms evaluate one-minute periods. */
const METRIC_PERIOD_SECONDS = 60;

/**
 * The service's AWS/ECS metric (CPUUtilization by default) over the last `minutes` complete
 * one-minute periods (metric minutes: 5 s each on the fast profile), as CloudWatch's
 * GetMetricStatistics would give it for the ClusterName + ServiceName dimensions: the datapoints
 * the target tracking alarms evaluate, for a frontend's chart.
 */
export const getServiceMetrics = async (deps: Deps, clusterReference: string, serviceReference: string, query: SchemaOutput<typeof serviceMetricsQuery>) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const metricName = query.metric ?? 'CPUUtilization';
  const source = new MetricSource(deps, deps.clock.now());
  const periodMs = source.periodMs(METRIC_PERIOD_SECONDS);
  // Complete periods only, as an alarm sees them: the one in progress is left out.
  const end = Math.floor(source.now / periodMs) * periodMs;
  const start = end - (query.minutes ?? 30) * periodMs;
  const dimensions = [
    { Name: 'ClusterName', Value: service.clusterName },
    { Name: 'ServiceName', Value: service.serviceName },
  ];
  const points = await source.datapoints({ Namespace: ECS_NAMESPACE, MetricName: metricName, Dimensions: dimensions }, start, end, METRIC_PERIOD_SECONDS);
  return {
    metrics: {
      metricName,
      unit: 'Percent',
      periodSeconds: METRIC_PERIOD_SECONDS,
      timeScale: deps.timeScale,
      start,
      end,
      datapoints: points.map((point) => ({ timestamp: point.Timestamp, average: point.Average, minimum: point.Minimum, maximum: point.Maximum })),
    },
  };
};
