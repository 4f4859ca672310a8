import * as z from 'zod';
import { arns, clusterNameOf, parseArn, serviceNameOf } from '../domain/arn';
import { checkCapacityProviderStrategy, launchChoice, type CapacityProviderStrategyItem } from '../domain/capacity-provider';
import { meetsMemberOf, parsePlacementConstraints, parsePlacementStrategies } from '../domain/placement';
import { LAUNCH_TYPES, type Cluster, type ServiceEvent } from '../domain/model';
import { shardOf } from '../domain/shard';
import {
  DAEMON_DEPLOYMENT_CONFIGURATION,
  DEFAULT_DEPLOYMENT_CONFIGURATION,
  UNSUPPORTED_SERVICE_LISTS,
  deploymentIdFor,
  eventIdFor,
  newDeployment,
  presentService,
  withServiceEvents,
  type CreateServiceInput,
  type ServiceLaunchType,
  type ServiceState,
  type UpdateServiceInput,
} from '../domain/service';
import { lazySchema, pageQuerySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import {
  InvalidParameterException,
  ServiceNotActiveException,
  ServiceNotFoundException,
} from '../errors';
import type { StoredService } from '../ports';
import { retryOnConflict } from '../retry';
import { requireActiveCluster } from './clusters';
import { describedOrMissing } from './describe';
import { requireTagRoom } from './tag-quota';
import { resolveLaunchableTaskDefinition } from './task-definitions';
import { followWaitingTasks } from './tasks';

export const listServicesQuery = lazySchema(() =>
  pageQuerySchema()
    .extend({
      launchType: z.enum(LAUNCH_TYPES).optional(),
      schedulingStrategy: z.enum(['REPLICA', 'DAEMON']).optional(),
      resourceManagementType: z.enum(['CUSTOMER', 'ECS']).optional(),
    })
    .strict(),
);

/**
 * Filters no ecsbox service can match: every service is customer-managed and runs on Fargate or
 * EC2 (with or without a capacity provider strategy). ECS answers an empty list.
 */
const matchesNoService = (input: SchemaOutput<typeof listServicesQuery>) =>
  (input.launchType !== undefined && input.launchType !== 'FARGATE' && input.launchType !== 'EC2') ||
  input.resourceManagementType === 'ECS';

/** ListServices' launchType and schedulingStrategy filters (a service with a strategy shows no launch type). */
const matchesFilters = (service: ServiceState, input: SchemaOutput<typeof listServicesQuery>) =>
  (input.launchType === undefined || (!service.capacityProviderStrategy && service.launchType === input.launchType)) &&
  (input.schedulingStrategy === undefined || service.schedulingStrategy === input.schedulingStrategy);

export const deleteServiceQuery = lazySchema(() =>
  z
    .object({ force: z.enum(['true', 'false']).optional() })
    .strict(),
);

/** Concurrent writers to one service retry this often before one of them is told 409. */
const MAX_ATTEMPTS = 30;

const present = (stored: StoredService) => presentService(stored.service, stored.events);

/** Load balancers, registries and placement: taken empty (as tools send them back), refused otherwise. */
const refuseUnsupportedLists = (input: Partial<Record<(typeof UNSUPPORTED_SERVICE_LISTS)[number], unknown[]>>) => {
  for (const member of UNSUPPORTED_SERVICE_LISTS) {
    if (input[member]?.length) {
      throw new InvalidParameterException(`Invalid '${member}': ecsbox runs services on Fargate without ${member}; leave it empty.`);
    }
  }
};

/** ECS's rules for the DAEMON scheduling strategy. */
const checkDaemon = (
  input: Pick<CreateServiceInput, 'launchType' | 'desiredCount' | 'placementStrategy'>,
  strategy: CapacityProviderStrategyItem[] | undefined,
) => {
  if (input.launchType === 'FARGATE') {
    throw new InvalidParameterException('The DAEMON scheduling strategy is not supported with the FARGATE launch type.');
  }
  if (strategy) throw new InvalidParameterException('The DAEMON scheduling strategy does not support capacity provider strategies.');
  refuseDaemonDesiredCount(input.desiredCount);
  if (input.placementStrategy?.length) {
    throw new InvalidParameterException('The daemon scheduling strategy does not support placement strategies.');
  }
};

/** The ACTIVE instances of the cluster that meet a DAEMON service's constraints: one task each. */
const daemonDesiredCount = async (deps: Deps, clusterName: string, constraints: ServiceState['placementConstraints']) => {
  const { instances, taskGroups } = await deps.containerInstances.loadForPlacement(clusterName);
  const parsed = parsePlacementConstraints(constraints ?? []);
  return instances.filter((instance) => instance.status === 'ACTIVE' && meetsMemberOf(instance, taskGroups.get(instance.id) ?? [], parsed)).length;
};

const refuseDaemonDesiredCount = (desiredCount: number | undefined) => {
  if (desiredCount !== undefined) {
    throw new InvalidParameterException('The daemon scheduling strategy does not support a desired count for services.');
  }
};

/** Placement strategies and constraints: checked, and only for tasks on EC2 instances. */
const checkServicePlacement = (
  input: Pick<CreateServiceInput, 'placementStrategy' | 'placementConstraints'>,
  launchType: ServiceLaunchType,
  daemon: boolean,
): Pick<ServiceState, 'placementStrategy' | 'placementConstraints'> => {
  if (launchType === 'FARGATE' && (input.placementStrategy?.length || input.placementConstraints?.length)) {
    throw new InvalidParameterException('Task placement strategies and constraints are not supported for tasks on Fargate.');
  }
  if (daemon && input.placementStrategy?.length) {
    throw new InvalidParameterException('The daemon scheduling strategy does not support placement strategies.');
  }
  // Constraints are kept as given (their expressions parsed once here, to refuse bad ones).
  if (input.placementConstraints) parsePlacementConstraints(input.placementConstraints);
  return {
    ...(input.placementStrategy ? { placementStrategy: parsePlacementStrategies(input.placementStrategy) } : {}),
    ...(input.placementConstraints ? { placementConstraints: input.placementConstraints } : {}),
  };
};

/**
 * CreateService. Identical calls racing with one clientToken all answer the one service: a call
 * whose write lost to a concurrent create (a ConflictException from the repository) runs again,
 * and then finds the winner's service and its token.
 */
export const createService = (deps: Deps, input: CreateServiceInput) =>
  retryOnConflict(() => createServiceOnce(deps, input), MAX_ATTEMPTS, 'The service is being created by others; try again.');

const createServiceOnce = async (deps: Deps, input: CreateServiceInput) => {
  const capacityProviderStrategy = checkCapacityProviderStrategy(input.capacityProviderStrategy, input.launchType);
  refuseUnsupportedLists(input);
  const daemon = input.schedulingStrategy === 'DAEMON';
  if (daemon) checkDaemon(input, capacityProviderStrategy);
  await requireTagRoom(deps, input.tags);
  const cluster = await requireActiveCluster(deps, input.cluster);
  // An Auto Scaling group provider must be the cluster's.
  checkCapacityProviderStrategy(input.capacityProviderStrategy, input.launchType, cluster.capacityProviders);
  // A DAEMON service runs on the cluster's instances (Fargate and strategies were refused above).
  const choice = daemon
    ? { launchType: 'EC2' as const }
    : launchChoice(input.launchType, capacityProviderStrategy, cluster.defaultCapacityProviderStrategy);
  const { launchType } = choice;
  const placement = checkServicePlacement(input, launchType, daemon);
  const existing = await deps.services.get(cluster.clusterName, input.serviceName);
  if (existing && existing.service.status !== 'INACTIVE') {
    // CreateService's clientToken: the same request again returns the service it created.
    if (input.clientToken && existing.service.clientToken === input.clientToken) return { service: present(existing) };
    throw new InvalidParameterException('Creation of service was not idempotent.');
  }
  if (input.desiredCount === undefined && !daemon) {
    throw new InvalidParameterException("Invalid 'desiredCount': required for the REPLICA scheduling strategy.");
  }
  // A DAEMON service's desired count is its eligible instances' (the reconciler follows them after).
  const desiredCount = daemon ? await daemonDesiredCount(deps, cluster.clusterName, placement.placementConstraints) : input.desiredCount!;
  const taskDefinition = await resolveLaunchableTaskDefinition(deps, input.taskDefinition, input.networkConfiguration, launchType);
  const now = deps.clock.now();
  const serviceArn = arns.service(deps.scope, cluster.clusterName, input.serviceName);
  const deploymentConfiguration = {
    ...(daemon ? DAEMON_DEPLOYMENT_CONFIGURATION : DEFAULT_DEPLOYMENT_CONFIGURATION),
    ...input.deploymentConfiguration,
  };
  const service: ServiceState = {
    serviceArn,
    serviceName: input.serviceName,
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName,
    status: 'ACTIVE',
    taskDefinition: taskDefinition.taskDefinitionArn,
    desiredCount,
    launchType,
    ...(choice.strategy ? { capacityProviderStrategy: choice.strategy } : {}),
    platformVersion: input.platformVersion ?? 'LATEST',
    schedulingStrategy: daemon ? 'DAEMON' : 'REPLICA',
    ...placement,
    ...(input.networkConfiguration ? { networkConfiguration: input.networkConfiguration } : {}),
    deploymentConfiguration,
    ...(input.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds }
      : {}),
    createdAt: now,
    ...(input.clientToken ? { clientToken: input.clientToken } : {}),
    ...(input.tags?.length ? { tags: input.tags } : {}),
    runningCount: 0,
    pendingCount: 0,
    deployments: [newDeployment(deploymentIdFor(serviceArn, 1), taskDefinition.taskDefinitionArn, desiredCount, now, undefined, launchType)],
    deploymentSeq: 1,
    launchSeq: 0,
    steady: false,
    // A service created again after deletion continues the old record's version line.
    version: (existing?.service.version ?? 0) + 1,
  };
  await deps.services.create(service);
  await deps.trigger.wake(shardOf(deps.scope.accountId, cluster.clusterName, service.serviceName, deps.reconcileShards));
  return { service: presentService(service, []) };
};

const requireService = async (deps: Deps, cluster: Cluster, service: string): Promise<StoredService> => {
  const name = serviceNameOf(deps.scope, service);
  const stored = name === undefined ? undefined : await deps.services.get(cluster.clusterName, name);
  if (!stored) throw new ServiceNotFoundException();
  return stored;
};

export const describeService = async (deps: Deps, clusterReference: string, service: string) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  return { service: present(await requireService(deps, cluster, service)) };
};

/** ECS's DescribeServices: up to 10 names, tags only with include TAGS; unknown ones come back as MISSING. */
export const describeServices = async (
  deps: Deps,
  clusterReference: string | undefined,
  services: string[],
  includeTags = false,
) => {
  if (services.length > 10) throw new InvalidParameterException("Invalid 'services': at most 10 services can be described at once.");
  const clusterName = clusterNameOf(deps.scope, clusterReference ?? 'default');
  const names = services.map((reference) => (clusterName === undefined ? undefined : serviceNameOf(deps.scope, reference)));
  const readable = names.filter((name): name is string => name !== undefined);
  const read = readable.length === 0 || clusterName === undefined ? [] : await deps.services.getMany(clusterName, readable);
  // An ACTIVE service proves its cluster ACTIVE: a cluster is deleted only while its count of ACTIVE
  // services is 0, and that count moves in the transactions that create and delete services. So
  // the cluster is read only when some service is not found ACTIVE, and the describe a deploy tool
  // or waiter polls reads two items per service, not one more for the cluster.
  const everyActive = services.length > 0 && read.length === services.length && read.every((stored) => stored?.service.status === 'ACTIVE');
  const checkedClusterName = everyActive && clusterName !== undefined ? clusterName : (await requireActiveCluster(deps, clusterReference)).clusterName;
  const byName = new Map(readable.map((name, index) => [name, read[index]]));
  const found = names.map((name) => (name === undefined ? undefined : byName.get(name)));
  const { items, failures } = describedOrMissing(
    services,
    found,
    present,
    // A name that never existed is reported with the ARN it would have; an ARN as it was given.
    (reference) => (parseArn(reference) ? reference : arns.service(deps.scope, checkedClusterName, reference)),
    includeTags,
  );
  return { services: items, failures };
};

export const listServices = async (deps: Deps, clusterReference: string | undefined, input: SchemaOutput<typeof listServicesQuery>) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  if (matchesNoService(input)) return { serviceArns: [] };
  const request = { maxResults: input.maxResults ?? 10, nextToken: input.nextToken };
  if (input.launchType === undefined && input.schedulingStrategy === undefined) {
    const page = await deps.services.list(cluster.clusterName, request);
    return { serviceArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }
  // Filtered: each page of services is read and filtered; a page may come back shorter (as ECS's
  // may), and pages that match nothing are skipped rather than answered empty.
  const serviceArns: string[] = [];
  let nextToken = input.nextToken;
  do {
    const page = await deps.services.list(cluster.clusterName, { ...request, nextToken });
    const stored = page.items.length ? await deps.services.getMany(cluster.clusterName, page.items.map((arn) => arn.slice(arn.lastIndexOf('/') + 1))) : [];
    for (const entry of stored) if (entry && matchesFilters(entry.service, input)) serviceArns.push(entry.service.serviceArn);
    nextToken = page.nextToken;
  } while (nextToken && !serviceArns.length);
  return { serviceArns, ...(nextToken ? { nextToken } : {}) };
};

const changeService = async (
  deps: Deps,
  clusterReference: string | undefined,
  serviceReference: string,
  change: (service: ServiceState, events: ServiceEvent[]) => Promise<ServiceState>,
  save: (next: ServiceState, previous: ServiceState) => Promise<void>,
) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  const { next, events } = await retryOnConflict(
    async () => {
      const stored = await requireService(deps, cluster, serviceReference);
      if (stored.service.status !== 'ACTIVE') throw new ServiceNotActiveException();
      const changed = { ...(await change(stored.service, stored.events)), version: stored.service.version + 1 };
      await save(changed, stored.service);
      return { next: changed, events: stored.events };
    },
    MAX_ATTEMPTS,
    'The service is being changed by others; try again.',
  );
  await deps.trigger.wake(shardOf(deps.scope.accountId, cluster.clusterName, next.serviceName, deps.reconcileShards));
  return { service: presentService(next, events) };
};

/**
 * UpdateService. `event`, when given, is added to the service's events in the same write (what
 * Application Auto Scaling says when it sets the desired count).
 */
export const updateService = async (
  deps: Deps,
  clusterReference: string | undefined,
  serviceReference: string,
  input: UpdateServiceInput,
  event?: string,
) => {
  // As in ECS: a strategy replaces the launch type (or the strategy), an empty one goes back to the
  // launch type; either way without a new deployment, for the tasks launched from then on.
  const capacityProviderStrategy = checkCapacityProviderStrategy(input.capacityProviderStrategy, undefined, []);
  refuseUnsupportedLists(input);
  return changeService(
    deps,
    clusterReference,
    serviceReference,
    async (service) => {
      const next: ServiceState = structuredClone(service);
      const daemon = service.schedulingStrategy === 'DAEMON';
      if (daemon) refuseDaemonDesiredCount(input.desiredCount);
      // As in ECS: an empty list removes them; absent keeps them.
      const placement = checkServicePlacement(input, service.launchType, daemon);
      if (input.placementStrategy) next.placementStrategy = placement.placementStrategy;
      if (input.placementConstraints) next.placementConstraints = placement.placementConstraints;
      if (input.desiredCount !== undefined) next.desiredCount = input.desiredCount;
      if (capacityProviderStrategy) next.capacityProviderStrategy = capacityProviderStrategy;
      else if (input.capacityProviderStrategy) delete next.capacityProviderStrategy;
      if (input.deploymentConfiguration) {
        next.deploymentConfiguration = { ...next.deploymentConfiguration, ...input.deploymentConfiguration };
      }
      if (input.networkConfiguration) next.networkConfiguration = input.networkConfiguration;
      if (input.healthCheckGracePeriodSeconds !== undefined) {
        next.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      }
      if (input.platformVersion) next.platformVersion = input.platformVersion;
      const taskDefinition = input.taskDefinition
        ? (await resolveLaunchableTaskDefinition(deps, input.taskDefinition, next.networkConfiguration, next.launchType)).taskDefinitionArn
        : next.taskDefinition;
      if (taskDefinition !== next.taskDefinition || input.forceNewDeployment) {
        const now = deps.clock.now();
        next.deploymentSeq += 1;
        for (const deployment of next.deployments) if (deployment.status === 'PRIMARY') deployment.status = 'ACTIVE';
        next.deployments.unshift(
          newDeployment(deploymentIdFor(next.serviceArn, next.deploymentSeq), taskDefinition, next.desiredCount, now, undefined, next.launchType),
        );
        next.taskDefinition = taskDefinition;
      } else {
        next.deployments[0].desiredCount = next.desiredCount;
      }
      next.steady = false;
      return next;
    },
    (next, previous) => {
      if (event === undefined) return deps.services.save(next, previous.desiredCount);
      const now = deps.clock.now();
      const added = { id: eventIdFor(next.serviceArn, now, event), createdAt: now, message: event };
      return deps.services.save(withServiceEvents(next, [added]), previous.desiredCount);
    },
  );
};

export const deleteService = async (
  deps: Deps,
  clusterReference: string | undefined,
  serviceReference: string,
  force: boolean,
) =>
  changeService(
    deps,
    clusterReference,
    serviceReference,
    async (service) => {
      // A DAEMON service's count is its instances': it is deleted without scaling it in first, as on ECS.
      if (service.desiredCount > 0 && !force && service.schedulingStrategy !== 'DAEMON') {
        throw new InvalidParameterException(
          'The service cannot be stopped while it is scaled above 0. Set desiredCount to 0 first, or delete with force.',
        );
      }
      // DRAINING: the reconciler stops every task, then marks the service INACTIVE.
      return { ...structuredClone(service), status: 'DRAINING', desiredCount: 0, steady: false };
    },
    (next, previous) => deps.services.saveDeleted(next, previous.desiredCount),
  );

/** Services read at once when a cluster's EC2 services are made due (each read takes a service and its events). */
const FOLLOW_BATCH = 50;

/**
 * Makes the cluster's EC2 services (and standalone tasks waiting for capacity) due at once and wakes
 * the reconciler: a container instance registered, changed state or attributes, or left, and their
 * plans follow the instances (a DAEMON service's desired count, tasks on a DRAINING instance, tasks
 * that could not be placed or wait for capacity). The write
 * is the service as it is, one version on: any write to a service makes it due, and one that races
 * the reconciler's commit is retried on the version that commit left, so the plan after it sees the
 * instances as they are now.
 */
export const followContainerInstances = async (deps: Deps, clusterName: string): Promise<void> => {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.services.list(clusterName, { maxResults: 100, nextToken });
    names.push(...page.items.map((arn) => arn.slice(arn.lastIndexOf('/') + 1)));
    nextToken = page.nextToken;
  } while (nextToken);
  const shards = new Set<number>();
  for (let start = 0; start < names.length; start += FOLLOW_BATCH) {
    const read = await deps.services.getMany(clusterName, names.slice(start, start + FOLLOW_BATCH));
    for (const stored of read) {
      if (!stored || stored.service.launchType !== 'EC2' || stored.service.status !== 'ACTIVE') continue;
      const { serviceName } = stored.service;
      await retryOnConflict(
        async () => {
          const current = (await deps.services.get(clusterName, serviceName))?.service ?? stored.service;
          await deps.services.save({ ...current, version: current.version + 1 });
        },
        MAX_ATTEMPTS,
        'The service is being changed by others; try again.',
      );
      shards.add(shardOf(deps.scope.accountId, clusterName, serviceName, deps.reconcileShards));
    }
  }
  await Promise.all([...shards].map((shard) => deps.trigger.wake(shard)));
  await followWaitingTasks(deps, clusterName);
};
