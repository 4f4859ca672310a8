/**
 * The domain's records, shaped like ECS's API objects (field names as in the ECS API Reference).
 * Timestamps are epoch milliseconds everywhere inside ecsbox; each API face renders them
 * (ISO 8601 on REST, epoch seconds on the ECS wire protocol).
 */

export type EpochMs = number;

export interface KeyValuePair {
  name: string;
  value: string;
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  protocol?: 'tcp' | 'udp';
  name?: string;
  appProtocol?: 'http' | 'http2' | 'grpc';
}

export interface HealthCheck {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod?: number;
}

export interface ContainerDependency {
  containerName: string;
  condition: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';
}

/** A user's map: prototype-free, holding exactly the keys given ("__proto__" included). */
export type StringMap = Record<string, string>;

export interface Secret {
  name: string;
  valueFrom: string;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  /** Validation fills ECS's echoed defaults (cpu 0, portMappings [], environment []...). */
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  essential: boolean;
  portMappings?: PortMapping[];
  environment?: KeyValuePair[];
  secrets?: Secret[];
  mountPoints?: Array<{ sourceVolume: string; containerPath: string; readOnly?: boolean }>;
  volumesFrom?: Array<{ sourceContainer: string; readOnly?: boolean }>;
  systemControls?: Array<{ namespace: string; value: string }>;
  dockerLabels?: StringMap;
  command?: string[];
  entryPoint?: string[];
  workingDirectory?: string;
  healthCheck?: HealthCheck;
  dependsOn?: ContainerDependency[];
  stopTimeout?: number;
  startTimeout?: number;
  logConfiguration?: { logDriver: string; options?: StringMap; secretOptions?: Secret[] };
  firelensConfiguration?: { type: 'fluentd' | 'fluentbit'; options?: StringMap };
}

/** ECS's Volume: a name and at most one kind of configuration. */
export interface Volume {
  name: string;
  host?: { sourcePath?: string };
  configuredAtLaunch?: boolean;
  dockerVolumeConfiguration?: {
    scope?: 'task' | 'shared';
    autoprovision?: boolean;
    driver?: string;
    driverOpts?: StringMap;
    labels?: StringMap;
  };
  efsVolumeConfiguration?: {
    fileSystemId: string;
    rootDirectory?: string;
    transitEncryption?: 'ENABLED' | 'DISABLED';
    transitEncryptionPort?: number;
    authorizationConfig?: { accessPointId?: string; iam?: 'ENABLED' | 'DISABLED' };
  };
  fsxWindowsFileServerVolumeConfiguration?: {
    fileSystemId: string;
    rootDirectory: string;
    authorizationConfig: { credentialsParameter: string; domain: string };
  };
}

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

export interface Tag {
  key: string;
  value: string;
}

export interface TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: TaskDefinitionStatus;
  containerDefinitions: ContainerDefinition[];
  /** Normalised to CPU units, as a string like ECS returns it ("256"). */
  cpu?: string;
  /** Normalised to MiB, as a string ("512"). */
  memory?: string;
  networkMode: 'awsvpc' | 'bridge' | 'host' | 'none';
  /** Absent when the request had none, as in ECS's answer. */
  requiresCompatibilities?: Array<'FARGATE' | 'EC2' | 'EXTERNAL'>;
  compatibilities: Array<'FARGATE' | 'EC2' | 'EXTERNAL'>;
  taskRoleArn?: string;
  executionRoleArn?: string;
  runtimePlatform?: { cpuArchitecture?: 'X86_64' | 'ARM64'; operatingSystemFamily?: string };
  /** Fargate's ephemeral storage, 21–200 GiB; 20 GiB when absent. */
  ephemeralStorage?: { sizeInGiB: number };
  proxyConfiguration?: { type: 'APPMESH'; containerName: string; properties: KeyValuePair[] };
  pidMode?: 'host' | 'task';
  ipcMode?: 'host' | 'task' | 'none';
  volumes: Volume[];
  placementConstraints: unknown[];
  registeredAt: EpochMs;
  deregisteredAt?: EpochMs;
  registeredBy?: string;
}

export type ClusterStatus = 'ACTIVE' | 'INACTIVE';

/**
 * Where a cluster's tasks run (an ecsbox setting, not an ECS field): the simulated fleet, or real
 * Fargate tasks in an ECS cluster of the operator's account. Unset fields take the stage's defaults.
 */
export interface FargateSettings {
  /** The real ECS cluster (name or ARN) that runs the tasks. */
  cluster?: string;
  subnets?: string[];
  securityGroups?: string[];
  assignPublicIp?: 'ENABLED' | 'DISABLED';
  executionRoleArn?: string;
  taskRoleArn?: string;
  /** The AWS SDK's `endpoint` option: an ECS emulator, or ecsbox itself in the tests. */
  endpoint?: string;
  region?: string;
}

export interface ClusterFleet {
  backend: 'simulated' | 'fargate';
  fargate?: FargateSettings;
}

/** ECS's cluster settings: only containerInsights exists. */
export interface ClusterSetting {
  name: 'containerInsights';
  value: 'enabled' | 'disabled' | 'enhanced';
}

export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** What CreateCluster accepts besides name and tags, stored and echoed as ECS echoes it. */
export interface ClusterConfiguration {
  settings: ClusterSetting[];
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
}

export interface Cluster extends ClusterConfiguration {
  clusterArn: string;
  clusterName: string;
  status: ClusterStatus;
  activeServicesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  registeredContainerInstancesCount: number;
  /** DescribeClusters' include STATISTICS: counts by launch type, as name/value strings. */
  statistics: KeyValuePair[];
  tags?: Tag[];
  createdAt: EpochMs;
  /** Absent: the stage's default backend. */
  fleet?: ClusterFleet;
}

export interface NetworkConfiguration {
  awsvpcConfiguration?: {
    subnets: string[];
    securityGroups?: string[];
    assignPublicIp?: 'ENABLED' | 'DISABLED';
  };
}

export interface DeploymentConfiguration {
  minimumHealthyPercent: number;
  maximumPercent: number;
  deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Deployment {
  /** "ecs-svc/<19 digits>", as ECS names deployments. */
  id: string;
  status: DeploymentStatus;
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  launchType: 'FARGATE' | 'EC2';
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface ServiceEvent {
  id: string;
  createdAt: EpochMs;
  message: string;
}

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';

/** ECS's LaunchType enum: every value is a valid list filter, though ecsbox runs tasks on Fargate only. */
export const LAUNCH_TYPES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'] as const;

/** A task's lastStatus values, in the order a task walks through them. */
export const LIFECYCLE = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;

export type LifecycleStatus = (typeof LIFECYCLE)[number];

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

export interface Container {
  containerArn: string;
  name: string;
  image: string;
  /** "sha256:…", once the image is pulled. */
  imageDigest?: string;
  /** The container runtime's id, once the container is created. */
  runtimeId?: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
  healthStatus: HealthStatus;
  essential: boolean;
  cpu?: string;
  memory?: string;
  /** The task's ENI as the container sees it (awsvpc), once it is attached. */
  networkInterfaces?: Array<{ attachmentId: string; privateIpv4Address?: string; ipv6Address?: string }>;
}

/**
 * A task's attachment as ECS shows it; a Fargate task in awsvpc mode has one ElasticNetworkInterface
 * whose details are subnetId, networkInterfaceId, macAddress, privateDnsName and privateIPv4Address,
 * and whose status follows the task: PRECREATED, ATTACHED, DETACHING, DELETED.
 */
export interface Attachment {
  id: string;
  type: string;
  status: string;
  details: KeyValuePair[];
}

/** Where a task's network stands, as a backend observes it. */
export interface TaskNetwork {
  attachments: Attachment[];
  availabilityZone?: string;
  connectivity?: 'CONNECTED' | 'DISCONNECTED';
  connectivityAt?: EpochMs;
}
