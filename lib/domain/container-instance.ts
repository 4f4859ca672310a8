import { arns, type ArnScope } from './arn';
import {
  awsvpcTaskLimit,
  CPU_UNITS_PER_VCPU,
  RESERVED_TCP_PORTS,
  instanceTypeNamed,
} from './instance-types';
import type { QueryTarget } from './cluster-query';
import type { EpochMs, Tag } from './model';

/**
 * A container instance: an EC2 instance whose ECS agent registered it with a cluster. ecsbox keeps
 * its resources in a compact form (numbers and port lists) and renders them as ECS's Resource
 * structures on the way out (`presentContainerInstance`).
 */
export type ContainerInstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';

/**
 * Resources of an instance. In `remaining`, `ports` and `portsUdp` are the ports in use (the
 * reserved ones and those tasks hold), as ECS's remainingResources PORTS lists them.
 */
export interface InstanceResources {
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
}

export interface Attribute {
  name: string;
  value?: string;
}

export interface ContainerInstanceRecord {
  /** 32 hex digits, the last part of the ARN. */
  id: string;
  clusterName: string;
  ec2InstanceId: string;
  /** Absent when the instance registered resources of a type ecsbox does not know. */
  instanceType?: string;
  availabilityZone: string;
  status: ContainerInstanceStatus;
  agentVersion: string;
  agentHash: string;
  dockerVersion: string;
  registered: InstanceResources;
  remaining: InstanceResources;
  /** awsvpc tasks the instance can still take (its ENIs, the primary one kept). */
  remainingEnis: number;
  registeredEnis: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  /** Every attribute: those the agent reports (ecs.*) and custom ones (PutAttributes). */
  attributes: Attribute[];
  tags?: Tag[];
  /** The Auto Scaling group provider whose group launched the instance: its tasks are placed only there. */
  capacityProviderName?: string;
  registeredAt: EpochMs;
  /** Incremented by every write: saves are conditional on the previous version. */
  version: number;
}

/** The agent ecsbox's simulated instances report, as a current ECS-optimized AMI ships it. */
export interface AgentVersion {
  agentVersion: string;
  agentHash: string;
  dockerVersion: string;
}

export const SIMULATED_AGENT: AgentVersion = { agentVersion: '1.89.2', agentHash: 'e2cb3c2b', dockerVersion: 'DockerVersion: 25.0.8' };

/** ECS's limit on custom attributes per resource (the agent's own ecs.* attributes do not count). */
export const MAX_CUSTOM_ATTRIBUTES = 10;

/** Attributes the agent reports itself; PutAttributes may still change them, as on ECS. */
export const isAgentAttribute = (name: string) => name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');

/** The capabilities a current Linux agent reports, as attributes without a value. */
const CAPABILITIES = [
  'com.amazonaws.ecs.capability.docker-remote-api.1.17',
  'com.amazonaws.ecs.capability.docker-remote-api.1.44',
  'com.amazonaws.ecs.capability.ecr-auth',
  'com.amazonaws.ecs.capability.logging-driver.awslogs',
  'com.amazonaws.ecs.capability.logging-driver.json-file',
  'com.amazonaws.ecs.capability.privileged-container',
  'com.amazonaws.ecs.capability.task-iam-role',
  'com.amazonaws.ecs.capability.task-iam-role-network-host',
  'ecs.capability.container-health-check',
  'ecs.capability.execution-role-awslogs',
  'ecs.capability.execution-role-ecr-pull',
  'ecs.capability.secrets.ssm.environment-variables',
  'ecs.capability.task-cpu-mem-limit',
  'ecs.capability.task-eni',
];

/** What registration knows about the EC2 instance: its identity document's facts. */
export interface InstanceIdentity {
  ec2InstanceId: string;
  instanceType?: string;
  availabilityZone: string;
  amiId: string;
}

/** The attributes the agent registers an instance with, before any the request adds. */
export const agentAttributes = (identity: InstanceIdentity): Attribute[] => [
  ...CAPABILITIES.map((name) => ({ name })),
  { name: 'ecs.os-type', value: 'linux' },
  { name: 'ecs.os-family', value: 'LINUX' },
  { name: 'ecs.cpu-architecture', value: 'x86_64' },
  { name: 'ecs.ami-id', value: identity.amiId },
  { name: 'ecs.availability-zone', value: identity.availabilityZone },
  ...(identity.instanceType ? [{ name: 'ecs.instance-type', value: identity.instanceType }] : []),
];

/** Adds or replaces attributes by name, keeping the others in their order. */
export const withAttributes = (attributes: Attribute[], changes: Attribute[]): Attribute[] => {
  const byName = new Map(attributes.map((attribute) => [attribute.name, attribute]));
  for (const change of changes) byName.set(change.name, change.value === undefined ? { name: change.name } : change);
  return [...byName.values()];
};

/** The resources an instance of a known type registers; undefined for a type ecsbox does not know. */
export const resourcesOfType = (instanceTypeName: string): { resources: InstanceResources; enis: number } | undefined => {
  const instanceType = instanceTypeNamed(instanceTypeName);
  if (!instanceType) return undefined;
  return {
    resources: {
      cpu: instanceType.vcpus * CPU_UNITS_PER_VCPU,
      memory: instanceType.registeredMemory,
      ports: [...RESERVED_TCP_PORTS],
      portsUdp: [],
    },
    enis: awsvpcTaskLimit(instanceType),
  };
};

/** ENIs for awsvpc tasks when the instance's type is unknown: the smallest common types' two. */
export const DEFAULT_AWSVPC_TASK_LIMIT = 2;

export const newContainerInstance = (input: {
  id: string;
  clusterName: string;
  identity: InstanceIdentity;
  resources: InstanceResources;
  enis: number;
  agent: AgentVersion;
  attributes: Attribute[];
  tags?: Tag[];
  capacityProviderName?: string;
  now: EpochMs;
}): ContainerInstanceRecord => ({
  id: input.id,
  clusterName: input.clusterName,
  ec2InstanceId: input.identity.ec2InstanceId,
  ...(input.identity.instanceType ? { instanceType: input.identity.instanceType } : {}),
  availabilityZone: input.identity.availabilityZone,
  status: 'ACTIVE',
  ...input.agent,
  registered: input.resources,
  remaining: { ...input.resources, ports: [...input.resources.ports], portsUdp: [...input.resources.portsUdp] },
  registeredEnis: input.enis,
  remainingEnis: input.enis,
  runningTasksCount: 0,
  pendingTasksCount: 0,
  attributes: withAttributes(agentAttributes(input.identity), input.attributes),
  ...(input.tags?.length ? { tags: input.tags } : {}),
  ...(input.capacityProviderName ? { capacityProviderName: input.capacityProviderName } : {}),
  registeredAt: input.now,
  version: 1,
});

/** ECS's Resource structures: INTEGER for CPU and MEMORY, STRINGSET for the port lists. */
const renderResources = (resources: InstanceResources) => [
  { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: resources.cpu },
  { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: resources.memory },
  { name: 'PORTS', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: resources.ports.map(String) },
  { name: 'PORTS_UDP', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: resources.portsUdp.map(String) },
];

/**
 * The record as ECS's ContainerInstance structure. The health report (include
 * CONTAINER_INSTANCE_HEALTH) says what a simulated instance's runtime always is: OK since it registered.
 */
export const presentContainerInstance = (scope: ArnScope, record: ContainerInstanceRecord, include: { tags: boolean; health: boolean }) => ({
  containerInstanceArn: arns.containerInstance(scope, record.clusterName, record.id),
  ec2InstanceId: record.ec2InstanceId,
  version: record.version,
  versionInfo: { agentVersion: record.agentVersion, agentHash: record.agentHash, dockerVersion: record.dockerVersion },
  remainingResources: renderResources(record.remaining),
  registeredResources: renderResources(record.registered),
  status: record.status,
  agentConnected: record.status !== 'INACTIVE',
  runningTasksCount: record.runningTasksCount,
  pendingTasksCount: record.pendingTasksCount,
  attributes: record.attributes,
  registeredAt: record.registeredAt,
  ...(record.capacityProviderName ? { capacityProviderName: record.capacityProviderName } : {}),
  attachments: [],
  ...(include.tags ? { tags: record.tags ?? [] } : {}),
  ...(include.health
    ? {
        healthStatus: {
          overallStatus: 'OK',
          details: [{ type: 'CONTAINER_RUNTIME', status: 'OK', lastUpdated: record.registeredAt, lastStatusChange: record.registeredAt }],
        },
      }
    : {}),
});

/** The instance as the cluster query language sees it; `taskGroups` are the groups of its tasks. */
export const queryTargetOf = (record: ContainerInstanceRecord, taskGroups: readonly string[] = []): QueryTarget => ({
  attributes: new Map(record.attributes.map((attribute) => [attribute.name, attribute.value])),
  ec2InstanceId: record.ec2InstanceId,
  agentConnected: record.status !== 'INACTIVE',
  agentVersion: record.agentVersion,
  registeredAt: record.registeredAt,
  runningTasksCount: record.runningTasksCount,
  taskGroups,
});
