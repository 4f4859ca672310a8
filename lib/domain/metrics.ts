import { loadAt, loadInForce, type ServiceLoad } from './load';
import type { EpochMs } from './model';

/**
 * CloudWatch's AWS/ECS CPUUtilization and MemoryUtilization, computed rather than stored: a
 * service's tasks (when each was RUNNING) and its loads (what was set when) say what every task
 * showed at any moment of the tasks' retention (24 h by default). Pure, so that the same question
 * always gets the same datapoints.
 */
export const ECS_NAMESPACE = 'AWS/ECS';
export const ECS_METRICS = ['CPUUtilization', 'MemoryUtilization'] as const;
export type EcsMetricName = (typeof ECS_METRICS)[number];

/** When one task was RUNNING (and so carried its share of the load). */
export interface TaskInterval {
  serviceName: string;
  taskId: string;
  from: EpochMs;
  until?: EpochMs;
}

export type Statistic = 'Average' | 'Minimum' | 'Maximum' | 'Sum' | 'SampleCount';
export const STATISTICS: Statistic[] = ['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount'];

export interface Datapoint {
  Timestamp: EpochMs;
  Average: number;
  Minimum: number;
  Maximum: number;
  Sum: number;
  SampleCount: number;
  Unit: string;
}

/** Samples per period: ECS reports each task's use every 10 s of a one-minute period. */
const SAMPLES_PER_PERIOD = 6;

/** A deterministic ±3 % wobble per task and moment, so that the tasks do not show identical figures. */
const noise = (taskId: string, at: number) => {
  let hash = 2166136261;
  for (const character of `${taskId}#${at}`) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619);
  return 1 + (((hash >>> 0) % 6001) - 3000) / 100_000;
};

const round = (value: number) => Math.round(value * 1000) / 1000;

export interface MetricQuery {
  metric: EcsMetricName;
  /** Only this service's tasks; the whole cluster's otherwise. */
  serviceName?: string;
  start: EpochMs;
  end: EpochMs;
  /** The period in real milliseconds (a metric minute is 60 000 / scale). */
  periodMs: number;
  now: EpochMs;
  /** Metric seconds per real second. */
  scale: number;
}

/**
 * The datapoints of one ECS metric, one per period that has at least one sample (a moment when a
 * task was RUNNING), oldest first. Periods are aligned on multiples of the period; a period still
 * in progress has the samples taken so far.
 */
export const ecsDatapoints = (
  query: MetricQuery,
  tasks: TaskInterval[],
  loads: ReadonlyMap<string, ServiceLoad[]>,
): Datapoint[] => {
  const relevant = tasks.filter(
    (task) => (query.serviceName === undefined || task.serviceName === query.serviceName) && task.from < query.end && (task.until ?? Infinity) > query.start,
  );
  const points: Datapoint[] = [];
  const first = Math.floor(query.start / query.periodMs) * query.periodMs;
  for (let bucket = first; bucket < query.end && bucket <= query.now; bucket += query.periodMs) {
    if (bucket < query.start) continue;
    const values: number[] = [];
    for (let sample = 0; sample < SAMPLES_PER_PERIOD; sample++) {
      const at = bucket + ((sample + 0.5) * query.periodMs) / SAMPLES_PER_PERIOD;
      if (at > query.now) break;
      const running = relevant.filter((task) => task.from <= at && (task.until ?? Infinity) > at);
      const perService = new Map<string, number>();
      for (const task of running) perService.set(task.serviceName, (perService.get(task.serviceName) ?? 0) + 1);
      for (const task of running) {
        const load = loadInForce(loads.get(task.serviceName) ?? [], at);
        const levels = load ? loadAt(load, at, query.scale) : { cpu: 0, memory: 0 };
        const level = query.metric === 'CPUUtilization' ? levels.cpu : levels.memory;
        values.push((level / perService.get(task.serviceName)!) * noise(task.taskId, Math.floor(at / 1000)));
      }
    }
    if (values.length === 0) continue;
    const sum = values.reduce((total, value) => total + value, 0);
    points.push({
      Timestamp: bucket,
      Average: round(sum / values.length),
      Minimum: round(Math.min(...values)),
      Maximum: round(Math.max(...values)),
      Sum: round(sum),
      SampleCount: values.length,
      Unit: 'Percent',
    });
  }
  return points;
};

// ---- Alarms ----------------------------------------------------------------------------------

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export const COMPARISON_OPERATORS: ComparisonOperator[] = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];

export const breaches = (value: number, operator: ComparisonOperator, threshold: number) => {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
};

export interface AlarmRule {
  ComparisonOperator: ComparisonOperator;
  Threshold: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
}

export interface AlarmEvaluation {
  state: AlarmState;
  /** The values of the periods evaluated (complete periods only), oldest first; missing ones left out. */
  values: number[];
  reason: string;
}

/**
 * An alarm's state over its last `EvaluationPeriods` complete periods (`values`, one per period,
 * undefined where a period has no datapoint): ALARM when at least DatapointsToAlarm of them breach,
 * INSUFFICIENT_DATA when none has data (and missing data is not treated otherwise), OK otherwise.
 */
export const evaluateAlarm = (rule: AlarmRule, periods: Array<number | undefined>): AlarmEvaluation => {
  const needed = rule.DatapointsToAlarm ?? rule.EvaluationPeriods;
  const treat = rule.TreatMissingData ?? 'missing';
  const present = periods.filter((value): value is number => value !== undefined);
  const missing = periods.length - present.length;
  const breaching = present.filter((value) => breaches(value, rule.ComparisonOperator, rule.Threshold)).length + (treat === 'breaching' ? missing : 0);
  const shown = present.map((value) => round(value)).join(', ');
  if (breaching >= needed) {
    return { state: 'ALARM', values: present, reason: `Threshold Crossed: ${breaching} out of the last ${periods.length} datapoints [${shown}] were ${rule.ComparisonOperator.replace(/([A-Z])/g, ' $1').trim().toLowerCase()} (${rule.Threshold}).` };
  }
  if (present.length === 0 && (treat === 'missing' || treat === 'ignore')) {
    return { state: 'INSUFFICIENT_DATA', values: present, reason: `Insufficient Data: no datapoint in the last ${periods.length} periods.` };
  }
  return { state: 'OK', values: present, reason: `Threshold Crossed: ${breaching} out of the last ${periods.length} datapoints [${shown}] breached the threshold (${rule.Threshold}); ${needed} needed.` };
};

/**
 * The values of the last `count` complete periods before `now` (oldest first; undefined for a
 * period without a datapoint), from datapoints keyed by their period's start.
 */
export const lastPeriods = (datapoints: Datapoint[], statistic: Statistic, periodMs: number, count: number, now: EpochMs): Array<number | undefined> => {
  const byStart = new Map(datapoints.map((point) => [point.Timestamp, point[statistic]]));
  const lastComplete = Math.floor(now / periodMs) * periodMs - periodMs;
  return Array.from({ length: count }, (_, index) => byStart.get(lastComplete - (count - 1 - index) * periodMs));
};
