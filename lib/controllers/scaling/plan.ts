import type { Alarm } from '../../domain/cloudwatch';
import type { AlarmState } from '../../domain/metrics';
import type { EpochMs } from '../../domain/model';
import { SCALE_IN_THRESHOLD_RATIO, type ControllerState, type ScalableTarget, type ScalingPolicy, type StepAdjustment } from '../../domain/scaling';
import { scheduledFiring, type ScheduledFiring } from './schedule';

/**
 * The scaling controller's pure planner: from a scalable target (its bounds, policies, scheduled
 * actions and what the controller last did) and what is observed now (the service's desired
 * count, each alarm's state and values), what to do. No I/O, no clock but `now`.
 */

/** Application Auto Scaling's default cooldown, in metric seconds (time-scaled on the fast profile). */
export const DEFAULT_COOLDOWN_SECONDS = 300;

export interface ObservedAlarm {
  alarm: Alarm;
  state: AlarmState;
  /** The evaluated periods' values, oldest first. */
  values: number[];
}

export interface Observed {
  /** The service's desired count now; undefined when it is gone or not ACTIVE. */
  desiredCount?: number;
  /** Every alarm of the account, as evaluated now. */
  alarms: ObservedAlarm[];
  /** Metric seconds per real second. */
  timeScale: number;
}

export interface Decision {
  /** The new desired count, with AWS's cause and ecsbox's plain-words explanation. */
  capacity?: { from: number; to: number; cause: string; details: string };
  /** New bounds from a scheduled action. */
  bounds?: { MinCapacity: number; MaxCapacity: number; cause: string };
  /** Why a policy whose alarm fired did not scale, when that is new. */
  notScaled?: { code: string; details: string };
  /** The controller's state after this decision. */
  state: ControllerState;
}

interface Candidate {
  policy: ScalingPolicy;
  direction: 'out' | 'in';
  capacity: number;
  cause: string;
  details: string;
}

const round = (value: number) => Math.round(value * 10) / 10;
const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/** Metric seconds as real milliseconds. */
const realMs = (seconds: number, scale: number) => (seconds * 1000) / scale;

const metricLabel = (alarm: Alarm) =>
  alarm.Namespace === 'AWS/ECS' ? `${alarm.Statistic.toLowerCase()} ${alarm.MetricName === 'CPUUtilization' ? 'CPU' : 'memory'}` : `${alarm.Statistic.toLowerCase()} ${alarm.MetricName}`;

const unit = (alarm: Alarm) => (alarm.Namespace === 'AWS/ECS' ? ' %' : '');

/**
 * Target tracking: scale out to ceil(current × metric / target) as soon as AlarmHigh fires (3
 * datapoints above the target); scale in only when AlarmLow fires (15 datapoints below 90 % of it),
 * sized on the window's highest value and leaving a margin: ceil(current × highest / (target ×
 * SCALE_IN_THRESHOLD_RATIO)), so that the new per-task value stays below the target and a constant load
 * never flaps.
 */
const targetTracking = (policy: ScalingPolicy, current: number, alarms: Map<string, ObservedAlarm>): Candidate | undefined => {
  const configuration = policy.TargetTrackingScalingPolicyConfiguration!;
  const target = configuration.TargetValue;
  const [highName, lowName] = policy.Alarms.map((alarm) => alarm.AlarmName);
  const high = alarms.get(highName);
  const low = alarms.get(lowName);
  if (high?.state === 'ALARM' && high.values.length > 0) {
    const metric = high.values[high.values.length - 1];
    const capacity = Math.max(1, Math.ceil((current * metric) / target));
    return {
      policy,
      direction: 'out',
      capacity,
      cause: `monitor alarm ${highName} in state ALARM triggered policy ${policy.PolicyName}`,
      details: `${metricLabel(high.alarm)} ${round(metric)}${unit(high.alarm)} over ${high.values.length} datapoints > target ${target}${unit(high.alarm)}`,
    };
  }
  if (low?.state === 'ALARM' && low.values.length > 0) {
    const highest = Math.max(...low.values);
    const capacity = Math.ceil((current * highest) / (target * SCALE_IN_THRESHOLD_RATIO));
    return {
      policy,
      direction: 'in',
      capacity,
      cause: `monitor alarm ${lowName} in state ALARM triggered policy ${policy.PolicyName}`,
      details: `${metricLabel(low.alarm)} at most ${round(highest)}${unit(low.alarm)} over ${low.values.length} datapoints < ${round(target * SCALE_IN_THRESHOLD_RATIO)}${unit(low.alarm)} (${SCALE_IN_THRESHOLD_RATIO * 100} % of target ${target}${unit(low.alarm)})`,
    };
  }
  return undefined;
};

/** The step whose interval (relative to the alarm's threshold) holds the breach. */
const stepFor = (steps: StepAdjustment[], breach: number) =>
  steps.find((step) => (step.MetricIntervalLowerBound ?? -Infinity) <= breach && breach < (step.MetricIntervalUpperBound ?? Infinity)) ??
  // An upper bound is inclusive for the step that ends at 0 below the threshold.
  steps.find((step) => (step.MetricIntervalLowerBound ?? -Infinity) < breach && breach <= (step.MetricIntervalUpperBound ?? Infinity));

/** Step scaling: an alarm in ALARM whose actions name the policy moves capacity by its step. */
const stepScaling = (policy: ScalingPolicy, current: number, observed: ObservedAlarm[]): Candidate | undefined => {
  const configuration = policy.StepScalingPolicyConfiguration!;
  const firing = observed.find((candidate) => candidate.state === 'ALARM' && candidate.alarm.AlarmActions.includes(policy.PolicyARN) && candidate.values.length > 0);
  if (!firing) return undefined;
  const values = firing.values;
  const aggregated =
    configuration.MetricAggregationType === 'Maximum' ? Math.max(...values) : configuration.MetricAggregationType === 'Minimum' ? Math.min(...values) : values.reduce((a, b) => a + b, 0) / values.length;
  const breach = aggregated - firing.alarm.Threshold;
  const step = stepFor(configuration.StepAdjustments ?? [], breach);
  if (!step) return undefined;
  const adjustment = step.ScalingAdjustment;
  let capacity: number;
  switch (configuration.AdjustmentType) {
    case 'ExactCapacity':
      capacity = adjustment;
      break;
    case 'PercentChangeInCapacity': {
      const change = (current * adjustment) / 100;
      const rounded = change >= 0 ? Math.floor(change) : Math.ceil(change);
      const magnitude = configuration.MinAdjustmentMagnitude ?? 0;
      capacity = current + (Math.abs(rounded) < magnitude ? Math.sign(adjustment) * magnitude : rounded);
      break;
    }
    default:
      capacity = current + adjustment;
  }
  if (capacity === current) return undefined;
  return {
    policy,
    direction: capacity > current ? 'out' : 'in',
    capacity,
    cause: `monitor alarm ${firing.alarm.AlarmName} in state ALARM triggered policy ${policy.PolicyName}`,
    details: `${metricLabel(firing.alarm)} ${round(aggregated)}${unit(firing.alarm)} is ${round(Math.abs(breach))} ${breach >= 0 ? 'above' : 'below'} the alarm's threshold ${firing.alarm.Threshold}: step ${configuration.AdjustmentType} ${adjustment > 0 ? '+' : ''}${adjustment}`,
  };
};

/** The cooldown (real ms) a candidate must wait since the policy's last move in its direction. */
const cooldownMs = (candidate: Candidate, scale: number) => {
  const tracking = candidate.policy.TargetTrackingScalingPolicyConfiguration;
  const seconds = tracking
    ? candidate.direction === 'out'
      ? tracking.ScaleOutCooldown
      : tracking.ScaleInCooldown
    : candidate.policy.StepScalingPolicyConfiguration?.Cooldown;
  return realMs(seconds ?? DEFAULT_COOLDOWN_SECONDS, scale);
};

/** Scheduled actions first: they set the bounds the policies then work within. */
const applySchedule = (target: ScalableTarget, state: ControllerState, now: EpochMs): { firing?: ScheduledFiring; state: ControllerState } => {
  if (target.SuspendedState.ScheduledScalingSuspended) return { state: { ...state, scheduledCheckedAt: now } };
  const firing = scheduledFiring(target.scheduledActions, state.scheduledFired ?? {}, state.scheduledCheckedAt ?? target.CreationTime, now);
  const scheduledFired = firing ? { ...state.scheduledFired, [firing.action.ScheduledActionName]: firing.at } : state.scheduledFired;
  return { firing, state: { ...state, scheduledCheckedAt: now, ...(scheduledFired ? { scheduledFired } : {}) } };
};

/**
 * What to do now for one scalable target. Several policies may want to move: any scale-out wins
 * over scale-in, and among them the largest capacity wins; a scale-in happens only when every
 * target-tracking policy agrees (each wants to scale in), to the largest capacity any of them
 * wants. Min and max always hold; DisableScaleIn and the suspended states are honoured; an alarm
 * without data acts on nothing.
 */
export const plan = (target: ScalableTarget, observed: Observed, now: EpochMs): Decision => {
  const schedule = applySchedule(target, target.controller ?? {}, now);
  let state = schedule.state;
  const bounds = schedule.firing
    ? {
        MinCapacity: schedule.firing.action.ScalableTargetAction.MinCapacity ?? target.MinCapacity,
        MaxCapacity: schedule.firing.action.ScalableTargetAction.MaxCapacity ?? target.MaxCapacity,
        cause: `scheduled action name ${schedule.firing.action.ScheduledActionName} was triggered`,
      }
    : undefined;
  // A scheduled action that names only one bound can cross the other: the one it names wins.
  const min = bounds ? Math.min(bounds.MinCapacity, bounds.MaxCapacity) : target.MinCapacity;
  const max = bounds ? Math.max(bounds.MaxCapacity, bounds.MinCapacity) : target.MaxCapacity;
  const decidedBounds = bounds ? { ...bounds, MinCapacity: min, MaxCapacity: max } : undefined;
  const current = observed.desiredCount;
  if (current === undefined) return { ...(decidedBounds ? { bounds: decidedBounds } : {}), state };

  const alarms = new Map(observed.alarms.map((alarm) => [alarm.alarm.AlarmName, alarm]));
  const candidates = target.policies
    .map((policy) => (policy.PolicyType === 'TargetTrackingScaling' ? targetTracking(policy, current, alarms) : stepScaling(policy, current, observed.alarms)))
    .filter((candidate): candidate is Candidate => candidate !== undefined);
  const blocked: string[] = [];
  const allowed = candidates.filter((candidate) => {
    const last = (candidate.direction === 'out' ? state.lastScaleOut : state.lastScaleIn)?.[candidate.policy.PolicyName];
    const wait = cooldownMs(candidate, observed.timeScale);
    if (last !== undefined && now < last + wait) {
      blocked.push(`${candidate.policy.PolicyName}: ${candidate.details}, but its scale-${candidate.direction} cooldown lasts until ${new Date(last + wait).toISOString()}`);
      return false;
    }
    if (candidate.direction === 'in' && candidate.policy.TargetTrackingScalingPolicyConfiguration?.DisableScaleIn) {
      blocked.push(`${candidate.policy.PolicyName}: ${candidate.details}, but the policy has DisableScaleIn`);
      return false;
    }
    const suspended = candidate.direction === 'out' ? target.SuspendedState.DynamicScalingOutSuspended : target.SuspendedState.DynamicScalingInSuspended;
    if (suspended) {
      blocked.push(`${candidate.policy.PolicyName}: ${candidate.details}, but dynamic scale-${candidate.direction} is suspended`);
      return false;
    }
    return true;
  });

  const outs = allowed.filter((candidate) => candidate.direction === 'out' && candidate.capacity > current);
  const trackingPolicies = target.policies.filter((policy) => policy.PolicyType === 'TargetTrackingScaling' && !policy.TargetTrackingScalingPolicyConfiguration?.DisableScaleIn);
  const ins = allowed.filter((candidate) => candidate.direction === 'in' && candidate.capacity < current);
  const trackingAgree = trackingPolicies.every((policy) => ins.some((candidate) => candidate.policy === policy));
  const chosen =
    outs.length > 0
      ? outs.reduce((best, candidate) => (candidate.capacity > best.capacity ? candidate : best))
      : ins.length > 0 && trackingAgree
        ? ins.reduce((best, candidate) => (candidate.capacity > best.capacity ? candidate : best))
        : undefined;
  if (ins.length > 0 && outs.length === 0 && !trackingAgree) {
    blocked.push(`scale-in waits until every target-tracking policy wants it (${ins.map((candidate) => candidate.policy.PolicyName).join(', ')} do)`);
  }

  const wanted = chosen?.capacity ?? current;
  const next = clamp(wanted, min, max);
  if (chosen && next === current) {
    blocked.push(`${chosen.policy.PolicyName}: ${chosen.details}, but the service is already at its ${chosen.direction === 'out' ? `maximum capacity ${max}` : `minimum capacity ${min}`}`);
  }
  const notScaledText = blocked.join('; ');
  const notScaled =
    next === current && notScaledText && notScaledText.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '') !== state.lastNotScaled?.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '')
      ? { code: /maximum capacity/.test(notScaledText) ? 'AlreadyAtMaxCapacity' : /minimum capacity/.test(notScaledText) ? 'AlreadyAtMinCapacity' : 'NotScaled', details: notScaledText }
      : undefined;
  state = { ...state, ...(next === current ? { lastNotScaled: notScaledText || undefined } : { lastNotScaled: undefined }) };
  if (next === current) return { ...(decidedBounds ? { bounds: decidedBounds } : {}), ...(notScaled ? { notScaled } : {}), state };

  // The policy moved it, unless new bounds pushed it the other way.
  const byPolicy = chosen !== undefined && Math.sign(next - current) === Math.sign(chosen.capacity - current);
  const cause = byPolicy ? chosen.cause : (decidedBounds?.cause ?? 'the desired count was outside the capacity bounds');
  const details = byPolicy
    ? `${chosen.details}: ${current} → ${next} tasks${next !== chosen.capacity ? ` (${chosen.capacity} wanted, held within [${min}, ${max}])` : ''}`
    : `desired count ${current} is outside [${min}, ${max}]: ${current} → ${next} tasks`;
  if (byPolicy) {
    const key = chosen.direction === 'out' ? 'lastScaleOut' : 'lastScaleIn';
    state = { ...state, [key]: { ...state[key], [chosen.policy.PolicyName]: now } };
  }
  return { capacity: { from: current, to: next, cause, details }, ...(decidedBounds ? { bounds: decidedBounds } : {}), state };
};
