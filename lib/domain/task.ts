import { sameData } from './equality';
import type { BackendRef, ObservedTask, TaskOverrides } from '../fleet/backend';
import type {
  Container,
  EpochMs,
  HealthStatus,
  LifecycleStatus,
  NetworkConfiguration,
  StopCode,
  Tag,
  TaskDefinition,
  TaskNetwork,
} from './model';

export type TaskLaunchType = 'FARGATE' | 'EC2';

/** What an EC2 task holds of its container instance while it is live. */
export interface TaskCharge {
  cpu: number;
  memory: number;
  /** Host ports, static and dynamic. */
  tcpPorts: number[];
  udpPorts: number[];
  /** awsvpc: one of the instance's ENIs. */
  eni: boolean;
}

/** ECS's NetworkBinding, with the container it belongs to. */
export interface NetworkBinding {
  containerName: string;
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

/** Where placement put an EC2 task: recorded with the task, and charged to the instance in the same write. */
export interface InstancePlacement {
  containerInstanceArn: string;
  charged: TaskCharge;
  networkBindings?: NetworkBinding[];
}

/**
 * A task as ecsbox records it: ECS's Task fields, the backend's ref, and the version used for
 * conditional writes. The reconciler keeps it in step with what the backend observes.
 */
export interface TaskRecord {
  taskId: string;
  taskArn: string;
  clusterName: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** Set for tasks a service launched. */
  serviceName?: string;
  deploymentId?: string;
  startedBy?: string;
  group: string;
  launchType: TaskLaunchType;
  /**
   * FARGATE or FARGATE_SPOT when the task was placed by a capacity provider strategy. An EC2 task
   * with a capacity provider but no containerInstanceArn waits in PROVISIONING for capacity.
   */
  capacityProviderName?: string;
  /** The instance an EC2 task runs on (absent while it waits for capacity). */
  containerInstanceArn?: string;
  /** What placement charged that instance; released (no longer counted) once the task is STOPPED. */
  charged?: TaskCharge;
  /** The host ports the task's containers were given (bridge and host network modes). */
  networkBindings?: NetworkBinding[];
  /** Fargate's platform; EC2 tasks have none. */
  platformVersion?: string;
  cpu?: string;
  memory?: string;
  overrides?: TaskOverrides;
  networkConfiguration?: NetworkConfiguration;
  lastStatus: LifecycleStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  containers: Container[];
  /** The task definition's, else Fargate's 20 GiB. */
  ephemeralStorageGiB?: number;
  /** The ENI, zone and connectivity the backend last reported. */
  network?: TaskNetwork;
  createdAt: EpochMs;
  pullStartedAt?: EpochMs;
  pullStoppedAt?: EpochMs;
  startedAt?: EpochMs;
  stoppingAt?: EpochMs;
  stoppedAt?: EpochMs;
  stopCode?: StopCode;
  stoppedReason?: string;
  tags?: Tag[];
  /** Whether an essential container has a health check (then health decides "healthy"). */
  healthChecked: boolean;
  /**
   * The backend's handle, once it accepted the launch. A service's launch is recorded before it is
   * made (so no task can run unrecorded): until then the record has no ref.
   */
  ref?: BackendRef;
  version: number;
}

const OBSERVED_FIELDS = [
  'lastStatus',
  'desiredStatus',
  'healthStatus',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'stoppingAt',
  'stoppedAt',
  'stopCode',
  'stoppedReason',
] as const;

/**
 * The record with a fresh observation applied; the same object when nothing changed. A decision to
 * stop is sticky: once the record says STOPPED, an observation that still says RUNNING (the
 * backend has not been told yet) does not undo it, nor erase why it was stopped.
 */
export const applyObservation = (record: TaskRecord, observed: ObservedTask): TaskRecord => {
  const merged: ObservedTask =
    record.desiredStatus === 'STOPPED'
      ? {
          ...observed,
          desiredStatus: 'STOPPED',
          // What ecsbox decided wins: ECS reports every StopTask as UserInitiated.
          stopCode: record.stopCode ?? observed.stopCode,
          stoppedReason: record.stoppedReason ?? observed.stoppedReason,
        }
      : observed;
  // A backend that can no longer say (ECS forgot the task) leaves the last known network in place.
  const network = merged.network ?? record.network;
  const changed =
    OBSERVED_FIELDS.some((field) => record[field] !== merged[field]) ||
    merged.containers.length !== record.containers.length ||
    !merged.containers.every((container, index) => sameObservedContainer(record.containers[index], container)) ||
    !sameData(record.network, network) ||
    !sameData(record.ref, merged.ref);
  if (!changed) return record;
  const containers = merged.containers.map((container, index) => ({
    ...container,
    containerArn: record.containers[index]?.containerArn ?? containerArnFor(record.taskArn, container.name),
  }));
  const next: TaskRecord = { ...record, containers, ...(network ? { network } : {}), ref: merged.ref };
  for (const field of OBSERVED_FIELDS) {
    if (merged[field] === undefined) delete next[field];
    else (next as unknown as Record<string, unknown>)[field] = merged[field];
  }
  return next;
};

/**
 * Whether a stored container is what the backend observes, its ARN aside (ecsbox's, kept from the
 * record; a stored container without one takes it, which is a change). Compared in place: every
 * pass compares every task's containers, and most are unchanged.
 */
const sameObservedContainer = (stored: Container, observed: ObservedTask['containers'][number]): boolean => {
  if (stored.containerArn === undefined) return false;
  const storedFields = stored as unknown as Record<string, unknown>;
  const observedFields = observed as Record<string, unknown>;
  let defined = 0;
  for (const key in observedFields) {
    if (key === 'containerArn' || observedFields[key] === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(storedFields, key) || !sameData(observedFields[key], storedFields[key])) return false;
  }
  for (const key in storedFields) if (key !== 'containerArn' && storedFields[key] !== undefined) defined--;
  return defined === 0;
};

/** Whether the backend still has to be told about a stop the record already decided. */
export const stopNotDelivered = (record: TaskRecord, observed: ObservedTask) =>
  record.desiredStatus === 'STOPPED' && observed.desiredStatus === 'RUNNING';

export const containerArnFor = (taskArn: string, containerName: string) =>
  `${taskArn.replace(':task/', ':container/')}/${containerName}`;

const IN_FLIGHT: ReadonlySet<LifecycleStatus> = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
export const isPendingStatus = (status: LifecycleStatus) => IN_FLIGHT.has(status);

/** Fargate's ephemeral storage when the task definition asks for no more (platform 1.4.0). */
const DEFAULT_EPHEMERAL_STORAGE_GIB = 20;

/** A container's bindings as ECS shows them (once the container started). */
const bindingsOf = (bindings: NetworkBinding[], containerName: string) =>
  bindings
    .filter((binding) => binding.containerName === containerName)
    .map(({ containerName: _name, ...binding }) => binding);

/** The task as ECS's DescribeTasks shows it. */
export const presentTask = (task: TaskRecord) => ({
  taskArn: task.taskArn,
  clusterArn: task.clusterArn,
  taskDefinitionArn: task.taskDefinitionArn,
  attachments: task.network?.attachments ?? [],
  ...(task.network?.availabilityZone ? { availabilityZone: task.network.availabilityZone } : {}),
  ...(task.network?.connectivity ? { connectivity: task.network.connectivity } : {}),
  ...(task.network?.connectivityAt !== undefined ? { connectivityAt: task.network.connectivityAt } : {}),
  lastStatus: task.lastStatus,
  desiredStatus: task.desiredStatus,
  healthStatus: task.healthStatus,
  launchType: task.launchType,
  ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
  ...(task.containerInstanceArn ? { containerInstanceArn: task.containerInstanceArn } : {}),
  ...(task.platformVersion ? { platformVersion: task.platformVersion, platformFamily: 'Linux' } : {}),
  ...(task.cpu ? { cpu: task.cpu } : {}),
  ...(task.memory ? { memory: task.memory } : {}),
  group: task.group,
  ...(task.startedBy ? { startedBy: task.startedBy } : {}),
  // ECS's Container structure has no `essential`; the task definition says it.
  containers: task.containers.map(({ essential: _essential, ...container }) => ({
    ...container,
    taskArn: task.taskArn,
    ...(task.networkBindings?.length && container.lastStatus !== 'PENDING'
      ? { networkBindings: bindingsOf(task.networkBindings, container.name) }
      : {}),
  })),
  overrides: { containerOverrides: [], ...task.overrides },
  createdAt: task.createdAt,
  ...(task.pullStartedAt !== undefined ? { pullStartedAt: task.pullStartedAt } : {}),
  ...(task.pullStoppedAt !== undefined ? { pullStoppedAt: task.pullStoppedAt } : {}),
  ...(task.startedAt !== undefined ? { startedAt: task.startedAt } : {}),
  ...(task.stoppingAt !== undefined ? { stoppingAt: task.stoppingAt } : {}),
  ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt, executionStoppedAt: task.stoppedAt } : {}),
  ...(task.stopCode ? { stopCode: task.stopCode } : {}),
  ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
  ...(task.launchType === 'FARGATE' ? { ephemeralStorage: { sizeInGiB: task.ephemeralStorageGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB } } : {}),
  enableExecuteCommand: false,
  ...(task.tags?.length ? { tags: task.tags } : {}),
  version: task.version,
});

export interface NewTask {
  taskId: string;
  taskArn: string;
  clusterName: string;
  clusterArn: string;
  taskDefinition: TaskDefinition;
  serviceName?: string;
  deploymentId?: string;
  startedBy?: string;
  group: string;
  /** FARGATE unless given. */
  launchType?: TaskLaunchType;
  capacityProviderName?: string;
  /** Where an EC2 task was placed; absent for Fargate and for EC2 tasks waiting for capacity. */
  placement?: InstancePlacement;
  overrides?: TaskOverrides;
  networkConfiguration?: NetworkConfiguration;
  tags?: Tag[];
  createdAt: EpochMs;
}

/** The record of a task whose launch is decided but not made yet: PROVISIONING, without a ref. */
export const plannedTaskRecord = (task: NewTask): TaskRecord => {
  const { taskDefinition, launchType = 'FARGATE', placement, ...identity } = task;
  return {
    ...identity,
    taskDefinitionArn: taskDefinition.taskDefinitionArn,
    launchType,
    ...(launchType === 'FARGATE' ? { platformVersion: '1.4.0' } : {}),
    ...placement,
    ...(task.overrides?.cpu ?? taskDefinition.cpu ? { cpu: task.overrides?.cpu ?? taskDefinition.cpu } : {}),
    ...(task.overrides?.memory ?? taskDefinition.memory ? { memory: task.overrides?.memory ?? taskDefinition.memory } : {}),
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    containers: [],
    ...(taskDefinition.ephemeralStorage && launchType === 'FARGATE' ? { ephemeralStorageGiB: taskDefinition.ephemeralStorage.sizeInGiB } : {}),
    healthChecked: taskDefinition.containerDefinitions.some((container) => container.essential && container.healthCheck),
    version: 1,
  };
};

/** The first record of a task the backend accepted, from its first observation. */
export const newTaskRecord = (task: NewTask, observed: ObservedTask): TaskRecord =>
  applyObservation(plannedTaskRecord(task), observed);

/**
 * An EC2 task recorded before any instance could take it (its Auto Scaling group provider's
 * capacity): it waits in PROVISIONING with no instance, and is placed and launched once one can.
 */
export const isWaitingForCapacity = (task: TaskRecord) => task.launchType === 'EC2' && task.containerInstanceArn === undefined;

/** Whether the task's launch is recorded but not (known to be) made. */
export const isUnlaunched = (record: TaskRecord): boolean => record.ref === undefined && record.lastStatus !== 'STOPPED';

/**
 * A task stopped before it was launched: nothing runs, so it is STOPPED at once. Should a launch
 * have happened unrecorded after all, the garbage collector stops that task (no record owns it).
 */
export const stopUnlaunched = (record: TaskRecord, now: EpochMs): TaskRecord => ({
  ...record,
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stoppingAt: now,
  stoppedAt: now,
  stopCode: record.stopCode ?? 'ServiceSchedulerInitiated',
  stoppedReason: record.stoppedReason ?? 'Task stopped before it was launched',
});
