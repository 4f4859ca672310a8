import type { Cluster, ClusterConfiguration, ClusterFleet, EpochMs, ServiceEvent, Tag, TaskDefinition, TaskDefinitionStatus } from './domain/model';
import type { Quotas } from './domain/quotas';
import type { Alarm, CustomDatapoint, MetricIdentity } from './domain/cloudwatch';
import type { ServiceLoad } from './domain/load';
import type { TaskInterval } from './domain/metrics';
import type { ScalableTarget, ScalingActivity } from './domain/scaling';
import type { Attribute, ContainerInstanceRecord } from './domain/container-instance';
import type { ClusterInstances } from './domain/placement';
import type { CapacityProviderRecord, CapacityProviderStrategyItem } from './domain/capacity-provider';
import type { ServiceState } from './domain/service';
import type { TaskRecord } from './domain/task';
import type { ValidatedTaskDefinition } from './domain/task-definition';

/** Narrow persistence ports. Adapters (lib/adapters/) implement them and throw domain errors only. */

/**
 * Rewrites a resource's tags from the ones it has now. Adapters apply it as a compare-and-swap, so
 * concurrent TagResource / UntagResource calls never lose each other's keys; it may run more than
 * once, and whatever it throws reaches the caller.
 */
export type TagChange = (current: Tag[]) => Tag[];

/** Every account's quotas: the stage's defaults with the tenant's overrides (domain/quotas.ts). */
export interface QuotaSource {
  of(accountId: string): Promise<Quotas>;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PageRequest {
  maxResults: number;
  nextToken?: string;
}

export interface ClusterRepository {
  /**
   * Creates the cluster, or returns the existing ACTIVE one unchanged (CreateCluster is
   * idempotent); LimitExceeded as ECS answers it past the account's cluster quota.
   */
  create(
    clusterName: string,
    tags: Tag[] | undefined,
    now: EpochMs,
    fleet?: ClusterFleet,
    configuration?: Partial<ClusterConfiguration>,
  ): Promise<Cluster>;
  get(clusterName: string): Promise<Cluster | undefined>;
  /** What lives in the cluster now: its live tasks by state and its DRAINING services. */
  activity(clusterName: string): Promise<ClusterActivity>;
  list(page: PageRequest): Promise<Page<string>>;
  /** Marks the cluster INACTIVE; refuses with ClusterContainsServicesException while it has services. */
  delete(clusterName: string): Promise<Cluster>;
  /** The cluster's new tags, or undefined when there is no ACTIVE cluster of that name. */
  updateTags(clusterName: string, change: TagChange): Promise<Tag[] | undefined>;
}

export interface ClusterActivity {
  runningTasks: number;
  pendingTasks: number;
  /** Of those, the EC2 tasks. */
  runningEc2Tasks: number;
  pendingEc2Tasks: number;
  drainingServices: number;
}

export interface TaskDefinitionListRequest extends PageRequest {
  familyPrefix?: string;
  status: TaskDefinitionStatus;
  sort: 'ASC' | 'DESC';
}

export interface FamilyListRequest extends PageRequest {
  familyPrefix?: string;
  status: 'ACTIVE' | 'INACTIVE' | 'ALL';
}

export interface StoredTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

export interface TaskDefinitionRepository {
  /** Stores the next revision of the family: revisions are 1, 2, 3... with no gap or duplicate. */
  register(definition: ValidatedTaskDefinition, now: EpochMs): Promise<StoredTaskDefinition>;
  get(family: string, revision: number): Promise<StoredTaskDefinition | undefined>;
  latestActive(family: string): Promise<StoredTaskDefinition | undefined>;
  list(request: TaskDefinitionListRequest): Promise<Page<TaskDefinition>>;
  listFamilies(request: FamilyListRequest): Promise<Page<string>>;
  deregister(family: string, revision: number, now: EpochMs): Promise<TaskDefinition>;
  /**
   * DeleteTaskDefinitions for one revision: an INACTIVE revision becomes DELETE_IN_PROGRESS (with
   * deleteRequestedAt). Returns the revision as it then is (an ACTIVE one unchanged, a
   * DELETE_IN_PROGRESS one as it was), or undefined when it does not exist.
   */
  requestDeletion(family: string, revision: number, now: EpochMs): Promise<TaskDefinition | undefined>;
  /** The revision's new tags, or undefined when it does not exist. */
  updateTags(family: string, revision: number, change: TagChange): Promise<Tag[] | undefined>;
}

export interface StoredService {
  service: ServiceState;
  /** What ECS shows: newest first, at most 100 (the service's recentEvents, then the older ones). */
  events: ServiceEvent[];
}

export interface ServiceRepository {
  /** Stores a new service and counts it on its cluster; ConflictException if the name is taken. */
  create(service: ServiceState): Promise<void>;
  get(clusterName: string, serviceName: string): Promise<StoredService | undefined>;
  /** As get for each name, in order, in one read. */
  getMany(clusterName: string, serviceNames: string[]): Promise<Array<StoredService | undefined>>;
  /** ARNs of the cluster's ACTIVE and DRAINING services. */
  list(clusterName: string, page: PageRequest): Promise<Page<string>>;
  /**
   * Writes the service if it is still at `service.version - 1`; ConflictException otherwise. A
   * change of desired count from `desiredCountBefore` moves the account's running-tasks
   * reservation with it (LimitExceededException past that quota). Events added go in the
   * service's recentEvents (withServiceEvents).
   */
  save(service: ServiceState, desiredCountBefore?: number): Promise<void>;
  /** As save, and uncounts it from its cluster (DeleteService: ACTIVE → DRAINING). */
  saveDeleted(service: ServiceState, desiredCountBefore?: number): Promise<void>;
}

export interface TaskFilter {
  serviceName?: string;
  family?: string;
  startedBy?: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  launchType?: 'EC2' | 'FARGATE';
  /** The ARN of the container instance the tasks run on. */
  containerInstanceArn?: string;
}

export interface IdempotentLaunch {
  /** Scoped to the cluster, as ECS scopes RunTask's clientToken. */
  clientToken: string;
  /** A digest of the request's parameters, to tell a retry from a conflicting reuse. */
  requestDigest: string;
}

export interface TaskRepository {
  get(clusterName: string, taskId: string): Promise<TaskRecord | undefined>;
  list(clusterName: string, filter: TaskFilter, page: PageRequest, now: EpochMs): Promise<Page<string>>;
  /**
   * Stores newly launched standalone tasks. With a token: the first request's tasks are kept and
   * a retry gets them back; a reuse with other parameters is a ConflictException. EC2 tasks placed
   * on `instances` (as loadForPlacement read them) are charged to them in the same write;
   * InstancesChanged when one changed since: read and place again.
   */
  createStandalone(tasks: TaskRecord[], idempotency?: IdempotentLaunch, instances?: readonly ContainerInstanceRecord[]): Promise<TaskRecord[]>;
  /** Writes the task if it is still at `task.version - 1`; ConflictException otherwise. */
  save(task: TaskRecord): Promise<void>;
  /**
   * Refuses (LimitExceededException) when these standalone tasks would pass the account's
   * running-tasks quota; tasks it counts already (a retried RunTask) take no more room.
   */
  requireRoom(clusterName: string, taskIds: string[]): Promise<void>;
}

/** A launch's placement was decided on instances that have changed since they were read: place again. */
export class InstancesChanged extends Error {
  constructor() {
    super('The container instances changed while the tasks were placed');
  }
}

export interface ContainerInstanceRepository {
  /**
   * Registers a new container instance and counts it on its cluster (ClusterNotFoundException when
   * the cluster is not ACTIVE). An EC2 instance already registered in the cluster gets its existing
   * container instance back, as ECS answers an agent that registers again.
   */
  register(record: ContainerInstanceRecord): Promise<ContainerInstanceRecord>;
  /** Any status, INACTIVE ones until their retention ends. */
  get(clusterName: string, id: string): Promise<ContainerInstanceRecord | undefined>;
  getMany(clusterName: string, ids: string[]): Promise<Array<ContainerInstanceRecord | undefined>>;
  /** Every ACTIVE and DRAINING instance of the cluster, with what is left on each. */
  listLive(clusterName: string): Promise<ContainerInstanceRecord[]>;
  /**
   * What placement chooses from: the live instances with what is left on each (derived from the
   * live tasks placed there) and those tasks' groups. Charge a launch against the versions read.
   */
  loadForPlacement(clusterName: string): Promise<ClusterInstances>;
  /** A page of the live instances `matches` accepts; `query` binds the page token to the filter. */
  list(
    clusterName: string,
    query: Record<string, unknown>,
    matches: (record: ContainerInstanceRecord) => boolean,
    page: PageRequest,
  ): Promise<Page<ContainerInstanceRecord>>;
  /** A page of the live instances' attributes `matches` accepts, by instance then attribute name. */
  listAttributes(
    clusterName: string,
    query: Record<string, unknown>,
    matches: (attribute: Attribute) => boolean,
    page: PageRequest,
  ): Promise<Page<{ record: ContainerInstanceRecord; attribute: Attribute }>>;
  /** Writes the record if it is still at `record.version - 1`; ConflictException otherwise. */
  save(record: ContainerInstanceRecord): Promise<void>;
  /** As save, making it INACTIVE, and uncounts it from its cluster. */
  deregister(record: ContainerInstanceRecord): Promise<void>;
}

/** A cluster's new providers and default strategy, and the provider records that change with them. */
export interface ClusterCapacityProviders {
  clusterName: string;
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  /** Auto Scaling group providers attached (clusterName set) or detached (unset), at their next version. */
  changedProviders: CapacityProviderRecord[];
}

/** An account's Auto Scaling group capacity providers, each with its simulated group. */
export interface CapacityProviderRepository {
  get(name: string): Promise<CapacityProviderRecord | undefined>;
  list(): Promise<CapacityProviderRecord[]>;
  /** Stores a new provider; ClientException (ECS's "already exists") when the name is taken. */
  create(record: CapacityProviderRecord): Promise<void>;
  /** Writes the record if it is still at `record.version - 1`; ConflictException otherwise. */
  save(record: CapacityProviderRecord): Promise<void>;
  /** Removes the provider if it is still at its version and attached to no cluster; ConflictException otherwise. */
  delete(record: CapacityProviderRecord): Promise<void>;
  /** The cluster's live tasks (what the capacity controller counts). */
  liveTasks(clusterName: string): Promise<TaskRecord[]>;
  /** PutClusterCapacityProviders' write: the cluster and the providers it gains or loses, atomically. */
  putClusterProviders(change: ClusterCapacityProviders): Promise<void>;
}

/** A lease on one reconcile shard. The token fences out a holder whose lease has expired. */
export interface Lease {
  shard: number;
  holder: string;
  token: number;
  expiresAt: EpochMs;
}

/** One service's slice of a shard: its record and its live tasks. */
export interface ServiceSlice {
  service: ServiceState;
  tasks: TaskRecord[];
}

/**
 * One page of a shard's reconcile index. A service's slice is whole: it is held back until its last
 * task has been read, so a pass handles it in one piece, and memory stays within a page (and one
 * service's tasks) however large the fleet.
 */
export interface ShardPage {
  services: ServiceSlice[];
  /** Live tasks that no service owns (RunTask), grouped by cluster. */
  standalone: TaskRecord[];
  /** The stored due time of each item of the page that has one, by service ARN or task id. */
  dues: ReadonlyMap<string, EpochMs>;
  /** DynamoDB read capacity the page consumed. */
  readUnits: number;
}

/** An item whose due time alone is set (or cleared), at the version it was read. */
export type DueTarget = { service: ServiceState } | { task: TaskRecord };

/** A service by name, in its account and cluster. */
export interface ServiceName {
  accountId: string;
  clusterName: string;
  serviceName: string;
}

export interface ServiceCommit {
  service: ServiceState;
  /** When the service must next be looked at (the "next due" index); undefined when it is steady. */
  dueAt?: EpochMs;
  /** Written atomically with the service: new task records, decisions about tasks, removals. */
  newTasks: TaskRecord[];
  changedTasks: TaskRecord[];
  /** Records of launches the backend refused (no task exists), removed at their version. */
  removedTasks?: TaskRecord[];
  /**
   * Observations only (nothing the service's commit depends on): when everything does not fit in
   * one transaction, these go first, in transactions of their own.
   */
  observedTasks?: TaskRecord[];  /**
   * EC2: tasks of this commit placed on container instances (new, or placed after waiting for
   * capacity), charged to `instances` in the same transaction, at the versions given there.
   */
  instanceCharges?: { instances: readonly ContainerInstanceRecord[]; tasks: TaskRecord[] };
}

export interface ReconcileStore {
  /** The shard's live services with their live tasks, and its standalone tasks, a page at a time. */
  shardPages(shard: number): AsyncIterable<ShardPage>;
  /**
   * Only what is due by `now` in the shard (the "next due" index), a page of due entries at a time,
   * each entry's whole service slice (or its cluster's standalone tasks) read from the reconcile index.
   */
  duePages(shard: number, now: EpochMs): AsyncIterable<ShardPage>;
  /** The earliest due time in the shard, passed or not; undefined when nothing is due. */
  nextDueAt(shard: number): Promise<EpochMs | undefined>;
  /** The shards with anything due by `now`: one read of the due index per shard. */
  dueShards(now: EpochMs): Promise<number[]>;
  /**
   * Sets an item's due time alone (undefined: clears it), if the item is still at the version read;
   * false if it moved on (whoever moved it set its own due time).
   */
  setDue(target: DueTarget, dueAt: EpochMs | undefined): Promise<boolean>;
  /**
   * Makes a live service due at `dueAt` under the lease (checked against `now`), whatever its version:
   * a task event it must act on. False if the lease was lost or the service is gone.
   */
  setServiceDue(lease: Lease, service: ServiceName, dueAt: EpochMs, now: EpochMs): Promise<boolean>;
  /** Takes the shard's lease with a new fencing token; undefined while someone else holds it. */
  acquireLease(shard: number, holder: string, now: EpochMs, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease still held (same holder and token, not expired at `now`); undefined if it was lost. */
  renewLease(lease: Lease, now: EpochMs, ttlMs: number): Promise<Lease | undefined>;
  releaseLease(lease: Lease): Promise<void>;
  /**
   * Commits one service's changes under the lease, checked against `now` (the time of the commit);
   * false if the lease or a version moved on. The service, its events, new, changed and removed
   * tasks are one transaction; observations that do not fit with them are committed first.
   */
  commitService(lease: Lease, commit: ServiceCommit, now: EpochMs): Promise<boolean>;
  /**
   * Commits several services' changes as commitService does each, sharing transactions (one lease
   * check per transaction); whether each committed. A service whose version moved on loses alone.
   */
  commitServices(lease: Lease, commits: ServiceCommit[], now: EpochMs): Promise<boolean[]>;
  /**
   * Commits task changes under the lease, in as many transactions as DynamoDB's limits need; false on
   * a conflict. `dues` gives standalone tasks their next due time, by task id.
   */
  commitTasks(lease: Lease, tasks: TaskRecord[], now: EpochMs, dues?: ReadonlyMap<string, EpochMs>): Promise<boolean>;
  /**
   * Commits standalone tasks that waited for capacity, now placed and launched (or stopped), with
   * their charges on `instances` at the versions read (launchChargeItems), in one transaction under
   * the lease: false when the lease, a task or an instance moved on (the next pass places again).
   * At most 30 tasks.
   */
  commitPlacedTasks(
    lease: Lease,
    tasks: TaskRecord[],
    instances: readonly ContainerInstanceRecord[],
    now: EpochMs,
    dues?: ReadonlyMap<string, EpochMs>,
  ): Promise<boolean>;
  /** Every live task's id in every shard, read after the caller listed what the backend runs. */
  liveTaskIds(): Promise<ReadonlySet<string>>;
  /** One task record (strongly consistent), by account, cluster and task id. */
  task(accountId: string, clusterName: string, taskId: string): Promise<TaskRecord | undefined>;
  /** A cluster's fleet setting, by ARN, in whichever account it belongs to. */
  clusterFleet(clusterArn: string): Promise<ClusterFleet | undefined>;
  /** A task definition by ARN, in whichever account it belongs to. */
  taskDefinition(arn: string): Promise<TaskDefinition | undefined>;
  /** A cluster's live container instances with what is left on each, and their tasks' groups, by ARN. */
  clusterInstances(clusterArn: string, now: EpochMs): Promise<ClusterInstances>;
  /** Capacity consumed so far (for the benchmark). */
  writeUnits(): number;
  readUnits(): number;
}

/** Asks for a reconcile pass soon (after a desired-state change). */
export interface ReconcileTrigger {
  /**
   * Wakes the reconciler for one shard (the changed service's), or for every shard when none is
   * named; `resync` asks for a full level-triggered pass instead of what is due.
   */
  wake(shard?: number, options?: { resync?: boolean }): Promise<void>;
}

/** One account's request-side usage of one day (UTC), as the cost meter counts it. */
export interface DailyUsage {
  date: string;
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** Handler time, and handler time times the function's memory (what Lambda bills). */
  lambdaMs: number;
  lambdaMbMs: number;
}

/** What some requests (one, or a container's batch of them) add to their account's day. */
export type RequestUsage = Omit<DailyUsage, 'date'>;

/** Stopped tasks' would-be Fargate usage of one day, by cluster, service (absent: standalone) and architecture. */
export interface FargateUsageEntry {
  clusterName: string;
  serviceName?: string;
  architecture: 'X86_64' | 'ARM64';
  vcpuSeconds: number;
  gbSeconds: number;
  tasks: number;
}

export interface FargateDay {
  date: string;
  entries: FargateUsageEntry[];
  /** The ids of the tasks counted in the day already (a task is counted once). */
  counted: ReadonlySet<string>;
}

/** The cost meter's store (lib/adapters/dynamodb/usage-store.ts). */
export interface UsageStore {
  /**
   * Takes one request from the account's token bucket (sustained `perSecond`, at most `burst` at
   * once); false when the bucket is empty.
   */
  admitRequest(accountId: string, rate: { perSecond: number; burst: number }, now: EpochMs): Promise<boolean>;
  /** Adds requests' usage to the account's day (one write, whatever the number of requests). */
  recordRequests(accountId: string, date: string, usage: RequestUsage, now: EpochMs): Promise<void>;
  dailyUsage(accountId: string, dates: string[]): Promise<DailyUsage[]>;
  fargateDays(accountId: string, dates: string[]): Promise<FargateDay[]>;
  /** Adds a stopped task to its day's aggregate, once: again for a task counted already does nothing. */
  countStoppedTask(accountId: string, date: string, taskId: string, entry: FargateUsageEntry, now: EpochMs): Promise<void>;
  /** The account's tasks still kept (live, and stopped within the retention), of every cluster it had. */
  keptTasks(accountId: string, now: EpochMs): Promise<TaskRecord[]>;
  /** The CPU architecture of each task definition revision (by ARN) that still exists. */
  architectures(accountId: string, taskDefinitionArns: string[]): Promise<Map<string, 'X86_64' | 'ARM64'>>;
}

/** One service's scaling activities, newest first (at most MAX_SCALING_ACTIVITIES). */
export interface ServiceActivities {
  clusterName: string;
  serviceName: string;
  activities: ScalingActivity[];
}

/** Application Auto Scaling's records of one account: scalable targets (with their policies and scheduled actions) and activities. */
export interface ScalingRepository {
  get(clusterName: string, serviceName: string): Promise<ScalableTarget | undefined>;
  /** Every scalable target of the account. */
  list(): Promise<ScalableTarget[]>;
  /** Writes the target if it is still at `target.version - 1` (a new one at version 1); ConflictException otherwise. */
  save(target: ScalableTarget): Promise<void>;
  /** Removes the target (with its policies and scheduled actions) if it is still at its version. */
  delete(target: ScalableTarget): Promise<void>;
  /** One service's activities, or every service's of the account. */
  activities(service?: { clusterName: string; serviceName: string }): Promise<ServiceActivities[]>;
  /** Rewrites one service's activities from the current ones (a compare-and-swap, retried on a race). */
  updateActivities(clusterName: string, serviceName: string, change: (current: ScalingActivity[]) => ScalingActivity[]): Promise<void>;
}

/** Loads, alarms and custom metrics; ECS's own metrics are computed from the task items and the loads. */
export interface MetricsRepository {
  /** When each of the cluster's service tasks was RUNNING, stopped ones included until they expire. */
  taskIntervals(clusterName: string, now: EpochMs): Promise<TaskInterval[]>;
  /** Each service's loads in the cluster, newest first. */
  loads(clusterName: string): Promise<Map<string, ServiceLoad[]>>;
  /** Adds a load to the service's history; the history after it, newest first. */
  setLoad(clusterName: string, serviceName: string, load: ServiceLoad): Promise<ServiceLoad[]>;
  putDatapoints(metric: MetricIdentity, points: CustomDatapoint[]): Promise<void>;
  customDatapoints(metric: MetricIdentity, start: EpochMs, end: EpochMs, now: EpochMs): Promise<CustomDatapoint[]>;
  customMetrics(): Promise<MetricIdentity[]>;
  alarms(): Promise<Alarm[]>;
  putAlarm(alarm: Alarm): Promise<void>;
  /** Stores an alarm's new state, unless its definition changed since it was read. */
  updateAlarmState(alarm: Alarm): Promise<void>;
  deleteAlarm(name: string): Promise<void>;
}
