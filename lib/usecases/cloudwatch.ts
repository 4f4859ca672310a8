import type { ServiceLoad } from '../domain/load';
import { environmentLoad } from '../domain/load';
import {
  ECS_METRICS,
  ECS_NAMESPACE,
  ecsDatapoints,
  evaluateAlarm,
  lastPeriods,
  STATISTICS,
  type Datapoint,
  type EcsMetricName,
  type Statistic,
  type TaskInterval,
} from '../domain/metrics';
import type { EpochMs } from '../domain/model';
import {
  type Alarm,
  type CustomDatapoint,
  type MetricIdentity,
  describeAlarmsInput,
  deleteAlarmsInput,
  getMetricDataInput,
  getMetricStatisticsInput,
  listMetricsInput,
  putMetricAlarmInput,
  putMetricDataInput,
} from '../domain/cloudwatch';
import { parseArn } from '../domain/arn';
import { scalingArns } from '../domain/scaling';
import type { SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { InvalidParameterException, ResourceNotFoundException } from '../errors';

/** CloudWatch answers at most this many datapoints per GetMetricStatistics call. */
const MAX_DATAPOINTS = 1440;

/**
 * Where metrics come from while one request (or one controller pass) is answered: each cluster's
 * tasks and loads are read once, however many metrics and alarms ask for them.
 */
export class MetricSource {
  private readonly clusters = new Map<string, Promise<{ tasks: TaskInterval[]; loads: Map<string, ServiceLoad[]> }>>();

  constructor(
    private readonly deps: Deps,
    readonly now: EpochMs,
  ) {}

  /** A period of `seconds` metric seconds, in real milliseconds. */
  periodMs(seconds: number) {
    return (seconds * 1000) / this.deps.timeScale;
  }

  private cluster(clusterName: string) {
    let found = this.clusters.get(clusterName);
    if (!found) {
      found = Promise.all([this.deps.metrics.taskIntervals(clusterName, this.now), this.deps.metrics.loads(clusterName)]).then(
        async ([tasks, loads]) => ({ tasks, loads: await this.withEnvironmentLoads(clusterName, tasks, loads) }),
      );
      this.clusters.set(clusterName, found);
    }
    return found;
  }

  /**
   * The constant load the service's task definition asks for with ECSBOX_CPU_LOAD /
   * ECSBOX_MEMORY_LOAD (for the wire-only user), in force since ever; undefined when it asks none.
   */
  async environmentLoad(clusterName: string, serviceName: string): Promise<ServiceLoad | undefined> {
    const stored = await this.deps.services.get(clusterName, serviceName);
    const arn = stored && parseArn(stored.service.taskDefinition);
    const [family, revision] = arn?.resource.split(':') ?? [];
    const definition = family ? await this.deps.taskDefinitions.get(family, Number(revision)) : undefined;
    const environment = definition?.taskDefinition.containerDefinitions.flatMap((container) => container.environment ?? []) ?? [];
    const load = environmentLoad(environment);
    return load && { ...load, setAt: 0 };
  }

  /** A service without a load set over REST takes its task definition's. */
  private async withEnvironmentLoads(clusterName: string, tasks: TaskInterval[], loads: Map<string, ServiceLoad[]>) {
    const unset = [...new Set(tasks.map((task) => task.serviceName))].filter((name) => !loads.has(name));
    for (const serviceName of unset) {
      const load = await this.environmentLoad(clusterName, serviceName);
      if (load) loads.set(serviceName, [load]);
    }
    return loads;
  }

  /** How many of the service's tasks are RUNNING now. */
  async runningTasks(clusterName: string, serviceName: string): Promise<number> {
    const { tasks } = await this.cluster(clusterName);
    return tasks.filter((task) => task.serviceName === serviceName && task.from <= this.now && (task.until ?? Infinity) > this.now).length;
  }

  /** The datapoints of a metric over [start, end), periods of `periodSeconds` metric seconds. */
  async datapoints(metric: MetricIdentity, start: EpochMs, end: EpochMs, periodSeconds: number): Promise<Datapoint[]> {
    const periodMs = this.periodMs(periodSeconds);
    if ((end - start) / periodMs > MAX_DATAPOINTS * 10) {
      throw new InvalidParameterException(`The requested time range holds more than ${MAX_DATAPOINTS * 10} periods of ${periodSeconds} seconds; ask for a longer Period or a shorter range.`);
    }
    if (metric.Namespace === ECS_NAMESPACE) {
      const dimensions = new Map(metric.Dimensions.map((dimension) => [dimension.Name, dimension.Value]));
      const clusterName = dimensions.get('ClusterName');
      const serviceName = dimensions.get('ServiceName');
      const known = clusterName !== undefined && dimensions.size === (serviceName === undefined ? 1 : 2);
      if (!known || !(ECS_METRICS as readonly string[]).includes(metric.MetricName)) return [];
      const { tasks, loads } = await this.cluster(clusterName);
      return ecsDatapoints(
        { metric: metric.MetricName as EcsMetricName, serviceName, start, end, periodMs, now: this.now, scale: this.deps.timeScale },
        tasks,
        loads,
      );
    }
    return aggregate(await this.deps.metrics.customDatapoints(metric, start, end, this.now), start, end, periodMs);
  }
}

/** Custom datapoints gathered into periods: each value (or statistic set) counted in its period. */
const aggregate = (points: CustomDatapoint[], start: EpochMs, end: EpochMs, periodMs: number): Datapoint[] => {
  const buckets = new Map<number, Datapoint>();
  for (const point of points) {
    if (point.Timestamp < start || point.Timestamp >= end) continue;
    const bucket = Math.floor(point.Timestamp / periodMs) * periodMs;
    const statistics =
      point.StatisticValues ??
      (point.Values
        ? point.Values.reduce(
            (total, value, index) => {
              const count = point.Counts?.[index] ?? 1;
              return { SampleCount: total.SampleCount + count, Sum: total.Sum + value * count, Minimum: Math.min(total.Minimum, value), Maximum: Math.max(total.Maximum, value) };
            },
            { SampleCount: 0, Sum: 0, Minimum: Infinity, Maximum: -Infinity },
          )
        : { SampleCount: 1, Sum: point.Value ?? 0, Minimum: point.Value ?? 0, Maximum: point.Value ?? 0 });
    const current = buckets.get(bucket);
    const merged = current
      ? {
          SampleCount: current.SampleCount + statistics.SampleCount,
          Sum: current.Sum + statistics.Sum,
          Minimum: Math.min(current.Minimum, statistics.Minimum),
          Maximum: Math.max(current.Maximum, statistics.Maximum),
        }
      : statistics;
    buckets.set(bucket, { Timestamp: bucket, ...merged, Average: merged.SampleCount ? merged.Sum / merged.SampleCount : 0, Unit: point.Unit ?? current?.Unit ?? 'None' });
  }
  return [...buckets.values()].sort((a, b) => a.Timestamp - b.Timestamp);
};

const metricOf = (input: { Namespace: string; MetricName: string; Dimensions?: MetricIdentity['Dimensions'] }): MetricIdentity => ({
  Namespace: input.Namespace,
  MetricName: input.MetricName,
  Dimensions: input.Dimensions ?? [],
});

const checkRange = (start: EpochMs, end: EpochMs) => {
  if (start >= end) throw new InvalidParameterException('The parameter StartTime must be less than the parameter EndTime.');
};

export const getMetricStatistics = async (deps: Deps, input: SchemaOutput<typeof getMetricStatisticsInput>) => {
  checkRange(input.StartTime, input.EndTime);
  if (!input.Statistics?.length && !input.ExtendedStatistics?.length) {
    throw new InvalidParameterException('Must specify either Statistics or ExtendedStatistics.');
  }
  if (input.ExtendedStatistics?.length) throw new InvalidParameterException('ecsbox does not compute ExtendedStatistics (percentiles); ask for Statistics.');
  const source = new MetricSource(deps, deps.clock.now());
  const points = await source.datapoints(metricOf(input), input.StartTime, input.EndTime, input.Period);
  if (points.length > MAX_DATAPOINTS) {
    throw new InvalidParameterException(`The request would return ${points.length} datapoints; the maximum is ${MAX_DATAPOINTS}.`);
  }
  const statistics = input.Statistics ?? [];
  return {
    Label: input.MetricName,
    Datapoints: points.map((point) => ({
      Timestamp: point.Timestamp,
      ...Object.fromEntries(statistics.map((name) => [name, point[name]])),
      Unit: point.Unit,
    })),
  };
};

export const getMetricData = async (deps: Deps, input: SchemaOutput<typeof getMetricDataInput>) => {
  checkRange(input.StartTime, input.EndTime);
  const source = new MetricSource(deps, deps.clock.now());
  const results = [];
  for (const query of input.MetricDataQueries) {
    if (query.Expression !== undefined || !query.MetricStat) {
      throw new InvalidParameterException(`The query ${query.Id} needs a MetricStat: ecsbox does not evaluate metric math expressions.`);
    }
    const stat = query.MetricStat.Stat as Statistic;
    if (!STATISTICS.includes(stat)) {
      throw new InvalidParameterException(`The query ${query.Id} asks for the statistic ${query.MetricStat.Stat}; ecsbox computes ${STATISTICS.join(', ')}.`);
    }
    const points = await source.datapoints(metricOf(query.MetricStat.Metric), input.StartTime, input.EndTime, query.MetricStat.Period);
    if (query.ReturnData === false) continue;
    const ordered = input.ScanBy === 'TimestampAscending' ? points : [...points].reverse();
    results.push({
      Id: query.Id,
      Label: query.Label ?? query.MetricStat.Metric.MetricName,
      Timestamps: ordered.map((point) => point.Timestamp),
      Values: ordered.map((point) => point[stat]),
      StatusCode: 'Complete',
    });
  }
  return { MetricDataResults: results, Messages: [] };
};

const matches = (metric: MetricIdentity, input: SchemaOutput<typeof listMetricsInput>) =>
  (input.Namespace === undefined || metric.Namespace === input.Namespace) &&
  (input.MetricName === undefined || metric.MetricName === input.MetricName) &&
  (input.Dimensions ?? []).every((wanted) =>
    metric.Dimensions.some((dimension) => dimension.Name === wanted.Name && (wanted.Value === undefined || dimension.Value === wanted.Value)),
  );

/** Every page of a list call, gathered. */
const allPages = async (list: (nextToken?: string) => Promise<{ items: string[]; nextToken?: string }>) => {
  const items: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await list(nextToken);
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
};

/** ECS's metrics for each of the account's services and clusters, and every custom metric put. */
export const listMetrics = async (deps: Deps, input: SchemaOutput<typeof listMetricsInput>) => {
  const metrics: MetricIdentity[] = [];
  if (input.Namespace === undefined || input.Namespace === ECS_NAMESPACE) {
    const clusters = await allPages((nextToken) => deps.clusters.list({ maxResults: 100, nextToken }));
    for (const clusterArn of clusters) {
      const clusterName = clusterArn.slice(clusterArn.lastIndexOf('/') + 1);
      const services = await allPages((nextToken) => deps.services.list(clusterName, { maxResults: 100, nextToken }));
      for (const MetricName of ECS_METRICS) {
        metrics.push({ Namespace: ECS_NAMESPACE, MetricName, Dimensions: [{ Name: 'ClusterName', Value: clusterName }] });
        for (const serviceArn of services) {
          const serviceName = serviceArn.slice(serviceArn.lastIndexOf('/') + 1);
          metrics.push({ Namespace: ECS_NAMESPACE, MetricName, Dimensions: [{ Name: 'ClusterName', Value: clusterName }, { Name: 'ServiceName', Value: serviceName }] });
        }
      }
    }
  }
  if (input.Namespace !== ECS_NAMESPACE) metrics.push(...(await deps.metrics.customMetrics()));
  return { Metrics: metrics.filter((metric) => matches(metric, input)) };
};

export const putMetricData = async (deps: Deps, input: SchemaOutput<typeof putMetricDataInput>) => {
  const now = deps.clock.now();
  const byMetric = new Map<string, { metric: MetricIdentity; points: CustomDatapoint[] }>();
  for (const datum of input.MetricData) {
    const given = [datum.Value !== undefined, datum.StatisticValues !== undefined, datum.Values !== undefined].filter(Boolean).length;
    if (given !== 1) throw new InvalidParameterException(`The metric ${datum.MetricName} needs exactly one of Value, StatisticValues and Values.`);
    if (datum.Counts && datum.Values?.length !== datum.Counts.length) {
      throw new InvalidParameterException(`The metric ${datum.MetricName}'s Counts must have as many entries as its Values.`);
    }
    const metric = metricOf({ Namespace: input.Namespace, MetricName: datum.MetricName, Dimensions: datum.Dimensions });
    const key = JSON.stringify(metric);
    const entry = byMetric.get(key) ?? { metric, points: [] };
    entry.points.push({
      Timestamp: datum.Timestamp ?? now,
      ...(datum.Value !== undefined ? { Value: datum.Value } : {}),
      ...(datum.StatisticValues ? { StatisticValues: datum.StatisticValues } : {}),
      ...(datum.Values ? { Values: datum.Values } : {}),
      ...(datum.Counts ? { Counts: datum.Counts } : {}),
      ...(datum.Unit ? { Unit: datum.Unit } : {}),
    });
    byMetric.set(key, entry);
  }
  for (const { metric, points } of byMetric.values()) await deps.metrics.putDatapoints(metric, points);
  return {};
};

export const putMetricAlarm = async (deps: Deps, input: SchemaOutput<typeof putMetricAlarmInput>) => {
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
    throw new InvalidParameterException('DatapointsToAlarm must be at most EvaluationPeriods.');
  }
  const now = deps.clock.now();
  const existing = (await deps.metrics.alarms()).find((alarm) => alarm.AlarmName === input.AlarmName);
  const { Tags: _tags, ...definition } = input;
  await deps.metrics.putAlarm({
    ...definition,
    Dimensions: input.Dimensions ?? [],
    AlarmArn: scalingArns.alarm(deps.scope, input.AlarmName),
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    // A changed alarm starts again from INSUFFICIENT_DATA, as CloudWatch's does.
    StateValue: 'INSUFFICIENT_DATA',
    StateReason: existing ? 'Unchecked: Alarm updated' : 'Unchecked: Initial alarm creation',
    StateUpdatedTimestamp: now,
    AlarmConfigurationUpdatedTimestamp: now,
  });
  return {};
};

/**
 * An alarm as it is now, with the values of the periods it evaluated: its state over its last
 * complete periods. A changed state is stored (with the time it changed), so
 * StateUpdatedTimestamp says when it last moved.
 */
export const evaluatedAlarm = async (deps: Deps, source: MetricSource, alarm: Alarm): Promise<{ alarm: Alarm; values: number[] }> => {
  const periodMs = source.periodMs(alarm.Period);
  const start = Math.floor(source.now / periodMs) * periodMs - (alarm.EvaluationPeriods + 1) * periodMs;
  const points = await source.datapoints(alarm, start, source.now, alarm.Period);
  const evaluation = evaluateAlarm(alarm, lastPeriods(points, alarm.Statistic, periodMs, alarm.EvaluationPeriods, source.now));
  if (evaluation.state === alarm.StateValue) return { alarm, values: evaluation.values };
  const next = { ...alarm, StateValue: evaluation.state, StateReason: evaluation.reason, StateUpdatedTimestamp: source.now };
  await deps.metrics.updateAlarmState(next);
  return { alarm: next, values: evaluation.values };
};

export const describeAlarms = async (deps: Deps, input: SchemaOutput<typeof describeAlarmsInput>) => {
  if (input.AlarmTypes?.length && !input.AlarmTypes.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
  const source = new MetricSource(deps, deps.clock.now());
  const selected = (await deps.metrics.alarms())
    .filter((alarm) => !input.AlarmNames?.length || input.AlarmNames.includes(alarm.AlarmName))
    .filter((alarm) => input.AlarmNamePrefix === undefined || alarm.AlarmName.startsWith(input.AlarmNamePrefix))
    .filter((alarm) => input.ActionPrefix === undefined || alarm.AlarmActions.some((action) => action.startsWith(input.ActionPrefix!)));
  const alarms = [];
  for (const alarm of selected) alarms.push((await evaluatedAlarm(deps, source, alarm)).alarm);
  const shown = alarms.filter((alarm) => input.StateValue === undefined || alarm.StateValue === input.StateValue);
  const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(offset) || offset < 0 || offset > shown.length) throw new InvalidParameterException('Invalid NextToken.');
  const end = offset + (input.MaxRecords ?? 50);
  return {
    MetricAlarms: shown.slice(offset, end),
    CompositeAlarms: [],
    ...(end < shown.length ? { NextToken: String(end) } : {}),
  };
};

export const deleteAlarms = async (deps: Deps, input: SchemaOutput<typeof deleteAlarmsInput>) => {
  const names = new Set((await deps.metrics.alarms()).map((alarm) => alarm.AlarmName));
  const missing = input.AlarmNames.filter((name) => !names.has(name));
  if (missing.length) throw new ResourceNotFoundException(`${missing.length === 1 ? 'An alarm' : 'Alarms'} to delete did not exist: ${missing.join(', ')}`);
  for (const name of input.AlarmNames) await deps.metrics.deleteAlarm(name);
  return {};
};
