import { familyRevision, type Service, type ServiceMetrics, type ServiceScaling, type Task } from './api';

/** Whether a stopped task failed (rather than being stopped by a person or a scale-in). */
export const failed = (task: Task) =>
  task.desiredStatus === 'STOPPED' &&
  task.stoppedReason !== undefined &&
  (task.stopCode === 'TaskFailedToStart' || task.stopCode === 'EssentialContainerExited' || /health check/i.test(task.stoppedReason));

/** The task counts a rolling deployment must stay within (ECS's deploymentConfiguration). */
export const bounds = (service: Service) => {
  const minimumPercent = service.deploymentConfiguration?.minimumHealthyPercent ?? 100;
  const maximumPercent = service.deploymentConfiguration?.maximumPercent ?? 200;
  return {
    minimumPercent,
    maximumPercent,
    minimum: Math.ceil((service.desiredCount * minimumPercent) / 100),
    maximum: Math.floor((service.desiredCount * maximumPercent) / 100),
  };
};

/** ECS's circuit breaker threshold: half the desired count, at least 3 and at most 200. */
const failureThreshold = (desiredCount: number) => Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));

/** Why the service is not where it is asked to be, in plain words (undefined when it is). */
export const explain = (service: Service, tasks: Task[]): string | undefined => {
  const primary = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
  if (!primary) return undefined;
  const lastFailure = tasks.find(failed);
  const because = lastFailure ? ` The last task to fail stopped with "${lastFailure.stoppedReason}".` : '';
  const failedDeployment = service.deployments.find((deployment) => deployment.rolloutState === 'FAILED');
  if (failedDeployment) {
    const rollingBack = failedDeployment !== primary && primary.rolloutState === 'IN_PROGRESS';
    return (
      `The deployment of ${familyRevision(failedDeployment.taskDefinition)} failed: ${failedDeployment.rolloutStateReason ?? 'its tasks kept failing'}.${because}` +
      (rollingBack ? ` ECS is rolling back to ${familyRevision(primary.taskDefinition)}.` : failedDeployment === primary ? ' The old tasks keep serving; roll to a working revision.' : '')
    );
  }
  // A failed deployment rolled back is gone from the list; its events tell the story until the
  // next deployment (the rollback's own starts at the moment of the failure).
  const failure = service.events.find((event) => /deployment failed/.test(event.message));
  if (failure && Date.parse(failure.createdAt) >= Date.parse(primary.createdAt) - 1000) {
    const rolledBack = /rolling back/.test(primary.rolloutStateReason ?? '') || primary.createdAt === failure.createdAt;
    return (
      `The last deployment failed: ${failure.message.replace(/^\(service [^)]*\) (\(deployment [^)]*\) )?deployment failed: /, '')}${because}` +
      (rolledBack ? ` The circuit breaker rolled the service back to ${familyRevision(primary.taskDefinition)}.` : '')
    );
  }
  if (primary.rolloutState !== 'IN_PROGRESS') return undefined;
  const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
  if (primary.failedTasks > 0) {
    return (
      `Tasks of ${familyRevision(primary.taskDefinition)} keep failing (${primary.failedTasks} so far), so the deployment cannot finish.${because}` +
      (breaker?.enable
        ? ` The circuit breaker stops the deployment after ${failureThreshold(primary.desiredCount)} failures${breaker.rollback ? ' and rolls back to the last deployment that completed' : ''}.`
        : ' Without the circuit breaker ECS keeps retrying for ever: roll to a working revision.')
    );
  }
  const { minimum, maximum } = bounds(service);
  const old = service.deployments.filter((deployment) => deployment.status === 'ACTIVE').reduce((sum, deployment) => sum + deployment.runningCount, 0);
  if (old > 0 && service.desiredCount > 0 && maximum <= old + primary.runningCount && minimum >= old + primary.runningCount) {
    return `Blocked: ECS may neither start a new task (at most ${maximum} may run) nor stop an old one (at least ${minimum} must stay healthy). Widen minimum healthy % or maximum %.`;
  }
  if (primary.runningCount < primary.desiredCount && old === 0) {
    return `Starting tasks of ${familyRevision(primary.taskDefinition)}: ${primary.runningCount} of ${primary.desiredCount} running.`;
  }
  if (primary.runningCount < primary.desiredCount) {
    return `Rolling out ${familyRevision(primary.taskDefinition)}: ${primary.runningCount} of ${primary.desiredCount} tasks running, ${old} old task(s) still running. ECS keeps between ${minimum} and ${maximum} tasks during the rollout.`;
  }
  return undefined;
};

// ----- auto scaling (docs/autoscaling.md: target tracking's two managed alarms)

/** AlarmHigh: this many one-minute datapoints in a row above the target scale out. */
export const SCALE_OUT_DATAPOINTS = 3;
/** AlarmLow: this many in a row below SCALE_IN_RATIO × the target scale in. */
export const SCALE_IN_DATAPOINTS = 15;
export const SCALE_IN_RATIO = 0.9;

/** The service's CPU target tracking policy and its target, if it has one. */
export const cpuTarget = (scaling: ServiceScaling) => {
  const policy = scaling.policies.find(
    (candidate) => candidate.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === 'ECSServiceAverageCPUUtilization',
  );
  const config = policy?.TargetTrackingScalingPolicyConfiguration;
  return policy && config ? { policy, target: config.TargetValue, disableScaleIn: config.DisableScaleIn === true } : undefined;
};

/** How many of the last values, in a row, pass `test`. */
const inARow = (values: number[], test: (value: number) => boolean) => {
  let count = 0;
  while (count < values.length && test(values[values.length - 1 - count])) count += 1;
  return count;
};

const pct = (value: number) => `${Math.round(value * 10) / 10} %`;

/**
 * Where the service stands against its CPU target, in plain words: why it has not scaled out or
 * in yet, and what it will do. Reads only the API's answers (the scaling, the metric datapoints).
 */
export const explainScaling = (scaling: ServiceScaling, metrics: ServiceMetrics, desiredCount: number): string | undefined => {
  const tracking = cpuTarget(scaling);
  if (!scaling.scalableTarget || !tracking) return undefined;
  const { MinCapacity: min, MaxCapacity: max } = scaling.scalableTarget;
  const { target } = tracking;
  const low = target * SCALE_IN_RATIO;
  const values = metrics.datapoints.map((point) => point.average);
  if (values.length === 0) return `No CPU datapoints yet: they come once a task has run through a whole metric minute.`;
  const now = values[values.length - 1];
  if (now > target) {
    if (desiredCount >= max) return `Average CPU ${pct(now)} is above the target ${pct(target)}, but the service is at its maximum capacity (${max} tasks).`;
    const above = inARow(values, (value) => value > target);
    const wanted = Math.min(max, Math.ceil((desiredCount * now) / target));
    return (
      `Average CPU ${pct(now)} is above the target ${pct(target)}: ${Math.min(above, SCALE_OUT_DATAPOINTS)} of the ${SCALE_OUT_DATAPOINTS} datapoints in a row that scale out` +
      ` (to about ${wanted} task${wanted === 1 ? '' : 's'}).`
    );
  }
  if (now >= low) return `Average CPU ${pct(now)} is between the scale-in threshold ${pct(low)} (90 % of the target) and the target ${pct(target)}: no alarm, the count holds.`;
  if (tracking.disableScaleIn) return `Average CPU ${pct(now)} is below ${pct(low)}, but the policy ${tracking.policy.PolicyName} disables scale-in.`;
  if (desiredCount <= min) return `Average CPU ${pct(now)} is below ${pct(low)}, but the service is at its minimum capacity (${min} tasks).`;
  const below = inARow(values, (value) => value < low);
  // The alarm's window will hold only datapoints below the threshold: the run so far is the best guess of it.
  const window = values.slice(values.length - Math.min(below, SCALE_IN_DATAPOINTS));
  const wanted = Math.max(min, Math.ceil((desiredCount * Math.max(...window)) / low));
  const then = wanted < desiredCount ? `, then to about ${wanted} task${wanted === 1 ? '' : 's'}` : '';
  if (below < SCALE_IN_DATAPOINTS) {
    return (
      `Why no scale-in yet: scale-in waits for ${SCALE_IN_DATAPOINTS} one-minute datapoints in a row below ${pct(low)} (90 % of the target ${pct(target)}); ` +
      `${below} of ${SCALE_IN_DATAPOINTS} so far${then}. Scaling in slowly keeps a short dip from removing tasks.`
    );
  }
  return `Average CPU has stayed below ${pct(low)} for ${SCALE_IN_DATAPOINTS} datapoints: scale-in is due${then}.`;
};
