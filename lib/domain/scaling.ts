import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ArnScope } from './arn';
import type { EpochMs } from './model';
import { lazySchema } from './validation';

/**
 * Application Auto Scaling's records for ECS services (namespace `ecs`, resource id
 * `service/<cluster>/<service>`, dimension `ecs:service:DesiredCount`). Member names are
 * Application Auto Scaling's own, so that the wire answers are the records as they are.
 */
export const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';
export const SERVICE_NAMESPACE = 'ecs';

export interface MetricDimension {
  Name: string;
  Value: string;
}

export interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

export interface StepScalingConfiguration {
  AdjustmentType?: 'ChangeInCapacity' | 'PercentChangeInCapacity' | 'ExactCapacity';
  StepAdjustments?: StepAdjustment[];
  MinAdjustmentMagnitude?: number;
  Cooldown?: number;
  MetricAggregationType?: 'Average' | 'Minimum' | 'Maximum';
}

export interface CustomizedMetric {
  MetricName: string;
  Namespace: string;
  Dimensions?: MetricDimension[];
  Statistic: 'Average' | 'Minimum' | 'Maximum' | 'SampleCount' | 'Sum';
  Unit?: string;
}

export interface TargetTrackingConfiguration {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' | 'ECSServiceAverageMemoryUtilization'; ResourceLabel?: string };
  CustomizedMetricSpecification?: CustomizedMetric;
  ScaleOutCooldown?: number;
  ScaleInCooldown?: number;
  DisableScaleIn?: boolean;
}

export interface ScalingPolicy {
  PolicyARN: string;
  PolicyName: string;
  PolicyType: 'TargetTrackingScaling' | 'StepScaling';
  StepScalingPolicyConfiguration?: StepScalingConfiguration;
  TargetTrackingScalingPolicyConfiguration?: TargetTrackingConfiguration;
  /** The alarms target tracking manages (AlarmHigh, AlarmLow); none for step scaling. */
  Alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  CreationTime: EpochMs;
}

export interface ScheduledAction {
  ScheduledActionName: string;
  ScheduledActionARN: string;
  Schedule: string;
  Timezone?: string;
  StartTime?: EpochMs;
  EndTime?: EpochMs;
  ScalableTargetAction: { MinCapacity?: number; MaxCapacity?: number };
  CreationTime: EpochMs;
}

export interface SuspendedState {
  DynamicScalingInSuspended?: boolean;
  DynamicScalingOutSuspended?: boolean;
  ScheduledScalingSuspended?: boolean;
}

/** What the controller keeps between passes, on the target's record. */
export interface ControllerState {
  /** When each policy last scaled out / in (for its cooldowns). */
  lastScaleOut?: Record<string, EpochMs>;
  lastScaleIn?: Record<string, EpochMs>;
  /** When each scheduled action last fired. */
  scheduledFired?: Record<string, EpochMs>;
  /** Up to when scheduled actions have been looked at. */
  scheduledCheckedAt?: EpochMs;
  /** The last reason given for not scaling, so that it is recorded once, not every pass. */
  lastNotScaled?: string;
}

/** One service's scalable target, with its policies and scheduled actions: one stored record. */
export interface ScalableTarget {
  clusterName: string;
  serviceName: string;
  ScalableTargetARN: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  SuspendedState: SuspendedState;
  CreationTime: EpochMs;
  policies: ScalingPolicy[];
  scheduledActions: ScheduledAction[];
  tags: Record<string, string>;
  /** The scaling controller's memory (lib/controllers/scaling). */
  controller?: ControllerState;
  version: number;
}

export type ActivityStatus = 'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';

export interface ScalingActivity {
  ActivityId: string;
  Description: string;
  Cause: string;
  StartTime: EpochMs;
  EndTime?: EpochMs;
  StatusCode: ActivityStatus;
  StatusMessage?: string;
  /** ecsbox's explanation of the decision in plain words (AWS's Details member). */
  Details?: string;
  /** Set on an activity that did not scale (shown with IncludeNotScaledActivities). */
  NotScaledReasons?: Array<{ Code: string; MinCapacity?: number; MaxCapacity?: number; CurrentCapacity?: number }>;
}

/**
 * Target tracking's AlarmLow threshold, as a fraction of the target (AWS's 90 %). Scale-in is also
 * sized against it, so that the per-task value after a scale-in stays below the target: a constant
 * load never flaps between two counts.
 */
export const SCALE_IN_THRESHOLD_RATIO = 0.9;

export const resourceIdOf = (clusterName: string, serviceName: string) => `service/${clusterName}/${serviceName}`;

/** `service/<cluster>/<service>` with ECS names; anything else is no ECS service's resource id. */
const RESOURCE_ID = /^service\/([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/;

export const parseResourceId = (resourceId: string): { clusterName: string; serviceName: string } | undefined => {
  const match = RESOURCE_ID.exec(resourceId);
  return match ? { clusterName: match[1], serviceName: match[2] } : undefined;
};

/** A stable 36-character hex id per name: ARNs are deterministic (the same target always has the same ARN). */
const hexId = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 36);

/** An UUID-shaped id derived from its parts, for policy ARNs and alarm names. */
const uuidOf = (...parts: string[]) => {
  const hex = hexId(...parts);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export const scalingArns = {
  scalableTarget: (scope: ArnScope, resourceId: string, creation: EpochMs) =>
    `arn:aws:application-autoscaling:${scope.region}:${scope.accountId}:scalable-target/0e${hexId(resourceId, String(creation)).slice(0, 30)}`,
  policy: (scope: ArnScope, resourceId: string, policyName: string, creation: EpochMs) =>
    `arn:aws:autoscaling:${scope.region}:${scope.accountId}:scalingPolicy:${uuidOf(resourceId, policyName, String(creation))}:resource/ecs/${resourceId}:policyName/${policyName}`,
  scheduledAction: (scope: ArnScope, resourceId: string, actionName: string, creation: EpochMs) =>
    `arn:aws:autoscaling:${scope.region}:${scope.accountId}:scheduledAction:${uuidOf(resourceId, actionName, String(creation))}:resource/ecs/${resourceId}:scheduledActionName/${actionName}`,
  alarm: (scope: ArnScope, alarmName: string) => `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${alarmName}`,
  /** The service-linked role Application Auto Scaling uses for ECS when none is given. */
  defaultRole: (scope: ArnScope) =>
    `arn:aws:iam::${scope.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
};

/** Target tracking's two managed alarms, named as AWS names them. */
export const managedAlarmNames = (resourceId: string, policyArn: string) => {
  const id = uuidOf(policyArn);
  return { high: `TargetTracking-${resourceId}-AlarmHigh-${id}`, low: `TargetTracking-${resourceId}-AlarmLow-${id}` };
};

// ---- Schedules: at(), rate(), cron() -------------------------------------------------------

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\((\d{1,6}) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^()]{1,256})\)$/;

export type Schedule =
  | { kind: 'at'; /** wall-clock fields in the schedule's timezone */ fields: number[] }
  | { kind: 'rate'; everyMs: number }
  | { kind: 'cron'; fields: CronFields };

export interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** undefined for "?" (any day of the month, the day of the week decides) */
  daysOfMonth?: Set<number>;
  months: Set<number>;
  /** 0 = Sunday; undefined for "?" */
  daysOfWeek?: Set<number>;
  years?: Set<number>;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One cron field (`*`, `5`, `1-5`, `*\/15`, `MON-FRI`, `1,3,5`) as the set of values it matches. */
const cronField = (text: string, low: number, high: number, names: string[] = [], nameBase = low): Set<number> | undefined => {
  const value = (token: string) => {
    const named = names.indexOf(token.toUpperCase());
    const number = named >= 0 ? named + nameBase : /^\d{1,4}$/.test(token) ? Number(token) : NaN;
    return number >= low && number <= high ? number : undefined;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : /^\d{1,4}$/.test(stepText) && Number(stepText) > 0 ? Number(stepText) : undefined;
    if (step === undefined) return undefined;
    let from: number | undefined;
    let to: number | undefined;
    if (range === '*') [from, to] = [low, high];
    else if (range.includes('-')) [from, to] = range.split('-').map(value);
    else [from, to] = [value(range), stepText === undefined ? value(range) : high];
    if (from === undefined || to === undefined || from > to) return undefined;
    for (let current = from; current <= to; current += step) result.add(current);
  }
  return result;
};

/** The six fields of Application Auto Scaling's cron: minutes hours day-of-month month day-of-week year. */
const parseCron = (expression: string): CronFields | undefined => {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) return undefined;
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = parts;
  // One of day-of-month and day-of-week is "?", as in EventBridge's cron.
  if ((daysOfMonth === '?') === (daysOfWeek === '?')) return undefined;
  const fields = {
    minutes: cronField(minutes, 0, 59),
    hours: cronField(hours, 0, 23),
    daysOfMonth: daysOfMonth === '?' ? undefined : cronField(daysOfMonth, 1, 31),
    months: cronField(months, 1, 12, MONTH_NAMES, 1),
    daysOfWeek: daysOfWeek === '?' ? undefined : cronField(daysOfWeek, 1, 7, DAY_NAMES, 1),
    years: years === '*' ? undefined : cronField(years, 1970, 2199),
  };
  if (!fields.minutes || !fields.hours || !fields.months) return undefined;
  if (daysOfMonth !== '?' && !fields.daysOfMonth) return undefined;
  if (daysOfWeek !== '?' && !fields.daysOfWeek) return undefined;
  if (years !== '*' && !fields.years) return undefined;
  return {
    minutes: fields.minutes,
    hours: fields.hours,
    months: fields.months,
    ...(fields.daysOfMonth ? { daysOfMonth: fields.daysOfMonth } : {}),
    // cron's day-of-week counts 1 = Sunday; stored as JavaScript's 0 = Sunday.
    ...(fields.daysOfWeek ? { daysOfWeek: new Set([...fields.daysOfWeek].map((day) => day - 1)) } : {}),
    ...(fields.years ? { years: fields.years } : {}),
  };
};

/** A schedule expression as Application Auto Scaling takes it, or undefined when it is none. */
export const parseSchedule = (expression: string): Schedule | undefined => {
  const at = AT.exec(expression);
  if (at) return { kind: 'at', fields: at.slice(1).map(Number) };
  const rate = RATE.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    return amount > 0 ? { kind: 'rate', everyMs: amount * UNIT_MS[rate[2].replace(/s$/, '')] } : undefined;
  }
  const cron = CRON.exec(expression);
  const fields = cron ? parseCron(cron[1]) : undefined;
  return fields ? { kind: 'cron', fields } : undefined;
};

/** True when `timeZone` is an IANA time zone this runtime knows (Application Auto Scaling's Timezone). */
export const isTimeZone = (timeZone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
};

// ---- Input schemas -------------------------------------------------------------------------

export const metricDimensionsSchema = lazySchema(() =>
  z.array(z.object({ Name: z.string().min(1).max(255), Value: z.string().min(1).max(1024) }).strict()).max(30),
);

/** Application Auto Scaling's tag maps: up to 50 keys of 1-128 characters, values up to 256. */
export const scalingTagsSchema = lazySchema(() =>
  z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((tags) => Object.keys(tags).length <= 50, 'must contain at most 50 tags'),
);
