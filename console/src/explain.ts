import { familyRevision, type Service, type Task } from './api';

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
