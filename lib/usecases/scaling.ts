import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  isTimeZone,
  managedAlarmNames,
  metricDimensionsSchema,
  parseResourceId,
  parseSchedule,
  resourceIdOf,
  SCALABLE_DIMENSION,
  SCALE_IN_THRESHOLD_RATIO,
  scalingArns,
  scalingTagsSchema,
  SERVICE_NAMESPACE,
  type ScalableTarget,
  type ScalingActivity,
  type ScalingPolicy,
  type ScheduledAction,
} from '../domain/scaling';
import { lazySchema, MAX_ECS_INTEGER, type SchemaOutput } from '../domain/validation';
import type { Alarm } from '../domain/cloudwatch';
import { ECS_NAMESPACE } from '../domain/metrics';
import type { Deps } from '../deps';
import { ObjectNotFoundException, ResourceNotFoundException, ValidationException } from '../errors';
import { retryOnConflict } from '../retry';
import { requireLiveService } from './load';
import { updateService } from './services';

/** Concurrent writers of one scalable target retry this often before one is told to try again. */
const MAX_ATTEMPTS = 20;

/** The members that name a scalable target, in every operation. */
const targetMembers = () => ({
  ServiceNamespace: z.string().min(1).max(64),
  ResourceId: z.string().min(1).max(1600),
  ScalableDimension: z.string().min(1).max(64),
});

const capacity = () => z.number().int().min(0).max(MAX_ECS_INTEGER);

/** Application Auto Scaling's paging: MaxResults up to 50, an opaque NextToken. */
const pageMembers = () => ({ MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().min(1).max(1024).optional() });

/** What every Describe* filters on (the namespace, optionally the resource and dimension), with paging. */
const describeMembers = () => ({
  ServiceNamespace: z.string().min(1).max(64),
  ResourceId: z.string().min(1).max(1600).optional(),
  ScalableDimension: z.string().min(1).max(64).optional(),
  ...pageMembers(),
});

export const registerScalableTargetInput = lazySchema(() =>
  z
    .object({
      ...targetMembers(),
      MinCapacity: capacity().optional(),
      MaxCapacity: capacity().optional(),
      RoleARN: z.string().min(1).max(1600).optional(),
      SuspendedState: z
        .object({
          DynamicScalingInSuspended: z.boolean().optional(),
          DynamicScalingOutSuspended: z.boolean().optional(),
          ScheduledScalingSuspended: z.boolean().optional(),
        })
        .strict()
        .optional(),
      Tags: scalingTagsSchema().optional(),
    })
    .strict(),
);

export const targetInput = lazySchema(() => z.object(targetMembers()).strict());

export const describeScalableTargetsInput = lazySchema(() =>
  z
    .object({
      ServiceNamespace: z.string().min(1).max(64),
      ResourceIds: z.array(z.string().min(1).max(1600)).max(50).optional(),
      ScalableDimension: z.string().min(1).max(64).optional(),
      ...pageMembers(),
    })
    .strict(),
);

const stepAdjustment = () =>
  z
    .object({
      MetricIntervalLowerBound: z.number().optional(),
      MetricIntervalUpperBound: z.number().optional(),
      ScalingAdjustment: z.number().int(),
    })
    .strict();

const metricStatistic = () => z.enum(['Average', 'Minimum', 'Maximum', 'SampleCount', 'Sum']);

export const putScalingPolicyInput = lazySchema(() =>
  z
    .object({
      PolicyName: z.string().regex(/^[^:/]{1,256}$/, 'must be 1 to 256 characters, without ":" or "/"'),
      ...targetMembers(),
      PolicyType: z.enum(['TargetTrackingScaling', 'StepScaling']).optional(),
      StepScalingPolicyConfiguration: z
        .object({
          AdjustmentType: z.enum(['ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity']).optional(),
          StepAdjustments: z.array(stepAdjustment()).min(1).max(20).optional(),
          MinAdjustmentMagnitude: z.number().int().min(1).optional(),
          Cooldown: z.number().int().min(0).max(86_400).optional(),
          MetricAggregationType: z.enum(['Average', 'Minimum', 'Maximum']).optional(),
        })
        .strict()
        .optional(),
      TargetTrackingScalingPolicyConfiguration: z
        .object({
          TargetValue: z.number().min(8.515920e-109).max(1.174271e108),
          PredefinedMetricSpecification: z
            .object({
              PredefinedMetricType: z.enum(['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization']),
              ResourceLabel: z.string().min(1).max(1023).optional(),
            })
            .strict()
            .optional(),
          CustomizedMetricSpecification: z
            .object({
              MetricName: z.string().min(1).max(255),
              Namespace: z.string().min(1).max(255),
              Dimensions: metricDimensionsSchema().optional(),
              Statistic: metricStatistic(),
              Unit: z.string().min(1).max(64).optional(),
            })
            .strict()
            .optional(),
          ScaleOutCooldown: z.number().int().min(0).max(86_400).optional(),
          ScaleInCooldown: z.number().int().min(0).max(86_400).optional(),
          DisableScaleIn: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

export const describeScalingPoliciesInput = lazySchema(() =>
  z
    .object({
      PolicyNames: z.array(z.string().min(1).max(1600)).max(50).optional(),
      ...describeMembers(),
    })
    .strict(),
);

export const deleteScalingPolicyInput = lazySchema(() =>
  z.object({ PolicyName: z.string().min(1).max(256), ...targetMembers() }).strict(),
);

/** Timestamps arrive as epoch seconds (AWS JSON); kept as epoch milliseconds. */
const timestamp = () => z.number().min(0).max(253_402_300_799).transform((seconds) => Math.round(seconds * 1000));

export const putScheduledActionInput = lazySchema(() =>
  z
    .object({
      ...targetMembers(),
      ScheduledActionName: z.string().regex(/^[^:/|]{1,256}$/, 'must be 1 to 256 characters, without ":", "/" or "|"'),
      Schedule: z.string().min(1).max(1600).optional(),
      Timezone: z.string().min(1).max(1600).optional(),
      StartTime: timestamp().optional(),
      EndTime: timestamp().optional(),
      ScalableTargetAction: z.object({ MinCapacity: capacity().optional(), MaxCapacity: capacity().optional() }).strict().optional(),
    })
    .strict(),
);

export const describeScheduledActionsInput = lazySchema(() =>
  z
    .object({
      ScheduledActionNames: z.array(z.string().min(1).max(256)).max(50).optional(),
      ...describeMembers(),
    })
    .strict(),
);

export const deleteScheduledActionInput = lazySchema(() =>
  z.object({ ScheduledActionName: z.string().min(1).max(256), ...targetMembers() }).strict(),
);

export const describeScalingActivitiesInput = lazySchema(() =>
  z
    .object({
      ...describeMembers(),
      IncludeNotScaledActivities: z.boolean().optional(),
    })
    .strict(),
);

export const tagResourceInput = lazySchema(() => z.object({ ResourceARN: z.string().min(1).max(1011), Tags: scalingTagsSchema() }).strict());
export const untagResourceInput = lazySchema(() =>
  z.object({ ResourceARN: z.string().min(1).max(1011), TagKeys: z.array(z.string().min(1).max(128)).min(1).max(50) }).strict(),
);
export const listTagsForResourceInput = lazySchema(() => z.object({ ResourceARN: z.string().min(1).max(1011) }).strict());

// ---- Names and lookups ---------------------------------------------------------------------

const checkNamespace = (namespace: string) => {
  if (namespace !== SERVICE_NAMESPACE) {
    throw new ValidationException(`Unsupported service namespace: ${namespace}. ecsbox scales ECS services only (ServiceNamespace ecs).`);
  }
};

/** The ECS service a target's members name: namespace ecs, `service/<cluster>/<service>`, DesiredCount. */
const serviceOf = (input: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }) => {
  checkNamespace(input.ServiceNamespace);
  if (input.ScalableDimension !== SCALABLE_DIMENSION) {
    throw new ValidationException(`Unsupported scalable dimension: ${input.ScalableDimension}. An ECS service scales ${SCALABLE_DIMENSION}.`);
  }
  const service = parseResourceId(input.ResourceId);
  if (!service) throw new ValidationException(`Invalid ResourceId: ${input.ResourceId}. An ECS service's is service/<cluster>/<service>.`);
  return service;
};

const describeTarget = (input: { ResourceId: string }) =>
  `service namespace: ${SERVICE_NAMESPACE}, resource ID: ${input.ResourceId}, scalable dimension: ${SCALABLE_DIMENSION}`;

const requireTarget = async (deps: Deps, input: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }) => {
  const { clusterName, serviceName } = serviceOf(input);
  const target = await deps.scaling.get(clusterName, serviceName);
  if (!target) throw new ObjectNotFoundException(`No scalable target registered for ${describeTarget(input)}`);
  return target;
};

/** Reads, changes and saves a target at its version, again on a concurrent change. */
const changeTarget = (
  deps: Deps,
  input: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string },
  change: (target: ScalableTarget) => ScalableTarget,
) =>
  retryOnConflict(
    async () => {
      const target = await requireTarget(deps, input);
      const next = { ...change(structuredClone(target)), version: target.version + 1 };
      await deps.scaling.save(next);
      return next;
    },
    MAX_ATTEMPTS,
    'The scalable target is being changed by others; try again.',
  );

/** Paging over a list read whole: the token is the offset, checked to be one. */
const page = <T>(items: T[], input: { MaxResults?: number; NextToken?: string }) => {
  const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(offset) || offset < 0 || offset > items.length) throw new ValidationException('Invalid NextToken.');
  const size = input.MaxResults ?? 50;
  const end = offset + size;
  return { items: items.slice(offset, end), ...(end < items.length ? { NextToken: String(end) } : {}) };
};

const presentTarget = (deps: Deps, target: ScalableTarget) => ({
  ServiceNamespace: SERVICE_NAMESPACE,
  ResourceId: resourceIdOf(target.clusterName, target.serviceName),
  ScalableDimension: SCALABLE_DIMENSION,
  MinCapacity: target.MinCapacity,
  MaxCapacity: target.MaxCapacity,
  RoleARN: target.RoleARN,
  CreationTime: target.CreationTime,
  SuspendedState: {
    DynamicScalingInSuspended: target.SuspendedState.DynamicScalingInSuspended ?? false,
    DynamicScalingOutSuspended: target.SuspendedState.DynamicScalingOutSuspended ?? false,
    ScheduledScalingSuspended: target.SuspendedState.ScheduledScalingSuspended ?? false,
  },
  ScalableTargetARN: target.ScalableTargetARN,
});

const targetFields = (target: ScalableTarget) => ({
  ServiceNamespace: SERVICE_NAMESPACE,
  ResourceId: resourceIdOf(target.clusterName, target.serviceName),
  ScalableDimension: SCALABLE_DIMENSION,
});

// ---- Desired count -------------------------------------------------------------------------

/** What Application Auto Scaling adds to the service's events when it sets the desired count. */
export const desiredCountEvent = (count: number) => `Successfully set desired count to ${count}. Change successfully fulfilled by ecs.`;

/**
 * Sets the service's desired count through UpdateService's use case (so deployments, bounds and the
 * circuit breaker keep working), as an activity: recorded InProgress before the change (so whoever
 * sees the new count also finds the activity), then Successful, or Failed with ECS's reason.
 */
export const setDesiredCount = async (
  deps: Deps,
  target: Pick<ScalableTarget, 'clusterName' | 'serviceName'>,
  count: number,
  cause: string,
  details: string,
): Promise<ScalingActivity> => {
  const started: ScalingActivity = {
    ActivityId: randomUUID(),
    Description: `Setting desired count to ${count}.`,
    Cause: cause,
    StartTime: deps.clock.now(),
    StatusCode: 'InProgress',
    Details: details,
  };
  await deps.scaling.updateActivities(target.clusterName, target.serviceName, (current) => [started, ...current]);
  let ended: ScalingActivity;
  try {
    await updateService(deps, target.clusterName, target.serviceName, { desiredCount: count }, desiredCountEvent(count));
    ended = { ...started, StatusCode: 'Successful', StatusMessage: desiredCountEvent(count) };
  } catch (error) {
    ended = { ...started, StatusCode: 'Failed', StatusMessage: `Failed to set desired count to ${count}. Reason: ${(error as Error).message}` };
  }
  ended.EndTime = deps.clock.now();
  await deps.scaling.updateActivities(target.clusterName, target.serviceName, (current) =>
    current.map((activity) => (activity.ActivityId === started.ActivityId ? ended : activity)),
  );
  return ended;
};

/** Brings the service's desired count within [min, max], as registering a target does. */
const clampDesiredCount = async (deps: Deps, target: ScalableTarget, reason: string) => {
  const stored = await deps.services.get(target.clusterName, target.serviceName);
  const current = stored?.service.desiredCount;
  if (current === undefined) return;
  const clamped = Math.min(Math.max(current, target.MinCapacity), target.MaxCapacity);
  if (clamped === current) return;
  const bound = clamped > current ? `minimum capacity ${target.MinCapacity}` : `maximum capacity ${target.MaxCapacity}`;
  await setDesiredCount(
    deps,
    target,
    clamped,
    `${reason}: the desired count ${current} was outside the new capacity bounds`,
    `desired count ${current} is outside [${target.MinCapacity}, ${target.MaxCapacity}]: ${current} → ${clamped} tasks (${bound}).`,
  );
};

// ---- Operations ----------------------------------------------------------------------------

export const registerScalableTarget = async (deps: Deps, input: SchemaOutput<typeof registerScalableTargetInput>) => {
  const { clusterName, serviceName } = serviceOf(input);
  const stored = await deps.services.get(clusterName, serviceName);
  if (!stored || stored.service.status !== 'ACTIVE') throw new ValidationException(`ECS service doesn't exist: ${input.ResourceId}`);
  const target = await retryOnConflict(
    async () => {
      const existing = await deps.scaling.get(clusterName, serviceName);
      if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
        throw new ValidationException('MinCapacity and MaxCapacity are required when registering a new scalable target.');
      }
      const now = deps.clock.now();
      const next: ScalableTarget = existing
        ? structuredClone(existing)
        : {
            clusterName,
            serviceName,
            ScalableTargetARN: scalingArns.scalableTarget(deps.scope, input.ResourceId, now),
            MinCapacity: 0,
            MaxCapacity: 0,
            RoleARN: scalingArns.defaultRole(deps.scope),
            SuspendedState: {},
            CreationTime: now,
            policies: [],
            scheduledActions: [],
            tags: {},
            version: 0,
          };
      if (input.MinCapacity !== undefined) next.MinCapacity = input.MinCapacity;
      if (input.MaxCapacity !== undefined) next.MaxCapacity = input.MaxCapacity;
      if (next.MinCapacity > next.MaxCapacity) {
        throw new ValidationException(`Minimum capacity ${next.MinCapacity} cannot be greater than maximum capacity ${next.MaxCapacity}.`);
      }
      if (input.RoleARN !== undefined) next.RoleARN = input.RoleARN;
      if (input.SuspendedState) next.SuspendedState = { ...next.SuspendedState, ...input.SuspendedState };
      // Tags are taken on the first registration only, as in AWS (TagResource changes them later).
      if (!existing && input.Tags) next.tags = { ...input.Tags };
      next.version += 1;
      await deps.scaling.save(next);
      return next;
    },
    MAX_ATTEMPTS,
    'The scalable target is being changed by others; try again.',
  );
  await clampDesiredCount(deps, target, 'RegisterScalableTarget set the capacity bounds');
  await deps.scalingTrigger.wake();
  return { ScalableTargetARN: target.ScalableTargetARN };
};

export const deregisterScalableTarget = async (deps: Deps, input: SchemaOutput<typeof targetInput>) => {
  const target = await retryOnConflict(
    async () => {
      const found = await requireTarget(deps, input);
      await deps.scaling.delete(found);
      return found;
    },
    MAX_ATTEMPTS,
    'The scalable target is being changed by others; try again.',
  );
  await deleteManagedAlarms(deps, target.policies);
  return {};
};

const matchesTarget = (target: ScalableTarget, filter: { ResourceId?: string; ResourceIds?: string[]; ScalableDimension?: string }) => {
  const resourceId = resourceIdOf(target.clusterName, target.serviceName);
  return (
    (filter.ResourceId === undefined || filter.ResourceId === resourceId) &&
    (filter.ResourceIds === undefined || filter.ResourceIds.length === 0 || filter.ResourceIds.includes(resourceId)) &&
    (filter.ScalableDimension === undefined || filter.ScalableDimension === SCALABLE_DIMENSION)
  );
};

const targetsMatching = async (deps: Deps, input: { ServiceNamespace: string; ResourceId?: string; ResourceIds?: string[]; ScalableDimension?: string }) => {
  checkNamespace(input.ServiceNamespace);
  const targets = await deps.scaling.list();
  return targets.filter((target) => matchesTarget(target, input));
};

export const describeScalableTargets = async (deps: Deps, input: SchemaOutput<typeof describeScalableTargetsInput>) => {
  const { items, NextToken } = page(await targetsMatching(deps, input), input);
  return { ScalableTargets: items.map((target) => presentTarget(deps, target)), ...(NextToken ? { NextToken } : {}) };
};

/** What a policy's configuration must hold for its type, worded as Application Auto Scaling words it. */
const checkPolicy = (input: SchemaOutput<typeof putScalingPolicyInput>) => {
  const type = input.PolicyType ?? 'StepScaling';
  if (type === 'TargetTrackingScaling') {
    const configuration = input.TargetTrackingScalingPolicyConfiguration;
    if (!configuration) throw new ValidationException('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.');
    if (!configuration.PredefinedMetricSpecification === !configuration.CustomizedMetricSpecification) {
      throw new ValidationException('Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given.');
    }
    if (input.StepScalingPolicyConfiguration) throw new ValidationException('StepScalingPolicyConfiguration is not valid for a TargetTrackingScaling policy.');
    return type;
  }
  const configuration = input.StepScalingPolicyConfiguration;
  if (!configuration?.AdjustmentType || !configuration.StepAdjustments) {
    throw new ValidationException('StepScalingPolicyConfiguration with AdjustmentType and StepAdjustments is required for a StepScaling policy.');
  }
  if (input.TargetTrackingScalingPolicyConfiguration) throw new ValidationException('TargetTrackingScalingPolicyConfiguration is not valid for a StepScaling policy.');
  const steps = [...configuration.StepAdjustments].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  for (const [index, step] of steps.entries()) {
    const lower = step.MetricIntervalLowerBound ?? -Infinity;
    const upper = step.MetricIntervalUpperBound ?? Infinity;
    if (lower >= upper) throw new ValidationException('Each step adjustment\'s MetricIntervalLowerBound must be below its MetricIntervalUpperBound.');
    const next = steps[index + 1];
    if (next && upper !== (next.MetricIntervalLowerBound ?? -Infinity)) {
      throw new ValidationException('Step adjustments must not overlap nor leave gaps between their intervals.');
    }
  }
  return type;
};

/**
 * Target tracking's two managed alarms, as Application Auto Scaling creates them: AlarmHigh over 3
 * one-minute datapoints above the target, AlarmLow over 15 below 90 % of it, both acting on the policy.
 */
export const managedAlarms = (deps: Deps, target: Pick<ScalableTarget, 'clusterName' | 'serviceName'>, policy: ScalingPolicy, now: number): Alarm[] => {
  const configuration = policy.TargetTrackingScalingPolicyConfiguration;
  if (!configuration) return [];
  const custom = configuration.CustomizedMetricSpecification;
  const metric = custom
    ? { Namespace: custom.Namespace, MetricName: custom.MetricName, Dimensions: custom.Dimensions ?? [], Statistic: custom.Statistic, ...(custom.Unit ? { Unit: custom.Unit } : {}) }
    : {
        Namespace: ECS_NAMESPACE,
        MetricName: configuration.PredefinedMetricSpecification?.PredefinedMetricType === 'ECSServiceAverageMemoryUtilization' ? 'MemoryUtilization' : 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: target.clusterName },
          { Name: 'ServiceName', Value: target.serviceName },
        ],
        Statistic: 'Average' as const,
      };
  const [high, low] = policy.Alarms;
  const common = {
    ...metric,
    AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.PolicyARN}.`,
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: [policy.PolicyARN],
    InsufficientDataActions: [],
    StateValue: 'INSUFFICIENT_DATA' as const,
    StateReason: 'Unchecked: Initial alarm creation',
    StateUpdatedTimestamp: now,
    AlarmConfigurationUpdatedTimestamp: now,
    Period: 60,
  };
  return [
    { ...common, AlarmName: high.AlarmName, AlarmArn: high.AlarmARN, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: configuration.TargetValue, ComparisonOperator: 'GreaterThanThreshold' },
    {
      ...common,
      AlarmName: low.AlarmName,
      AlarmArn: low.AlarmARN,
      EvaluationPeriods: 15,
      DatapointsToAlarm: 15,
      Threshold: configuration.TargetValue * SCALE_IN_THRESHOLD_RATIO,
      ComparisonOperator: 'LessThanThreshold',
    },
  ];
};

const deleteManagedAlarms = async (deps: Deps, policies: ScalingPolicy[]) => {
  const existing = new Set((await deps.metrics.alarms()).map((alarm) => alarm.AlarmName));
  for (const alarm of policies.flatMap((policy) => policy.Alarms)) if (existing.has(alarm.AlarmName)) await deps.metrics.deleteAlarm(alarm.AlarmName);
};

export const putScalingPolicy = async (deps: Deps, input: SchemaOutput<typeof putScalingPolicyInput>) => {
  const type = checkPolicy(input);
  let saved: ScalingPolicy | undefined;
  await changeTarget(deps, input, (target) => {
    const existing = target.policies.find((policy) => policy.PolicyName === input.PolicyName);
    const creation = existing?.CreationTime ?? deps.clock.now();
    const PolicyARN = existing?.PolicyARN ?? scalingArns.policy(deps.scope, input.ResourceId, input.PolicyName, creation);
    const alarms = managedAlarmNames(input.ResourceId, PolicyARN);
    saved = {
      PolicyARN,
      PolicyName: input.PolicyName,
      PolicyType: type,
      ...(type === 'StepScaling'
        ? { StepScalingPolicyConfiguration: input.StepScalingPolicyConfiguration }
        : { TargetTrackingScalingPolicyConfiguration: input.TargetTrackingScalingPolicyConfiguration }),
      Alarms:
        type === 'TargetTrackingScaling'
          ? [alarms.high, alarms.low].map((AlarmName) => ({ AlarmName, AlarmARN: scalingArns.alarm(deps.scope, AlarmName) }))
          : [],
      CreationTime: creation,
    } as ScalingPolicy;
    target.policies = [...target.policies.filter((policy) => policy.PolicyName !== input.PolicyName), saved];
    return target;
  });
  const { clusterName, serviceName } = serviceOf(input);
  for (const alarm of managedAlarms(deps, { clusterName, serviceName }, saved!, deps.clock.now())) await deps.metrics.putAlarm(alarm);
  await deps.scalingTrigger.wake();
  return { PolicyARN: saved!.PolicyARN, ...(saved!.Alarms.length ? { Alarms: saved!.Alarms } : {}) };
};

export const describeScalingPolicies = async (deps: Deps, input: SchemaOutput<typeof describeScalingPoliciesInput>) => {
  const policies = (await targetsMatching(deps, input)).flatMap((target) =>
    target.policies
      .filter((policy) => !input.PolicyNames?.length || input.PolicyNames.includes(policy.PolicyName))
      .map((policy) => ({ ...policy, ...targetFields(target) })),
  );
  const { items, NextToken } = page(policies, input);
  return { ScalingPolicies: items, ...(NextToken ? { NextToken } : {}) };
};

export const deleteScalingPolicy = async (deps: Deps, input: SchemaOutput<typeof deleteScalingPolicyInput>) => {
  const deleted: ScalingPolicy[] = [];
  await changeTarget(deps, input, (target) => {
    const policy = target.policies.find((candidate) => candidate.PolicyName === input.PolicyName);
    if (!policy) throw new ObjectNotFoundException(`No scaling policy found for ${describeTarget(input)}, policy name: ${input.PolicyName}`);
    deleted.splice(0, deleted.length, policy);
    target.policies = target.policies.filter((candidate) => candidate !== policy);
    return target;
  });
  await deleteManagedAlarms(deps, deleted);
  return {};
};

export const putScheduledAction = async (deps: Deps, input: SchemaOutput<typeof putScheduledActionInput>) => {
  if (input.Schedule !== undefined && !parseSchedule(input.Schedule)) {
    throw new ValidationException(`Invalid schedule expression: ${input.Schedule}. Use at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields).`);
  }
  if (input.Timezone !== undefined && !isTimeZone(input.Timezone)) throw new ValidationException(`Invalid Timezone: ${input.Timezone}.`);
  const action = input.ScalableTargetAction;
  if (action?.MinCapacity !== undefined && action.MaxCapacity !== undefined && action.MinCapacity > action.MaxCapacity) {
    throw new ValidationException('ScalableTargetAction MinCapacity cannot be greater than MaxCapacity.');
  }
  if (input.StartTime !== undefined && input.EndTime !== undefined && input.StartTime >= input.EndTime) {
    throw new ValidationException('StartTime must be before EndTime.');
  }
  await changeTarget(deps, input, (target) => {
    const existing = target.scheduledActions.find((candidate) => candidate.ScheduledActionName === input.ScheduledActionName);
    if (!existing && input.Schedule === undefined) throw new ValidationException('Schedule is required when creating a scheduled action.');
    const creation = existing?.CreationTime ?? deps.clock.now();
    const next: ScheduledAction = {
      ScheduledActionName: input.ScheduledActionName,
      ScheduledActionARN:
        existing?.ScheduledActionARN ?? scalingArns.scheduledAction(deps.scope, input.ResourceId, input.ScheduledActionName, creation),
      Schedule: input.Schedule ?? existing!.Schedule,
      ...((input.Timezone ?? existing?.Timezone) ? { Timezone: input.Timezone ?? existing?.Timezone } : {}),
      ...((input.StartTime ?? existing?.StartTime) !== undefined ? { StartTime: input.StartTime ?? existing?.StartTime } : {}),
      ...((input.EndTime ?? existing?.EndTime) !== undefined ? { EndTime: input.EndTime ?? existing?.EndTime } : {}),
      ScalableTargetAction: input.ScalableTargetAction ?? existing?.ScalableTargetAction ?? {},
      CreationTime: creation,
    };
    target.scheduledActions = [...target.scheduledActions.filter((candidate) => candidate !== existing), next];
    return target;
  });
  await deps.scalingTrigger.wake();
  return {};
};

export const describeScheduledActions = async (deps: Deps, input: SchemaOutput<typeof describeScheduledActionsInput>) => {
  const actions = (await targetsMatching(deps, input)).flatMap((target) =>
    target.scheduledActions
      .filter((action) => !input.ScheduledActionNames?.length || input.ScheduledActionNames.includes(action.ScheduledActionName))
      .map((action) => ({ ...action, ...targetFields(target), Timezone: action.Timezone ?? 'UTC' })),
  );
  const { items, NextToken } = page(actions, input);
  return { ScheduledActions: items, ...(NextToken ? { NextToken } : {}) };
};

export const deleteScheduledAction = async (deps: Deps, input: SchemaOutput<typeof deleteScheduledActionInput>) => {
  await changeTarget(deps, input, (target) => {
    if (!target.scheduledActions.some((action) => action.ScheduledActionName === input.ScheduledActionName)) {
      throw new ObjectNotFoundException(`No scheduled action found for ${describeTarget(input)}, scheduled action name: ${input.ScheduledActionName}`);
    }
    target.scheduledActions = target.scheduledActions.filter((action) => action.ScheduledActionName !== input.ScheduledActionName);
    return target;
  });
  return {};
};

export const describeScalingActivities = async (deps: Deps, input: SchemaOutput<typeof describeScalingActivitiesInput>) => {
  checkNamespace(input.ServiceNamespace);
  const service = input.ResourceId === undefined ? undefined : parseResourceId(input.ResourceId);
  const found = input.ResourceId !== undefined && !service ? [] : await deps.scaling.activities(service);
  const activities = found
    .flatMap(({ clusterName, serviceName, activities: list }) =>
      list.map((activity) => ({
        ...activity,
        ServiceNamespace: SERVICE_NAMESPACE,
        ResourceId: resourceIdOf(clusterName, serviceName),
        ScalableDimension: SCALABLE_DIMENSION,
      })),
    )
    .filter((activity) => input.ScalableDimension === undefined || input.ScalableDimension === SCALABLE_DIMENSION)
    .filter((activity) => input.IncludeNotScaledActivities || activity.NotScaledReasons === undefined)
    .sort((a, b) => b.StartTime - a.StartTime);
  const { items, NextToken } = page(activities, input);
  return { ScalingActivities: items, ...(NextToken ? { NextToken } : {}) };
};

/** A scalable target's ARN names the target; only targets are taggable here. */
const targetByArn = async (deps: Deps, arn: string) => {
  const target = (await deps.scaling.list()).find((candidate) => candidate.ScalableTargetARN === arn);
  if (!target) throw new ResourceNotFoundException(`No scalable target found for ResourceARN ${arn}.`);
  return target;
};

const changeTags = (deps: Deps, arn: string, change: (tags: Record<string, string>) => Record<string, string>) =>
  retryOnConflict(
    async () => {
      const target = await targetByArn(deps, arn);
      const tags = change({ ...target.tags });
      if (Object.keys(tags).length > 50) throw new ValidationException('A scalable target can have at most 50 tags.');
      await deps.scaling.save({ ...target, tags, version: target.version + 1 });
    },
    MAX_ATTEMPTS,
    'The scalable target is being changed by others; try again.',
  );

export const tagResource = async (deps: Deps, input: SchemaOutput<typeof tagResourceInput>) => {
  await changeTags(deps, input.ResourceARN, (tags) => ({ ...tags, ...input.Tags }));
  return {};
};

export const untagResource = async (deps: Deps, input: SchemaOutput<typeof untagResourceInput>) => {
  await changeTags(deps, input.ResourceARN, (tags) => Object.fromEntries(Object.entries(tags).filter(([key]) => !input.TagKeys.includes(key))));
  return {};
};

/**
 * The REST face's view of a service's auto scaling: its target with policies and scheduled actions,
 * its recent activities (not-scaled ones included), each explained in plain words, and why it did
 * not scale when it last did not.
 */
export const describeServiceScaling = async (deps: Deps, clusterReference: string, serviceReference: string) => {
  const service = await requireLiveService(deps, clusterReference, serviceReference);
  const target = await deps.scaling.get(service.clusterName, service.serviceName);
  const [found] = await deps.scaling.activities({ clusterName: service.clusterName, serviceName: service.serviceName });
  return {
    scaling: {
      scalableTarget: target ? presentTarget(deps, target) : null,
      policies: target?.policies ?? [],
      scheduledActions: target?.scheduledActions ?? [],
      activities: (found?.activities ?? []).slice(0, 20),
      notScaledBecause: target?.controller?.lastNotScaled ?? null,
    },
  };
};

export const listTagsForResource = async (deps: Deps, input: SchemaOutput<typeof listTagsForResourceInput>) => ({
  Tags: (await targetByArn(deps, input.ResourceARN)).tags,
});
