import fc from 'fast-check';
import { arns } from '../../lib/domain/arn';
import {
  LIFECYCLE,
  type Container,
  type DeploymentConfiguration,
  type EpochMs,
  type HealthStatus,
  type LifecycleStatus,
  type RolloutState,
  type StopCode,
} from '../../lib/domain/model';
import {
  circuitBreakerThreshold,
  deploymentIdFor,
  newDeployment,
  serviceTaskIdFor,
  type DeploymentState,
  type ServiceState,
} from '../../lib/domain/service';
import type { TaskRecord } from '../../lib/domain/task';
import { HEALTH_CHECK_FAILED, scalingReason, type PlanOptions, type TaskView } from '../../lib/reconciler/plan';
import { reconcilerSettings } from '../../lib/reconciler/settings';

/**
 * Builders and fast-check arbitraries for the reconciler's planner: services, deployments and
 * fleets of task records shaped like the ones the reconciler really hands to `plan` (well-formed
 * TaskRecords, deterministic ids from the same derivations the planner uses, so that "a launch id
 * is new" is meaningful).
 */

export const T0: EpochMs = Date.UTC(2026, 0, 1, 12);
const SCOPE = { region: 'us-east-1', accountId: '123456789012' };
export const CLUSTER_NAME = 'default';
export const SERVICE_NAME = 'web';
export const SERVICE_ARN = arns.service(SCOPE, CLUSTER_NAME, SERVICE_NAME);
const CLUSTER_ARN = arns.cluster(SCOPE, CLUSTER_NAME);

export const taskDefinitionArn = (revision: number) => arns.taskDefinition(SCOPE, SERVICE_NAME, revision);
export const deploymentId = (sequence: number) => deploymentIdFor(SERVICE_ARN, sequence);
export const taskIdFor = (deployment: string, sequence: number) => serviceTaskIdFor(SERVICE_ARN, deployment, sequence);

export const FAST: PlanOptions = reconcilerSettings('fast', 1).plan;
export const REALISTIC: PlanOptions = reconcilerSettings('realistic', 1).plan;

const GOING_DOWN: ReadonlySet<LifecycleStatus> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

export type GeneratedStopCode = Extract<
  StopCode,
  'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated'
>;

/** The stoppedReason ECS (and ecsbox's backends) put next to each stop code. */
export const stoppedReasonFor = (stopCode: GeneratedStopCode, deployment: string, healthCheck = false): string => {
  switch (stopCode) {
    case 'TaskFailedToStart':
      return 'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref docker.io/library/web:broken: not found';
    case 'EssentialContainerExited':
      return 'Essential container in task exited';
    case 'UserInitiated':
      return 'Task stopped by user';
    case 'ServiceSchedulerInitiated':
      return healthCheck ? HEALTH_CHECK_FAILED : scalingReason(deployment);
  }
};

// ---------------------------------------------------------------------------------------------
// Builders

export interface DeploymentSpec {
  sequence: number;
  revision: number;
  status?: DeploymentState['status'];
  rolloutState?: RolloutState;
  desiredCount?: number;
  failedTasks?: number;
  consecutiveFailures?: number;
  launchNotBefore?: EpochMs;
  createdAt?: EpochMs;
}

export const makeDeployment = (spec: DeploymentSpec): DeploymentState => {
  const createdAt = spec.createdAt ?? T0 - 3_600_000;
  const deployment = newDeployment(deploymentId(spec.sequence), taskDefinitionArn(spec.revision), spec.desiredCount ?? 0, createdAt, undefined, 'FARGATE');
  deployment.status = spec.status ?? 'PRIMARY';
  deployment.failedTasks = spec.failedTasks ?? 0;
  deployment.consecutiveFailures = spec.consecutiveFailures ?? 0;
  if (spec.launchNotBefore !== undefined) deployment.launchNotBefore = spec.launchNotBefore;
  const rolloutState = spec.rolloutState ?? 'IN_PROGRESS';
  deployment.rolloutState = rolloutState;
  if (rolloutState === 'COMPLETED') deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
  if (rolloutState === 'FAILED') deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
  return deployment;
};

export interface ServiceSpec {
  /** Newest first; the first is the PRIMARY. */
  deployments: DeploymentState[];
  desiredCount: number;
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  circuitBreaker?: DeploymentConfiguration['deploymentCircuitBreaker'];
  status?: ServiceState['status'];
  healthCheckGracePeriodSeconds?: number;
  lastCompleted?: ServiceState['lastCompleted'];
  deploymentSeq?: number;
  launchSeq?: number;
  steady?: boolean;
}

export const makeService = (spec: ServiceSpec): ServiceState => ({
  serviceArn: SERVICE_ARN,
  serviceName: SERVICE_NAME,
  clusterArn: CLUSTER_ARN,
  clusterName: CLUSTER_NAME,
  status: spec.status ?? 'ACTIVE',
  taskDefinition: spec.deployments[0].taskDefinition,
  desiredCount: spec.desiredCount,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  schedulingStrategy: 'REPLICA',
  deploymentConfiguration: {
    minimumHealthyPercent: spec.minimumHealthyPercent ?? 100,
    maximumPercent: spec.maximumPercent ?? 200,
    deploymentCircuitBreaker: spec.circuitBreaker ?? { enable: false, rollback: false },
  },
  ...(spec.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds } : {}),
  createdAt: T0 - 86_400_000,
  runningCount: 0,
  pendingCount: 0,
  deployments: spec.deployments,
  deploymentSeq: spec.deploymentSeq ?? Math.max(...spec.deployments.map((deployment) => sequenceOf(deployment.id))),
  launchSeq: spec.launchSeq ?? 0,
  ...(spec.lastCompleted ? { lastCompleted: spec.lastCompleted } : {}),
  steady: spec.steady ?? false,
  version: 1,
});

/** Deployment ids are hashes: recover the sequence a test built one from (ids of sequences 1–50). */
const sequenceOf = (id: string): number => {
  for (let sequence = 1; sequence <= 50; sequence++) if (deploymentId(sequence) === id) return sequence;
  throw new Error(`deployment id ${id} was not built by makeDeployment`);
};

export interface TaskSpec {
  taskId: string;
  deploymentId: string;
  taskDefinitionArn: string;
  lastStatus: LifecycleStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthChecked: boolean;
  healthStatus?: HealthStatus;
  createdAt: EpochMs;
  startedAt?: EpochMs;
  stoppingAt?: EpochMs;
  stoppedAt?: EpochMs;
  stopCode?: StopCode;
  stoppedReason?: string;
}

const containerStatus = (task: TaskSpec): Container['lastStatus'] => {
  if (task.lastStatus === 'STOPPED') return 'STOPPED';
  return task.startedAt === undefined ? 'PENDING' : 'RUNNING';
};

/** A well-formed TaskRecord of a service task: one essential container that mirrors the task. */
export const makeTask = (task: TaskSpec): TaskRecord => {
  const taskArn = arns.task(SCOPE, CLUSTER_NAME, task.taskId);
  const healthStatus = task.healthChecked ? (task.healthStatus ?? 'UNKNOWN') : 'UNKNOWN';
  const exited = task.lastStatus === 'STOPPED' && task.startedAt !== undefined;
  const pulled = task.startedAt !== undefined || task.stopCode === 'TaskFailedToStart';
  return {
    taskId: task.taskId,
    taskArn,
    clusterName: CLUSTER_NAME,
    clusterArn: CLUSTER_ARN,
    taskDefinitionArn: task.taskDefinitionArn,
    serviceName: SERVICE_NAME,
    deploymentId: task.deploymentId,
    startedBy: task.deploymentId,
    group: `service:${SERVICE_NAME}`,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    cpu: '256',
    memory: '512',
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    healthStatus,
    containers: [
      {
        containerArn: `${taskArn.replace(':task/', ':container/')}/app`,
        name: 'app',
        image: 'web:latest',
        lastStatus: containerStatus(task),
        ...(exited ? { exitCode: task.stopCode === 'EssentialContainerExited' ? 1 : 0 } : {}),
        healthStatus,
        essential: true,
      },
    ],
    createdAt: task.createdAt,
    ...(pulled ? { pullStartedAt: task.createdAt + 1, pullStoppedAt: (task.startedAt ?? task.stoppingAt ?? task.createdAt + 2) - 1 } : {}),
    ...(task.startedAt !== undefined ? { startedAt: task.startedAt } : {}),
    ...(task.stoppingAt !== undefined ? { stoppingAt: task.stoppingAt } : {}),
    ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt } : {}),
    ...(task.stopCode !== undefined ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
    healthChecked: task.healthChecked,
    // The planner never reads the backend's ref.
    ref: { kind: 'simulated', timeline: {} },
    version: 1,
  };
};

const specOf = (task: TaskRecord): TaskSpec => ({
  taskId: task.taskId,
  deploymentId: task.deploymentId!,
  taskDefinitionArn: task.taskDefinitionArn,
  lastStatus: task.lastStatus,
  desiredStatus: task.desiredStatus,
  healthChecked: task.healthChecked,
  healthStatus: task.healthStatus,
  createdAt: task.createdAt,
  startedAt: task.startedAt,
  stoppingAt: task.stoppingAt,
  stoppedAt: task.stoppedAt,
  stopCode: task.stopCode,
  stoppedReason: task.stoppedReason,
});

/** The same task after an observed change (its container follows), one version later. */
export const evolveTask = (task: TaskRecord, changes: Partial<TaskSpec>): TaskRecord => ({
  ...makeTask({ ...specOf(task), ...changes }),
  version: task.version + 1,
});

type Owner = Pick<DeploymentState, 'id' | 'taskDefinition'>;

/** A task of `deployment` that has been RUNNING since `startedAt` (healthy once settled, or by its check). */
export const runningTask = (
  deployment: Owner,
  sequence: number,
  fields: { startedAt?: EpochMs; healthChecked?: boolean; healthStatus?: HealthStatus } = {},
): TaskRecord => {
  const startedAt = fields.startedAt ?? T0 - 600_000;
  return makeTask({
    taskId: taskIdFor(deployment.id, sequence),
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinition,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthChecked: fields.healthChecked ?? true,
    healthStatus: fields.healthStatus ?? 'HEALTHY',
    createdAt: startedAt - 30_000,
    startedAt,
  });
};

/** A task of `deployment` still on its way up. */
export const pendingTask = (deployment: Owner, sequence: number, lastStatus: LifecycleStatus = 'PENDING'): TaskRecord =>
  makeTask({
    taskId: taskIdFor(deployment.id, sequence),
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinition,
    lastStatus,
    desiredStatus: 'RUNNING',
    healthChecked: true,
    createdAt: T0 - 10_000,
  });

/** A task of `deployment` that reached STOPPED with `stopCode` (having run first unless it failed to start). */
export const stoppedTask = (
  deployment: Owner,
  sequence: number,
  stopCode: GeneratedStopCode,
  fields: { healthCheck?: boolean; stoppedAt?: EpochMs } = {},
): TaskRecord => {
  const stoppedAt = fields.stoppedAt ?? T0 - 1_000;
  const ran = stopCode !== 'TaskFailedToStart';
  return makeTask({
    taskId: taskIdFor(deployment.id, sequence),
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinition,
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    healthChecked: true,
    healthStatus: fields.healthCheck ? 'UNHEALTHY' : 'UNKNOWN',
    createdAt: stoppedAt - 120_000,
    ...(ran ? { startedAt: stoppedAt - 60_000 } : {}),
    stoppingAt: stoppedAt - 500,
    stoppedAt,
    stopCode,
    stoppedReason: stoppedReasonFor(stopCode, deployment.id, fields.healthCheck),
  });
};

/** What the reconciler hands the planner: `justStopped` tasks are seen STOPPED for the first time. */
export const views = (tasks: TaskRecord[], justStopped: ReadonlySet<string> = new Set()): TaskView[] =>
  tasks.map((record) => ({ record, wasStopped: record.lastStatus === 'STOPPED' && !justStopped.has(record.taskId) }));

// ---------------------------------------------------------------------------------------------
// Arbitraries

export interface Scenario {
  service: ServiceState;
  tasks: TaskView[];
  now: EpochMs;
  options: PlanOptions;
}

/** Realistic option sets (the two reconciler profiles), with per-pass limits from 1 to 10. */
export const planOptionsArb: fc.Arbitrary<PlanOptions> = fc
  .record({
    profile: fc.constantFrom(FAST, REALISTIC),
    maxLaunchesPerPass: fc.integer({ min: 1, max: 10 }),
    maxStopsPerPass: fc.integer({ min: 1, max: 10 }),
  })
  .map(({ profile, ...limits }) => ({ ...profile, ...limits }));

export const desiredCountArb = fc.integer({ min: 0, max: 20 });
/** The documented examples (75 / 125 …) and the ends are where off-by-one rounding hides. */
export const minimumHealthyPercentArb = fc.oneof(fc.constantFrom(0, 50, 75, 100), fc.integer({ min: 0, max: 100 }));
export const maximumPercentArb = fc.oneof(fc.constantFrom(100, 125, 150, 200), fc.integer({ min: 100, max: 200 }));
export const circuitBreakerArb = fc.record({ enable: fc.boolean(), rollback: fc.boolean() });

/** Ages (startedAt before now) around both profiles' settle times (500 ms, 40 s) and the grace periods, up to an hour. */
const ageArb = fc.oneof(
  fc.constantFrom(1, 499, 500, 501, 39_999, 40_000, 40_001, 119_999, 120_000),
  fc.integer({ min: 1, max: 3_600_000 }),
);

const taskShapeArb = fc.record({
  /** Which deployment owns it (taken modulo the number of deployments). */
  owner: fc.nat({ max: 2 }),
  lastStatus: fc.constantFrom(...LIFECYCLE),
  /** For a task still on its way up: whether a stop was already requested. */
  stopRequested: fc.boolean(),
  stopCode: fc.constantFrom<GeneratedStopCode>(
    'TaskFailedToStart',
    'EssentialContainerExited',
    'UserInitiated',
    'ServiceSchedulerInitiated',
  ),
  /** For a scheduler stop: whether it was for failed health checks rather than scaling. */
  healthCheckStop: fc.boolean(),
  healthChecked: fc.boolean(),
  health: fc.constantFrom<HealthStatus>('HEALTHY', 'UNHEALTHY', 'UNKNOWN'),
  ageMs: ageArb,
  /** For a STOPPED task: whether an earlier pass already saw it STOPPED (and counted it). */
  seenStopped: fc.boolean(),
});
type TaskShape = typeof taskShapeArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * One task, consistent with ECS's lifecycle: a task on its way down (or stopped) has desiredStatus
 * STOPPED and a stop code; only a task that reached RUNNING has startedAt; a task that failed to
 * start never did; health is UNKNOWN without a health check or before RUNNING.
 */
const taskFromShape = (shape: TaskShape, owner: Owner, sequence: number, now: EpochMs): TaskView => {
  const down = GOING_DOWN.has(shape.lastStatus);
  const stopping = down || shape.stopRequested;
  const stopCode: GeneratedStopCode | undefined = !stopping
    ? undefined
    : !down && (shape.stopCode === 'TaskFailedToStart' || shape.stopCode === 'EssentialContainerExited')
      ? // A live task on its way up can only have been asked to stop, by a user or the scheduler.
        shape.stopCode === 'TaskFailedToStart' ? 'UserInitiated' : 'ServiceSchedulerInitiated'
      : shape.stopCode;
  const started = shape.lastStatus === 'RUNNING' || (down && stopCode !== 'TaskFailedToStart');
  const startedAt = started ? now - shape.ageMs : undefined;
  const createdAt = (startedAt ?? now - shape.ageMs) - 5_000;
  const stoppingAt = stopping ? now - Math.floor(shape.ageMs / 2) : undefined;
  // Only a task with a health check that reached RUNNING can have failed its health checks.
  const healthCheckStop = stopCode === 'ServiceSchedulerInitiated' && shape.healthCheckStop && started && shape.healthChecked;
  const record = makeTask({
    taskId: taskIdFor(owner.id, sequence),
    deploymentId: owner.id,
    taskDefinitionArn: owner.taskDefinition,
    lastStatus: shape.lastStatus,
    desiredStatus: stopping ? 'STOPPED' : 'RUNNING',
    healthChecked: shape.healthChecked,
    healthStatus: started ? (healthCheckStop ? 'UNHEALTHY' : shape.health) : 'UNKNOWN',
    createdAt,
    startedAt,
    stoppingAt,
    stoppedAt: shape.lastStatus === 'STOPPED' ? stoppingAt : undefined,
    stopCode,
    stoppedReason: stopCode && stoppedReasonFor(stopCode, owner.id, healthCheckStop),
  });
  return { record, wasStopped: shape.lastStatus === 'STOPPED' && shape.seenStopped };
};

/** Mostly `usual`, sometimes anything from `rest`: keeps the interesting cases without drowning the common one. */
const mostly = <T>(usual: fc.Arbitrary<T>, rest: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: usual }, { weight: 1, arbitrary: rest });

const deploymentShapeArb = fc.record({
  rolloutState: mostly(fc.constant<RolloutState>('IN_PROGRESS'), fc.constantFrom<RolloutState>('COMPLETED', 'FAILED')),
  /** forceNewDeployment keeps the task definition. */
  sameTaskDefinition: fc.boolean(),
  failedTasks: mostly(fc.constant(0), fc.integer({ min: 1, max: 5 })),
  consecutiveFailures: mostly(fc.constant(0), fc.integer({ min: 1, max: 4 })),
  /** Where an earlier back-off ends, relative to now. */
  backoffEndsInMs: fc.integer({ min: -60_000, max: 900_000 }),
});

export interface ScenarioConstraints {
  /** Only ACTIVE services (no DRAINING). */
  activeOnly?: boolean;
  /** Draw the bounds from these instead (e.g. to reach deadlocks often). */
  minimumHealthyPercent?: fc.Arbitrary<number>;
  maximumPercent?: fc.Arbitrary<number>;
}

/**
 * A service (desiredCount 0–20, any bounds, circuit breaker on/off with rollback on/off, sometimes
 * DRAINING), its PRIMARY and 0–2 older ACTIVE deployments, and a fleet of 0–30 tasks spread over
 * them in every lifecycle state. Deployment histories are kept plausible: a COMPLETED PRIMARY has
 * retired every older deployment, a FAILED one only exists when the breaker tripped and could not
 * roll back.
 */
export const scenarioArb = (constraints: ScenarioConstraints = {}): fc.Arbitrary<Scenario> =>
  fc
    .record({
      options: planOptionsArb,
      desiredCount: desiredCountArb,
      minimumHealthyPercent: constraints.minimumHealthyPercent ?? minimumHealthyPercentArb,
      maximumPercent: constraints.maximumPercent ?? maximumPercentArb,
      circuitBreaker: circuitBreakerArb,
      draining: constraints.activeOnly ? fc.constant(false) : fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, fc.constant(true)),
      primary: deploymentShapeArb,
      older: fc.array(deploymentShapeArb, { maxLength: 2 }),
      /** Whether a long-gone deployment (sequence 1) is the last COMPLETED one when no older one is. */
      forgottenCompleted: fc.boolean(),
      gracePeriodSeconds: fc.option(fc.constantFrom(0, 10, 60, 120), { nil: undefined }),
      // size 'max': lengths over the whole 0–30 range, not fast-check's default small arrays.
      tasks: fc.array(taskShapeArb, { maxLength: 30, size: 'max' }),
      spareLaunchSeq: fc.nat({ max: 5 }),
      steady: fc.boolean(),
    })
    .map((input) => {
      const now = T0;
      const desiredCount = input.draining ? 0 : input.desiredCount;
      const threshold = circuitBreakerThreshold(desiredCount);
      // Sequence 1 is the service's first deployment, long retired; then the older ones; then the PRIMARY.
      const primarySequence = input.older.length + 2;
      const primaryRevision = primarySequence;
      const older = input.older.map((shape, index) => {
        const sequence = primarySequence - 1 - index;
        return makeDeployment({
          sequence,
          revision: shape.sameTaskDefinition ? primaryRevision : sequence,
          status: 'ACTIVE',
          rolloutState: shape.rolloutState,
          failedTasks: shape.failedTasks,
          createdAt: now - 3_600_000 * (index + 2),
        });
      });
      const newestCompleted = older.find((deployment) => deployment.rolloutState === 'COMPLETED');
      let lastCompleted: ServiceState['lastCompleted'] = newestCompleted
        ? { id: newestCompleted.id, taskDefinition: newestCompleted.taskDefinition }
        : input.forgottenCompleted
          ? { id: deploymentId(1), taskDefinition: taskDefinitionArn(1) }
          : undefined;

      let rolloutState = input.primary.rolloutState;
      if (rolloutState === 'COMPLETED' && older.length) rolloutState = 'IN_PROGRESS';
      if (rolloutState === 'FAILED' && !input.circuitBreaker.enable) rolloutState = 'IN_PROGRESS';
      const primary = makeDeployment({
        sequence: primarySequence,
        revision: primaryRevision,
        rolloutState,
        desiredCount,
        failedTasks: rolloutState === 'FAILED' ? Math.max(threshold, input.primary.failedTasks) : input.primary.failedTasks,
        consecutiveFailures: input.primary.consecutiveFailures,
        ...(input.primary.consecutiveFailures > 0 ? { launchNotBefore: now + input.primary.backoffEndsInMs } : {}),
        createdAt: now - 3_600_000,
      });
      if (rolloutState === 'COMPLETED') lastCompleted = { id: primary.id, taskDefinition: primary.taskDefinition };
      // A FAILED PRIMARY means the breaker could not roll back: nothing to roll back to.
      if (rolloutState === 'FAILED' && input.circuitBreaker.rollback) lastCompleted = undefined;

      const deployments = [primary, ...older];
      const tasks = input.tasks.map((shape, index) =>
        taskFromShape(shape, deployments[shape.owner % deployments.length], index + 1, now),
      );
      const service = makeService({
        deployments,
        desiredCount,
        minimumHealthyPercent: input.minimumHealthyPercent,
        maximumPercent: input.maximumPercent,
        circuitBreaker: input.circuitBreaker,
        status: input.draining ? 'DRAINING' : 'ACTIVE',
        healthCheckGracePeriodSeconds: input.gracePeriodSeconds,
        lastCompleted,
        deploymentSeq: primarySequence,
        launchSeq: tasks.length + input.spareLaunchSeq,
        steady: input.steady && rolloutState === 'COMPLETED' && !input.draining,
      });
      return { service, tasks, now, options: input.options };
    });
