import {
  circuitBreakerThreshold,
  deploymentBounds,
  deploymentIdFor,
  newDeployment,
  serviceTaskIdFor,
  type DeploymentState,
  type ServiceState,
} from '../domain/service';
import { cloneData } from '../domain/equality';
import { isPendingStatus, isWaitingForCapacity, type TaskRecord } from '../domain/task';
import type { EpochMs } from '../domain/model';
import type { ContainerInstanceRecord } from '../domain/container-instance';
import {
  meetsMemberOf,
  parsePlacementConstraints,
  place,
  SERVICE_DEFAULT_STRATEGIES,
  unplaceableEvent,
  type Placement,
  type PlacementResult,
  type TaskRequirements,
} from '../domain/placement';
import { THROTTLED_REASON } from '../fleet/backend';

/**
 * The reconciler's brain: a pure function from desired state (the service), observed state (its
 * live tasks, freshly observed) and the time, to the next service state and the actions that move
 * the fleet toward it. It never does I/O and never reads a clock, so it can be tested by
 * properties and replayed.
 */

export interface PlanOptions {
  /** A RUNNING task without health checks counts as healthy after this long (ECS: about 40 s). */
  healthySettleMs: number;
  /** Launch back-off after failures: base × 2^(failures-1), capped (ECS caps near 15 minutes). */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Bounded work per pass, per service. */
  maxLaunchesPerPass: number;
  maxStopsPerPass: number;
  /** How soon to look again at a task whose next change the backend cannot predict. */
  pollIntervalMs: number;
}

export interface TaskView {
  /** The task record with the latest observation applied. */
  record: TaskRecord;
  /** Whether the record already said STOPPED before this observation (then it was counted). */
  wasStopped: boolean;
  /** When the backend expects this task to change next, if it knows. */
  nextChangeAt?: EpochMs;
}

export interface LaunchAction {
  taskId: string;
  deploymentId: string;
  taskDefinition: string;
  /** EC2: the instance the task is bound to and the host ports it was given. */
  placement?: Placement;
  /** EC2 through an Auto Scaling group provider: the provider (the task waits for its capacity when unplaced). */
  capacityProviderName?: string;
}

/**
 * What the planner knows of an EC2 service's cluster: its instances with what is left (as the
 * services planned before this one in the pass left them: each plan returns them charged, so two
 * services never take the same capacity), the groups of the tasks each instance runs, and what a
 * task of each of the service's task definitions needs.
 */
export interface ClusterCapacity {
  instances: readonly ContainerInstanceRecord[];
  /** Groups of the live tasks on each instance, by instance id. */
  taskGroups: ReadonlyMap<string, readonly string[]>;
  /** By task definition ARN; a definition missing here cannot be placed this pass. */
  requirements: ReadonlyMap<string, TaskRequirements>;
  /**
   * The Auto Scaling group provider the service's strategy names, if any: a task that fits nowhere
   * then waits in PROVISIONING for that provider's capacity instead of failing to place.
   */
  waitingProvider?: string;
}

/** A task that waited for capacity (EC2, no instance yet) and is now placed. */
export interface BindAction {
  taskId: string;
  placement: Placement;
}

export interface StopAction {
  taskId: string;
  reason: string;
}

export interface ServicePlan {
  service: ServiceState;
  /** New event messages, oldest first. */
  events: string[];
  launches: LaunchAction[];
  stops: StopAction[];
  /** EC2: tasks waiting for capacity that this pass placed. */
  binds: BindAction[];
  /** EC2: the cluster's instances with this plan's tasks charged, and their tasks' groups, for the next service of the pass. */
  instances?: ContainerInstanceRecord[];
  taskGroups?: Map<string, string[]>;
  /** When this service wants to be looked at again; undefined when nothing is in flight. */
  nextWakeAt?: EpochMs;
}

export const HEALTH_CHECK_FAILED = 'Task failed container health checks';
const FAILURE_STOP_CODES = new Set(['TaskFailedToStart', 'EssentialContainerExited']);

export const scalingReason = (deploymentId: string) => `Scaling activity initiated by (deployment ${deploymentId})`;

const isFailure = (task: TaskRecord) =>
  (task.stopCode !== undefined && FAILURE_STOP_CODES.has(task.stopCode)) || task.stoppedReason === HEALTH_CHECK_FAILED;

const isLive = (task: TaskRecord) => task.lastStatus !== 'STOPPED';
const isActive = (task: TaskRecord) => isLive(task) && task.desiredStatus === 'RUNNING';

const healthyAt = (task: TaskRecord, options: PlanOptions): EpochMs | undefined => {
  if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING' || task.startedAt === undefined) return undefined;
  if (task.healthChecked) return task.healthStatus === 'HEALTHY' ? task.startedAt : undefined;
  return task.startedAt + options.healthySettleMs;
};

const isHealthy = (task: TaskRecord, now: EpochMs, options: PlanOptions) => {
  const at = healthyAt(task, options);
  return at !== undefined && at <= now;
};

const countFailure = (
  deployment: DeploymentState,
  now: EpochMs,
  options: Pick<PlanOptions, 'backoffBaseMs' | 'backoffCapMs'>,
  failedToLaunch: boolean,
) => {
  deployment.failedTasks += 1;
  deployment.updatedAt = now;
  if (!failedToLaunch) return;
  deployment.consecutiveFailures += 1;
  deployment.lastFailureAt = now;
  deployment.launchNotBefore =
    now + Math.min(options.backoffCapMs, options.backoffBaseMs * 2 ** (deployment.consecutiveFailures - 1));
};

const taskList = (ids: string[]) => ids.map((id) => `(task ${id})`).join(' ');

/** ECS omits a repeated "unable to place a task" event until its cause is resolved or six hours pass. */
export const UNPLACEABLE_REPEAT_MS = 6 * 60 * 60_000;
/** A task that fits nowhere is tried again after this many polls (an instance may have freed up or registered). */
export const PLACEMENT_RETRY_POLLS = 10;

/** The container instance id of an EC2 task (the last part of its ARN); undefined while it waits for capacity. */
export const instanceIdOf = (task: TaskRecord): string | undefined =>
  task.containerInstanceArn?.slice(task.containerInstanceArn.lastIndexOf('/') + 1);


/** FNV-1a: a deterministic seed for `random` placement from the service and its launch sequence. */
const placementSeed = (serviceArn: string, launchSeq: number): number => {
  let hash = 0x811c9dc5;
  for (const char of `${serviceArn}#${launchSeq}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
};

/**
 * Placement for one service's plan: the cluster's instances as this plan charges them, and the
 * groups they run. Every task placed is charged at once, so the next placement (and the next
 * service of the pass, through `instances`) sees it.
 */
const placementFor = (service: ServiceState, capacity: ClusterCapacity) => {
  const byId = new Map(capacity.instances.map((instance) => [instance.id, instance]));
  const groups = new Map([...capacity.taskGroups].map(([id, list]) => [id, [...list]]));
  const constraints = parsePlacementConstraints(service.placementConstraints ?? []);
  const strategies = service.placementStrategy?.length ? service.placementStrategy : SERVICE_DEFAULT_STRATEGIES;
  const groupsOn = (id: string): readonly string[] => groups.get(id) ?? [];
  return {
    instance: (id: string | undefined) => (id === undefined ? undefined : byId.get(id)),
    groupsOn,
    constraints,
    instances: () => [...byId.values()],
    taskGroups: () => groups,
    /** Places up to `count` tasks of the definition (on `only`, when given); undefined when its requirements are unknown. */
    place: (taskDefinition: string, count: number, only?: string): PlacementResult | undefined => {
      const task = capacity.requirements.get(taskDefinition);
      if (!task) return undefined;
      const candidates = only === undefined ? [...byId.values()] : [byId.get(only)!];
      const result = place({
        task,
        count,
        instances: candidates,
        taskGroups: groups,
        strategies,
        constraints,
        seed: placementSeed(service.serviceArn, service.launchSeq),
      });
      for (const instance of result.instances) byId.set(instance.id, instance);
      for (const placement of result.placements) groups.set(placement.instanceId, [...groupsOn(placement.instanceId), task.group]);
      return result;
    },
  };
};

/**
 * `capacity` is required for an EC2 service (without it, nothing is launched this pass) and ignored
 * for Fargate.
 */
export const plan = (
  current: ServiceState,
  tasks: TaskView[],
  now: EpochMs,
  options: PlanOptions,
  capacity?: ClusterCapacity,
): ServicePlan => {
  const service: ServiceState = cloneData(current);
  const events: string[] = [];
  const say = (message: string) => events.push(`(service ${service.serviceName}) ${message}`);
  const wakes: EpochMs[] = [];
  const byId = new Map(service.deployments.map((deployment) => [deployment.id, deployment]));

  // 1. Count what stopped since the last pass: every failure feeds the circuit breaker; a task
  //    that never reached RUNNING also feeds the launch back-off (ECS throttles failing launches,
  //    not tasks that ran and then died).
  const primaryStreak = service.deployments[0].consecutiveFailures;
  for (const { record, wasStopped } of tasks) {
    const deployment = record.deploymentId ? byId.get(record.deploymentId) : undefined;
    if (!deployment || wasStopped || isLive(record) || !isFailure(record)) continue;
    countFailure(deployment, now, options, record.startedAt === undefined);
  }
  if (primaryStreak < 3 && service.deployments[0].consecutiveFailures >= 3) {
    say('is unable to consistently start tasks successfully.');
  }

  // A task that started after the last failed launch and is now healthy ends the back-off.
  const live = tasks.map((view) => view.record).filter(isLive);
  for (const task of live) {
    const deployment = task.deploymentId ? byId.get(task.deploymentId) : undefined;
    if (
      deployment &&
      deployment.consecutiveFailures > 0 &&
      isHealthy(task, now, options) &&
      task.startedAt! > (deployment.lastFailureAt ?? -Infinity)
    ) {
      deployment.consecutiveFailures = 0;
      delete deployment.launchNotBefore;
    }
  }

  // 2. The circuit breaker, and rollback to the last completed deployment.
  let primary = service.deployments[0];
  const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
  if (
    breaker.enable &&
    service.status === 'ACTIVE' &&
    primary.rolloutState === 'IN_PROGRESS' &&
    primary.failedTasks >= circuitBreakerThreshold(service.desiredCount)
  ) {
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    primary.updatedAt = now;
    say(`(deployment ${primary.id}) deployment failed: tasks failed to start.`);
    const target = service.lastCompleted;
    if (breaker.rollback && target && target.taskDefinition !== primary.taskDefinition) {
      service.deploymentSeq += 1;
      const rollback = newDeployment(
        deploymentIdFor(service.serviceArn, service.deploymentSeq),
        target.taskDefinition,
        service.desiredCount,
        now,
        `ECS deployment circuit breaker: rolling back to deployment ${target.id}.`,
        service.launchType,
      );
      primary.status = 'ACTIVE';
      service.deployments.unshift(rollback);
      service.taskDefinition = target.taskDefinition;
      byId.set(rollback.id, rollback);
      say(`(deployment ${primary.id}) rolling back to deployment ${target.id}.`);
      primary = rollback;
    }
  }

  // 3. Decide stops and launches within the rolling-update bounds.
  const draining = service.status !== 'ACTIVE';
  const ec2 = service.launchType === 'EC2';
  const daemon = service.schedulingStrategy === 'DAEMON';
  const placement = ec2 && capacity ? placementFor(service, capacity) : undefined;
  // DAEMON: one task on each ACTIVE instance that meets the constraints.
  const eligible = new Set(
    daemon && placement
      ? placement
          .instances()
          .filter((instance) => instance.status === 'ACTIVE' && meetsMemberOf(instance, placement.groupsOn(instance.id), placement.constraints))
          .map((instance) => instance.id)
      : [],
  );
  if (daemon && !draining && placement) service.desiredCount = eligible.size;
  const desired = draining ? 0 : service.desiredCount;
  // A task on an instance that is DRAINING or gone (or, for DAEMON, no longer eligible) is replaced
  // like a task of an old deployment: within minimumHealthyPercent and maximumPercent.
  const leaving = (task: TaskRecord) => {
    if (!placement) return false;
    const id = instanceIdOf(task);
    if (id === undefined) return false;
    if (daemon) return !eligible.has(id);
    return placement.instance(id)?.status !== 'ACTIVE';
  };
  const { minHealthy, maxTotal } = deploymentBounds(service.deploymentConfiguration, desired);
  const stops: StopAction[] = [];
  const stopping = new Set<string>();
  const stop = (task: TaskRecord, reason: string) => {
    if (stops.length >= options.maxStopsPerPass || stopping.has(task.taskId)) return false;
    stops.push({ taskId: task.taskId, reason });
    stopping.add(task.taskId);
    return true;
  };
  const active = live.filter(isActive);
  const gracePeriodMs = (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
  const unhealthyStops: string[] = [];
  for (const task of active) {
    if (task.healthStatus !== 'UNHEALTHY' || task.startedAt === undefined) continue;
    const graceEnds = task.startedAt + gracePeriodMs;
    if (graceEnds > now) wakes.push(graceEnds);
    else if (stop(task, HEALTH_CHECK_FAILED)) unhealthyStops.push(task.taskId);
  }
  const scaling = scalingReason(primary.id);
  const healthy = (task: TaskRecord) => isHealthy(task, now, options);
  const remaining = () => active.filter((task) => !stopping.has(task.taskId));
  const isCurrent = (task: TaskRecord) => task.deploymentId === primary.id && !leaving(task);
  const primaryTasks = () => remaining().filter(isCurrent);
  const oldTasks = () => remaining().filter((task) => !isCurrent(task));

  if (draining) {
    for (const task of remaining()) stop(task, scaling);
  } else {
    // A failed deployment (without rollback) stops rolling: the old tasks keep serving.
    const rolling = primary.rolloutState !== 'FAILED';
    // Old tasks that are not serving are stopped first: they cost capacity and protect nothing.
    if (rolling) for (const task of oldTasks().filter((task) => !healthy(task))) stop(task, scaling);
    // Scale in beyond the desired count (DAEMON: beyond one per instance): pending ones first, then the newest.
    const scaleIn = (candidates: TaskRecord[], keep: number) => {
      const order = [...candidates].sort(
        (a, b) => Number(healthy(a)) - Number(healthy(b)) || b.createdAt - a.createdAt || b.taskId.localeCompare(a.taskId),
      );
      for (const task of order.slice(0, Math.max(0, candidates.length - keep))) stop(task, scaling);
    };
    if (daemon) {
      const perInstance = new Map<string | undefined, TaskRecord[]>();
      for (const task of primaryTasks()) perInstance.set(instanceIdOf(task), [...(perInstance.get(instanceIdOf(task)) ?? []), task]);
      for (const [id, list] of perInstance) scaleIn(list, id === undefined ? 0 : 1);
    } else scaleIn(primaryTasks(), desired);
    // Old healthy tasks, as far as minimumHealthyPercent allows.
    let canStop = rolling ? remaining().filter(healthy).length - minHealthy : 0;
    for (const task of oldTasks().filter(healthy)) {
      if (canStop <= 0) break;
      if (stop(task, scaling)) canStop -= 1;
    }
  }

  const launches: LaunchAction[] = [];
  const binds: BindAction[] = [];
  const inBackoff = primary.launchNotBefore !== undefined && primary.launchNotBefore > now;
  // DAEMON: the eligible instances without a task of the primary deployment.
  const withoutTask = () => {
    const covered = new Set(primaryTasks().map(instanceIdOf));
    return [...eligible].filter((id) => !covered.has(id)).sort();
  };
  const need = daemon ? withoutTask().length : desired - primaryTasks().length;
  const launch = (extra: Pick<LaunchAction, 'placement' | 'capacityProviderName'>) => {
    service.launchSeq += 1;
    launches.push({
      taskId: serviceTaskIdFor(service.serviceArn, primary.id, service.launchSeq),
      deploymentId: primary.id,
      taskDefinition: primary.taskDefinition,
      ...extra,
    });
  };
  /** The first placement this pass could not make, for the service event. */
  let unplaced: PlacementResult | undefined;
  const waitingProvider = capacity?.waitingProvider;
  // Tasks that waited for capacity are placed first, as soon as an instance can take them.
  const waiting = placement && !draining ? primaryTasks().filter(isWaitingForCapacity) : [];
  if (placement && waiting.length) {
    const result = placement.place(primary.taskDefinition, waiting.length);
    for (const [index, bound] of (result?.placements ?? []).entries()) binds.push({ taskId: waiting[index].taskId, placement: bound });
    if (binds.length < waiting.length) wakes.push(now + options.pollIntervalMs * PLACEMENT_RETRY_POLLS);
  }
  if (!draining && need > 0 && primary.rolloutState !== 'FAILED') {
    if (inBackoff) wakes.push(primary.launchNotBefore!);
    else {
      const count = Math.max(0, Math.min(need, maxTotal - remaining().length, options.maxLaunchesPerPass));
      if (!ec2) for (let index = 0; index < count; index++) launch({});
      else if (placement && daemon) {
        for (const id of withoutTask().slice(0, count)) {
          const result = placement.place(primary.taskDefinition, 1, id);
          if (result?.placements.length) launch({ placement: result.placements[0] });
          // A task of the service still stopping there frees its resources soon: no failure to report.
          else if (result && !live.some((task) => instanceIdOf(task) === id && task.desiredStatus === 'STOPPED')) unplaced ??= result;
        }
      } else if (placement && count > 0) {
        const result = placement.place(primary.taskDefinition, count);
        for (const bound of result?.placements ?? []) launch({ placement: bound, ...(waitingProvider ? { capacityProviderName: waitingProvider } : {}) });
        const missing = result ? count - result.placements.length : 0;
        // With an Auto Scaling group provider, what fits nowhere waits for capacity; else it is not placed.
        if (waitingProvider) for (let index = 0; index < missing; index++) launch({ capacityProviderName: waitingProvider });
        else if (missing > 0) unplaced = result;
      }
    }
  }
  if (unplaced) {
    const message = unplaceableEvent(service.serviceName, unplaced);
    const reported = service.unplaceableReported;
    if (!reported || reported.message !== message || now - reported.at >= UNPLACEABLE_REPEAT_MS) {
      events.push(message);
      service.unplaceableReported = { message, at: now };
    }
    wakes.push(now + options.pollIntervalMs * PLACEMENT_RETRY_POLLS);
  } else if (service.unplaceableReported && (launches.length || need <= 0)) {
    // The cause is resolved: the next failure is reported again at once.
    delete service.unplaceableReported;
  }
  if (launches.length) say(`has started ${launches.length} tasks: ${taskList(launches.map((launch) => launch.taskId))}.`);
  for (const id of unhealthyStops) say(`(task ${id}) failed container health checks.`);
  if (stops.length) say(`has stopped ${stops.length} running tasks: ${taskList(stops.map((action) => action.taskId))}.`);

  // 4. When the bounds allow no movement at all, say so (ECS's words), and say exactly why.
  const inFlight = live.some((task) => isPendingStatus(task.lastStatus) || task.desiredStatus === 'STOPPED');
  const unfinished = oldTasks().length > 0 || primaryTasks().length < desired;
  const waitingForHealth = remaining().some((task) => !healthy(task));
  if (
    !draining &&
    unfinished &&
    !unplaced &&
    !launches.length &&
    !stops.length &&
    !inFlight &&
    !inBackoff &&
    !waitingForHealth &&
    primary.rolloutState === 'IN_PROGRESS'
  ) {
    const { minimumHealthyPercent, maximumPercent } = service.deploymentConfiguration;
    primary.rolloutStateReason =
      `Blocked: minimumHealthyPercent ${minimumHealthyPercent} keeps at least ${minHealthy} healthy tasks running and ` +
      `maximumPercent ${maximumPercent} allows at most ${maxTotal} tasks for a desiredCount of ${desired}, so no task ` +
      'can be stopped or started. Lower minimumHealthyPercent or raise maximumPercent.';
    if (!primary.blockedReported) {
      primary.blockedReported = true;
      primary.updatedAt = now;
      say(
        'was unable to stop or start tasks during a deployment because of the service deployment configuration. ' +
          'Update the minimumHealthyPercent or maximumPercent value and try again.',
      );
    }
  }

  // 5. Counts, completion and retirement of deployments.
  const launching = new Map<string, number>();
  for (const launch of launches) launching.set(launch.deploymentId, (launching.get(launch.deploymentId) ?? 0) + 1);
  for (const deployment of service.deployments) {
    const own = live.filter((task) => task.deploymentId === deployment.id);
    const counts = {
      runningCount: own.filter((task) => task.lastStatus === 'RUNNING').length,
      pendingCount: own.filter((task) => isPendingStatus(task.lastStatus)).length + (launching.get(deployment.id) ?? 0),
      desiredCount:
        deployment === primary ? desired : own.filter((task) => isActive(task) && !stopping.has(task.taskId)).length,
    };
    if (Object.entries(counts).some(([key, value]) => deployment[key as keyof typeof counts] !== value)) {
      Object.assign(deployment, counts);
      deployment.updatedAt = now;
    }
  }
  const othersLive = live.some((task) => task.deploymentId !== primary.id || leaving(task));
  const primaryHealthy = primaryTasks().filter(healthy).length;
  if (
    primary.rolloutState === 'IN_PROGRESS' &&
    !draining &&
    !othersLive &&
    !launches.length &&
    !stops.length &&
    primaryHealthy === desired &&
    primaryTasks().length === desired
  ) {
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.updatedAt = now;
    service.lastCompleted = { id: primary.id, taskDefinition: primary.taskDefinition };
    say(`(deployment ${primary.id}) deployment completed.`);
  }
  // ECS lists the PRIMARY and the ACTIVE deployments that still have tasks; a drained one is
  // dropped (INACTIVE), so a settled service shows exactly one deployment, as AWS's ServicesStable
  // waiter and every deployment tool expect. Rollback needs only `lastCompleted`.
  service.deployments = service.deployments.filter(
    (deployment) => deployment === primary || live.some((task) => task.deploymentId === deployment.id),
  );

  service.runningCount = live.filter((task) => task.lastStatus === 'RUNNING').length;
  service.pendingCount = live.filter((task) => isPendingStatus(task.lastStatus)).length + launches.length;

  if (draining && !live.length) service.status = 'INACTIVE';

  // 6. Steady state: said once after each change, as ECS does.
  const steadyNow =
    !draining &&
    primary.rolloutState === 'COMPLETED' &&
    !othersLive &&
    !launches.length &&
    !stops.length &&
    live.length === desired &&
    live.every(healthy);
  if (steadyNow && !service.steady) say('has reached a steady state.');
  service.steady = steadyNow;

  // 7. When to look again.
  for (const { record, nextChangeAt } of tasks) {
    if (!isLive(record)) continue;
    if (nextChangeAt !== undefined) wakes.push(nextChangeAt);
    else if (isPendingStatus(record.lastStatus) || record.desiredStatus === 'STOPPED') wakes.push(now + options.pollIntervalMs);
    const becomesHealthy = healthyAt(record, options);
    if (becomesHealthy !== undefined && becomesHealthy > now) wakes.push(becomesHealthy);
  }
  // New and stopping tasks are not in this pass's observations yet: follow them up soon.
  if (launches.length || stops.length) wakes.push(now + options.pollIntervalMs);

  return {
    service,
    events,
    launches,
    stops,
    binds,
    ...(placement ? { instances: placement.instances(), taskGroups: placement.taskGroups() } : {}),
    nextWakeAt: wakes.length ? Math.max(now, Math.min(...wakes)) : undefined,
  };
};

/**
 * A launch the backend refused (ECS RunTask `failures`, e.g. no capacity): no task exists, but the
 * deployment counts a failure, backs off, and the service says why. A refusal for rate is not a
 * failure: the deployment only waits, and the service says so in ECS's words.
 */
export const recordLaunchRefusal = (
  service: ServiceState,
  deploymentId: string,
  reason: string,
  now: EpochMs,
  options: Pick<PlanOptions, 'backoffBaseMs' | 'backoffCapMs'>,
): string => {
  const deployment = service.deployments.find((candidate) => candidate.id === deploymentId);
  if (reason === THROTTLED_REASON) {
    if (deployment) deployment.launchNotBefore = now + options.backoffBaseMs;
    return `(service ${service.serviceName}) operations are being throttled. Will try again later.`;
  }
  if (deployment) countFailure(deployment, now, options, true);
  return `(service ${service.serviceName}) was unable to place a task. Reason: ${reason}.`;
};
