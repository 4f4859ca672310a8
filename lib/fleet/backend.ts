import type {
  Container,
  EpochMs,
  HealthStatus,
  LifecycleStatus,
  NetworkConfiguration,
  StopCode,
  TaskDefinition,
  TaskNetwork,
} from '../domain/model';

/**
 * The port between the reconciler and whatever actually runs tasks: the simulated fleet (default)
 * or real Fargate. Every backend passes the same contract suite (test/contract/fleet-backend.ts).
 *
 * Identities are chosen by the caller: `taskId` is deterministic (derived from the service,
 * deployment and slot), so a launch that is retried or run twice by overlapping reconcilers is
 * recognised by the backend and never doubles a task.
 *
 * A backend hands back an opaque `ref` for every task it accepted; the caller stores it with the
 * task record and passes it back to `observe` and `stop`. The simulated fleet keeps its whole
 * state in that ref (a timeline), so observing it costs no I/O; Fargate keeps the ECS task ARN.
 */
export type BackendRef =
  | { kind: 'simulated'; timeline: unknown }
  | { kind: 'fargate'; taskArn: string; cluster: string };

export interface LaunchSpec {
  taskId: string;
  clusterName: string;
  taskDefinition: TaskDefinition;
  /** "ecs-svc/<id>" for service tasks, or the RunTask caller's startedBy. */
  startedBy?: string;
  /** "service:NAME" or "family:FAMILY" unless the caller set one. */
  group: string;
  /** FARGATE or FARGATE_SPOT when a capacity provider strategy placed the task; else launch type FARGATE. */
  capacityProviderName?: string;
  /** EC2: the task runs on a container instance (only the simulated fleet has them); FARGATE when absent. */
  launchType?: 'EC2';
  /** The zone of the container instance an EC2 task was placed on. */
  availabilityZone?: string;
  overrides?: TaskOverrides;
  networkConfiguration?: NetworkConfiguration;
}

export interface TaskOverrides {
  containerOverrides?: Array<{
    name: string;
    command?: string[];
    environment?: Array<{ name: string; value: string }>;
    cpu?: number;
    memory?: number;
    memoryReservation?: number;
  }>;
  cpu?: string;
  memory?: string;
}

/** The reason of a launch refused only for rate: ECS's own error name, so it reads as ECS says it. */
export const THROTTLED_REASON = 'ThrottlingException';

export type LaunchOutcome =
  | { taskId: string; accepted: true; ref: BackendRef }
  /** ECS RunTask `failures[]`: capacity, missing resources. Feeds the circuit breaker. */
  | { taskId: string; accepted: false; reason: string; detail?: string };

/** What a backend reports about one task at `now`. */
export interface ObservedTask {
  taskId: string;
  lastStatus: LifecycleStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  containers: Array<Omit<Container, 'containerArn'>>;
  pullStartedAt?: EpochMs;
  pullStoppedAt?: EpochMs;
  startedAt?: EpochMs;
  stoppingAt?: EpochMs;
  stoppedAt?: EpochMs;
  stopCode?: StopCode;
  stoppedReason?: string;
  /** The task's ENI and zone; absent when the backend cannot say (a task ECS has forgotten). */
  network?: TaskNetwork;
  /** When the backend expects this task's state to change next, if it knows (simulated fleet). */
  nextChangeAt?: EpochMs;
  /** The backend may replace the ref (e.g. the simulated timeline after a stop). */
  ref: BackendRef;
}

export interface StopRequest {
  taskId: string;
  ref: BackendRef;
  reason: string;
  /** SpotInterruption only from ecsbox's simulated Spot interruptions (lib/usecases/spot-interruptions.ts). */
  stopCode: Extract<StopCode, 'UserInitiated' | 'ServiceSchedulerInitiated' | 'SpotInterruption'>;
}

/** A task to observe: its ref, and when its record was created (the launch was decided). */
export interface ObserveRequest {
  taskId: string;
  ref: BackendRef;
  createdAt: EpochMs;
}

/**
 * How long a task may be unknown to the backend after its record was created before that means it
 * is gone: ECS is eventually consistent after RunTask, and its guide suggests waiting up to 5
 * minutes. Based on the stored record, so every process judges a task alike.
 */
export const LAUNCH_VISIBILITY_GRACE_MS = 5 * 60_000;

export interface FleetBackend {
  readonly name: 'simulated' | 'fargate';
  /**
   * True when a launch has no effect outside the ref it returns (the simulated fleet: the ref is
   * the task's whole planned future, and nothing runs anywhere). The reconciler then plans such a
   * launch before it commits, and records the task with its ref in the same write as the decision
   * to launch it: there is no effect a crash could leave unrecorded. Backends that start something
   * real (Fargate) record the launch first and make it after.
   */
  readonly launchHasNoEffect?: boolean;
  launch(specs: LaunchSpec[], now: EpochMs): Promise<LaunchOutcome[]>;
  /**
   * Reports each task; a task the backend cannot see yet (created within LAUNCH_VISIBILITY_GRACE_MS)
   * is left out, and the caller keeps its record as it is.
   */
  observe(tasks: ObserveRequest[], now: EpochMs): Promise<ObservedTask[]>;
  /** Returns the (possibly new) ref of every task asked to stop. Stopping a stopped task is a no-op. */
  stop(requests: StopRequest[], now: EpochMs): Promise<Array<{ taskId: string; ref: BackendRef }>>;
  /**
   * The garbage collector (owner references, as in Kubernetes): stops every task this backend runs
   * for ecsbox that no live task record owns, e.g. one launched by a reconciler that died before
   * recording it. `owners` is asked only after the backend listed its tasks, so a record committed
   * before its launch (as the reconciler does) is always seen; tasks younger than a grace period
   * are left alone. Returns the backend's ids of the tasks stopped. Absent where a task cannot
   * outlive its record (the simulated fleet keeps a task's whole state in the record).
   */
  collectStrays?(owners: () => Promise<ReadonlySet<string>>, now: EpochMs): Promise<string[]>;
}
