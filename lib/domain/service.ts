import { createHash } from 'node:crypto';
import * as z from 'zod';
import type {
  Deployment,
  DeploymentConfiguration,
  EpochMs,
  NetworkConfiguration,
  ServiceEvent,
  ServiceStatus,
  Tag,
} from './model';
import { references, scopeOf } from './arn';
import { capacityProviderStrategySchema, type CapacityProviderStrategyItem } from './capacity-provider';
import {
  placementConstraintsSchema,
  placementStrategiesSchema,
  type PlacementConstraintInput,
  type PlacementStrategy,
} from './placement';
import { lazySchema, resourceName, taggingMembers, type SchemaOutput } from './validation';

/** ECS's defaults for replica services. */
export const DEFAULT_DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  minimumHealthyPercent: 100,
  maximumPercent: 200,
  deploymentCircuitBreaker: { enable: false, rollback: false },
};

/** ECS's defaults for DAEMON services: the old task on an instance stops before its replacement starts. */
export const DAEMON_DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  ...DEFAULT_DEPLOYMENT_CONFIGURATION,
  minimumHealthyPercent: 0,
  maximumPercent: 100,
};

/** ECS keeps the last 100 service events. */
export const MAX_SERVICE_EVENTS = 100;
/** ECS's quota of tasks per service. */
export const MAX_DESIRED_COUNT = 5000;

export const networkConfigurationSchema = lazySchema(() =>
  z
    .object({
      awsvpcConfiguration: z
        .object({
          subnets: z.array(z.string().min(1).max(255)).min(1).max(16),
          securityGroups: z.array(z.string().min(1).max(255)).max(5).optional(),
          assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
        })
        .strict(),
    })
    .strict(),
);

const deploymentConfigurationSchema = lazySchema(() =>
  z
    .object({
      minimumHealthyPercent: z.number().int().min(0).max(100).optional(),
      maximumPercent: z.number().int().min(100).max(200).optional(),
      deploymentCircuitBreaker: z.object({ enable: z.boolean(), rollback: z.boolean() }).strict().optional(),
    })
    .strict(),
);

const desiredCountSchema = lazySchema(() => z.number().int().min(0).max(MAX_DESIRED_COUNT));

/**
 * Members ECS shows on every service that ecsbox has no use for: load balancers and Cloud Map
 * registries. Tools send them back as they read them (empty), so an empty list is taken; anything
 * in it is refused by the use case, by name, rather than ignored.
 */
const unsupportedList = lazySchema(() => z.array(z.record(z.string(), z.unknown())).max(10));
export const UNSUPPORTED_SERVICE_LISTS = ['loadBalancers', 'serviceRegistries'] as const;

export const createServiceInput = lazySchema(() =>
  z
    .object({
      cluster: references.cluster().optional(),
      serviceName: resourceName(),
      taskDefinition: references.taskDefinition(),
      desiredCount: desiredCountSchema().optional(),
      launchType: z.enum(['FARGATE', 'EC2']).optional(),
      capacityProviderStrategy: capacityProviderStrategySchema().optional(),
      platformVersion: z.string().min(1).max(32).optional(),
      schedulingStrategy: z.enum(['REPLICA', 'DAEMON']).optional(),
      loadBalancers: unsupportedList().optional(),
      serviceRegistries: unsupportedList().optional(),
      placementConstraints: placementConstraintsSchema().optional(),
      placementStrategy: placementStrategiesSchema().optional(),
      networkConfiguration: networkConfigurationSchema().optional(),
      deploymentConfiguration: deploymentConfigurationSchema().optional(),
      healthCheckGracePeriodSeconds: z.number().int().min(0).max(2_147_483_647).optional(),
      clientToken: z.string().min(1).max(36).optional(),
      ...taggingMembers(),
    })
    .strict(),
);
export type CreateServiceInput = SchemaOutput<typeof createServiceInput>;

export const updateServiceInput = lazySchema(() =>
  z
    .object({
      desiredCount: desiredCountSchema().optional(),
      taskDefinition: references.taskDefinition().optional(),
      deploymentConfiguration: deploymentConfigurationSchema().optional(),
      networkConfiguration: networkConfigurationSchema().optional(),
      healthCheckGracePeriodSeconds: z.number().int().min(0).max(2_147_483_647).optional(),
      forceNewDeployment: z.boolean().optional(),
      platformVersion: z.string().min(1).max(32).optional(),
      capacityProviderStrategy: capacityProviderStrategySchema().optional(),
      loadBalancers: unsupportedList().optional(),
      serviceRegistries: unsupportedList().optional(),
      placementConstraints: placementConstraintsSchema().optional(),
      placementStrategy: placementStrategiesSchema().optional(),
    })
    .strict(),
);
export type UpdateServiceInput = SchemaOutput<typeof updateServiceInput>;

/**
 * A deployment as the reconciler keeps it: ECS's public fields plus the bookkeeping that drives
 * the circuit breaker and the launch back-off (stripped before it is shown).
 */
export interface DeploymentState extends Deployment {
  /** Tasks that failed, for the circuit breaker (ECS shows it as failedTasks). */
  failedTasks: number;
  /** Launch failures in a row; reset when a task of the deployment reaches RUNNING. */
  consecutiveFailures: number;
  /** No launches before this time (growing back-off after failures). */
  launchNotBefore?: EpochMs;
  /** When the last launch failed: only a task started after it ends the back-off. */
  lastFailureAt?: EpochMs;
  /** Set once the "unable to stop or start tasks" event was emitted for this deployment. */
  blockedReported?: boolean;
}

export type ServiceLaunchType = 'FARGATE' | 'EC2';
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';

/** The service record: desired state (from the API) and what the reconciler learned. */
export interface ServiceState {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  clusterName: string;
  status: ServiceStatus;
  taskDefinition: string;
  desiredCount: number;
  launchType: ServiceLaunchType;
  /** Set instead of a launch type (shown without one then), as ECS keeps one or the other. */
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion: string;
  schedulingStrategy: SchedulingStrategy;
  /** EC2: how tasks are placed on container instances, as the caller gave them (ECS's wire form). */
  placementStrategy?: PlacementStrategy[];
  placementConstraints?: PlacementConstraintInput[];
  /**
   * The last "unable to place a task" event and when it was said: ECS omits a repeated event until
   * its cause is resolved or six hours pass.
   */
  unplaceableReported?: { message: string; at: EpochMs };
  networkConfiguration?: NetworkConfiguration;
  deploymentConfiguration: DeploymentConfiguration;
  healthCheckGracePeriodSeconds?: number;
  createdAt: EpochMs;
  clientToken?: string;
  tags?: Tag[];
  runningCount: number;
  pendingCount: number;
  /** Newest first; the first is PRIMARY. */
  deployments: DeploymentState[];
  /** Counter behind deterministic deployment ids. */
  deploymentSeq: number;
  /** Counter behind deterministic task ids: one per task ever launched by the service. */
  launchSeq: number;
  /** The deployment a failed one rolls back to. */
  lastCompleted?: { id: string; taskDefinition: string };
  /** Whether "has reached a steady state" was said since the last change. */
  steady: boolean;
  /**
   * The service's newest events (newest first), kept with the record so that a change that adds
   * events writes nothing more; the storage moves them out to the service's older events when they
   * outgrow the record's item (docs/data-model.md). What ECS shows is these, then the older ones,
   * the last 100 in all. Absent on records written before they were kept here.
   */
  recentEvents?: ServiceEvent[];
  /** Optimistic concurrency: every write is conditioned on the version it read. */
  version: number;
}

const digits = (input: string, length: number): string => {
  const hash = createHash('sha256').update(input).digest();
  let text = '';
  for (let index = 0; text.length < length; index++) text += String(hash[index % hash.length] % 10);
  return text.slice(0, length);
};

/** "ecs-svc/" and 19 digits, as ECS names deployments; deterministic for the service and sequence. */
export const deploymentIdFor = (serviceArn: string, sequence: number): string =>
  `ecs-svc/${digits(`${serviceArn}#deployment#${sequence}`, 19)}`;

/** A 32-hex task id, deterministic for its slot, so concurrent reconcilers launch the same ids. */
export const serviceTaskIdFor = (serviceArn: string, deploymentId: string, sequence: number): string =>
  createHash('sha256').update(`${serviceArn}#${deploymentId}#${sequence}`).digest('hex').slice(0, 32);

/** A UUID-shaped event id, deterministic so that a retried write does not duplicate an event. */
/** The service with `added` (newest first) as its newest events, ECS's last 100 kept. */
export const withServiceEvents = (service: ServiceState, added: ServiceEvent[]): ServiceState => ({
  ...service,
  recentEvents: [...added, ...(service.recentEvents ?? [])].slice(0, MAX_SERVICE_EVENTS),
});

/**
 * What ECS shows of a service's events: its recent ones, then the older ones stored apart (any also
 * among the recent ones shown once), the last 100.
 */
export const serviceEvents = (service: ServiceState, older: ServiceEvent[]): ServiceEvent[] => {
  const recent = service.recentEvents ?? [];
  const ids = new Set(recent.map((event) => event.id));
  return [...recent, ...older.filter((event) => !ids.has(event.id))].slice(0, MAX_SERVICE_EVENTS);
};

export const eventIdFor = (serviceArn: string, createdAt: EpochMs, message: string): string => {
  const hex = createHash('sha256').update(`${serviceArn}#${createdAt}#${message}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export const newDeployment = (
  id: string,
  taskDefinition: string,
  desiredCount: number,
  now: EpochMs,
  reason: string | undefined,
  launchType: ServiceLaunchType,
): DeploymentState => ({
  id,
  status: 'PRIMARY',
  taskDefinition,
  desiredCount,
  pendingCount: 0,
  runningCount: 0,
  failedTasks: 0,
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: reason ?? `ECS deployment ${id} in progress.`,
  launchType,
  createdAt: now,
  updatedAt: now,
  consecutiveFailures: 0,
});

/** The service as ECS shows it: public fields only, events newest first. */
export const presentService = (service: ServiceState, events: ServiceEvent[]) => ({
  serviceArn: service.serviceArn,
  serviceName: service.serviceName,
  clusterArn: service.clusterArn,
  status: service.status,
  desiredCount: service.desiredCount,
  runningCount: service.runningCount,
  pendingCount: service.pendingCount,
  ...(service.capacityProviderStrategy
    ? { capacityProviderStrategy: service.capacityProviderStrategy }
    : { launchType: service.launchType }),
  // Fargate's platform; a service on EC2 instances has none, as on ECS.
  ...(service.launchType === 'FARGATE' ? { platformVersion: service.platformVersion, platformFamily: 'Linux' } : {}),
  taskDefinition: service.taskDefinition,
  deploymentConfiguration: service.deploymentConfiguration,
  deployments: service.deployments.map(presentDeployment),
  events,
  createdAt: service.createdAt,
  ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
  ...(service.healthCheckGracePeriodSeconds !== undefined
    ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }
    : {}),
  loadBalancers: [],
  serviceRegistries: [],
  placementConstraints: service.placementConstraints ?? [],
  placementStrategy: service.placementStrategy ?? [],
  schedulingStrategy: service.schedulingStrategy,
  deploymentController: { type: 'ECS' as const },
  // ecsbox does not authenticate callers: the account's root principal stands for all of them.
  createdBy: `arn:aws:iam::${scopeOf(service.serviceArn).accountId}:root`,
  ...(service.tags?.length ? { tags: service.tags } : {}),
  enableECSManagedTags: false,
  propagateTags: 'NONE' as const,
  enableExecuteCommand: false,
});

export const presentDeployment = (deployment: DeploymentState): Deployment => ({
  id: deployment.id,
  status: deployment.status,
  taskDefinition: deployment.taskDefinition,
  desiredCount: deployment.desiredCount,
  pendingCount: deployment.pendingCount,
  runningCount: deployment.runningCount,
  failedTasks: deployment.failedTasks,
  rolloutState: deployment.rolloutState,
  rolloutStateReason: deployment.rolloutStateReason,
  launchType: deployment.launchType,
  createdAt: deployment.createdAt,
  updatedAt: deployment.updatedAt,
});

/** ECS's threshold: min(max(ceil(0.5 × desired), 3), 200) failed tasks. */
export const circuitBreakerThreshold = (desiredCount: number): number =>
  Math.min(Math.max(Math.ceil(0.5 * desiredCount), 3), 200);

/** The rolling-update bounds for a desired count. */
export const deploymentBounds = (configuration: DeploymentConfiguration, desiredCount: number) => ({
  minHealthy: Math.ceil((configuration.minimumHealthyPercent * desiredCount) / 100),
  maxTotal: Math.floor((configuration.maximumPercent * desiredCount) / 100),
});
