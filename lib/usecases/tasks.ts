import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { arns, containerInstanceIdOf, parseArn, references, taskIdOf } from '../domain/arn';
import { assignCapacityProviders, capacityProviderStrategySchema, checkCapacityProviderStrategy, launchChoice } from '../domain/capacity-provider';
import { shardOf } from '../domain/shard';
import { networkConfigurationSchema } from '../domain/service';
import { applyObservation, isWaitingForCapacity, newTaskRecord, plannedTaskRecord, presentTask, type InstancePlacement, type NewTask, type TaskRecord } from '../domain/task';
import { LAUNCH_TYPES, type Cluster, type NetworkConfiguration, type Tag, type TaskDefinition } from '../domain/model';
import type { ContainerInstanceRecord } from '../domain/container-instance';
import {
  definitionConstraints,
  instancePlacement,
  parsePlacementConstraints,
  parsePlacementStrategies,
  place,
  placementConstraintsSchema,
  placementSeed,
  placementStrategiesSchema,
  requirementsOf,
  type PlacementResult,
} from '../domain/placement';
import type { TaskOverrides } from '../fleet/backend';
import { InstancesChanged, type IdempotentLaunch } from '../ports';
import { lazySchema, pageQuerySchema, taggingMembers, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { ConflictException, InvalidParameterException, TaskNotFoundException } from '../errors';
import { retryOnConflict, withRetries } from '../retry';
import { requireActiveCluster } from './clusters';
import { describedOrMissing } from './describe';
import { requireTagRoom } from './tag-quota';
import { resolveLaunchableTaskDefinition } from './task-definitions';

const containerOverrideSchema = lazySchema(() =>
  z
    .object({
      name: z.string().min(1).max(255),
      command: z.array(z.string()).optional(),
      environment: z.array(z.object({ name: z.string().min(1), value: z.string() }).strict()).optional(),
      cpu: z.number().int().min(0).optional(),
      memory: z.number().int().min(6).optional(),
      memoryReservation: z.number().int().min(6).optional(),
    })
    .strict(),
);

const overridesSchema = lazySchema(() =>
  z
    .object({
      containerOverrides: z.array(containerOverrideSchema()).max(10).optional(),
      cpu: z.string().min(1).optional(),
      memory: z.string().min(1).optional(),
    })
    .strict(),
);

export const runTaskInput = lazySchema(() =>
  z
    .object({
      cluster: references.cluster().optional(),
      taskDefinition: references.taskDefinition(),
      count: z.number().int().min(1).max(10).optional(),
      startedBy: z.string().min(1).max(36).optional(),
      group: z.string().min(1).max(255).optional(),
      launchType: z.enum(['EC2', 'FARGATE']).optional(),
      capacityProviderStrategy: capacityProviderStrategySchema().optional(),
      placementStrategy: placementStrategiesSchema().optional(),
      placementConstraints: placementConstraintsSchema().optional(),
      platformVersion: z.string().min(1).max(32).optional(),
      networkConfiguration: networkConfigurationSchema().optional(),
      overrides: overridesSchema().optional(),
      clientToken: z.string().min(1).max(64).optional(),
      ...taggingMembers(),
    })
    .strict(),
);
export type RunTaskInput = SchemaOutput<typeof runTaskInput>;

export const listTasksQuery = lazySchema(() =>
  pageQuerySchema()
    .extend({
      serviceName: z.string().min(1).max(255).optional(),
      family: z.string().min(1).max(255).optional(),
      startedBy: z.string().min(1).max(36).optional(),
      desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
      launchType: z.enum(LAUNCH_TYPES).optional(),
      containerInstance: z.string().min(1).max(2048).optional(),
    })
    .strict(),
);

/** ECS's StartTask: one task on each named container instance (the same one may be named twice). */
export const startTaskInput = lazySchema(() =>
  z
    .object({
      cluster: references.cluster().optional(),
      taskDefinition: references.taskDefinition(),
      containerInstances: z.array(z.string().min(1).max(2048)).min(1).max(10),
      startedBy: z.string().min(1).max(36).optional(),
      group: z.string().min(1).max(255).optional(),
      networkConfiguration: networkConfigurationSchema().optional(),
      overrides: overridesSchema().optional(),
      ...taggingMembers(),
    })
    .strict(),
);
export type StartTaskInput = SchemaOutput<typeof startTaskInput>;

export const stopTaskInput = lazySchema(() => z.object({ reason: z.string().max(255).optional() }).strict());

/** Task ids from a clientToken are deterministic, so a retried RunTask names the same tasks. */
const taskIdsFor = (clusterArn: string, count: number, clientToken?: string) =>
  Array.from({ length: count }, (_, index) =>
    clientToken
      ? createHash('sha256').update(`${clusterArn}#runtask#${clientToken}#${index}`).digest('hex').slice(0, 32)
      : randomUUID().replaceAll('-', ''),
  );

/**
 * ECS allows 8192 characters of overrides in all, counting the JSON that spells them: it also keeps
 * every task item far below DynamoDB's 400 KB, whatever the overrides hold.
 */
export const MAX_OVERRIDES_LENGTH = 8192;

/** What every task of one RunTask or StartTask shares. */
interface LaunchRequest {
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  group: string;
  startedBy?: string;
  overrides?: TaskOverrides;
  networkConfiguration?: NetworkConfiguration;
  tags?: Tag[];
}

/** One task to launch: Fargate (maybe by a capacity provider), or EC2 on the instance placement chose. */
interface TaskLaunch {
  taskId: string;
  capacityProviderName?: string;
  instance?: { record: ContainerInstanceRecord; placement: InstancePlacement };
}

/**
 * Launches the tasks on the cluster's backend, records the accepted ones (charging EC2 tasks to
 * their instances, read at `instances`, in the same write) with the `waiting` ones (EC2 tasks of an
 * Auto Scaling group provider that no instance could take: PROVISIONING, launched by the reconciler
 * once placed), and wakes their reconciler, and the capacity controller for waiting ones. The
 * backend's refusals come back as ECS failures naming the task.
 */
const launchAndRecord = async (
  deps: Deps,
  request: LaunchRequest,
  launches: TaskLaunch[],
  idempotency?: IdempotentLaunch,
  instances?: readonly ContainerInstanceRecord[],
  waiting: TaskLaunch[] = [],
) => {
  const { cluster, taskDefinition } = request;
  const now = deps.clock.now();
  const fleet = deps.fleets.forCluster(cluster);
  const newTask = (launch: TaskLaunch): NewTask => ({
    taskId: launch.taskId,
    taskArn: arns.task(deps.scope, cluster.clusterName, launch.taskId),
    clusterName: cluster.clusterName,
    clusterArn: cluster.clusterArn,
    taskDefinition,
    ...(request.startedBy ? { startedBy: request.startedBy } : {}),
    group: request.group,
    ...(launch.capacityProviderName ? { capacityProviderName: launch.capacityProviderName } : {}),
    ...(launch.instance ? { launchType: 'EC2' as const, placement: launch.instance.placement } : {}),
    ...(request.overrides ? { overrides: request.overrides } : {}),
    ...(request.networkConfiguration ? { networkConfiguration: request.networkConfiguration } : {}),
    ...(request.tags?.length ? { tags: request.tags } : {}),
    createdAt: now,
  });
  const outcomes = launches.length
    ? await fleet.launch(
        launches.map((launch) => ({
          taskId: launch.taskId,
          clusterName: cluster.clusterName,
          taskDefinition,
          startedBy: request.startedBy,
          group: request.group,
          ...(launch.capacityProviderName ? { capacityProviderName: launch.capacityProviderName } : {}),
          ...(launch.instance ? { launchType: 'EC2' as const, availabilityZone: launch.instance.record.availabilityZone } : {}),
          overrides: request.overrides,
          networkConfiguration: request.networkConfiguration,
        })),
        now,
      )
    : [];
  const failures = outcomes.flatMap((outcome) =>
    outcome.accepted
      ? []
      : [{ arn: arns.task(deps.scope, cluster.clusterName, outcome.taskId), reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) }],
  );
  const accepted = outcomes.flatMap((outcome) => (outcome.accepted ? [{ taskId: outcome.taskId, ref: outcome.ref }] : []));
  const observations = accepted.length ? await fleet.observe(accepted.map((task) => ({ ...task, createdAt: now })), now) : [];
  const launchOf = new Map(launches.map((launch) => [launch.taskId, launch]));
  const records = [
    ...observations.map((observation) => newTaskRecord(newTask(launchOf.get(observation.taskId)!), observation)),
    ...waiting.map((launch) => plannedTaskRecord({ ...newTask(launch), launchType: 'EC2' })),
  ];
  const stored = records.length ? await deps.tasks.createStandalone(records, idempotency, instances) : [];
  if (stored.length) await deps.trigger.wake(shardOf(deps.scope.accountId, cluster.clusterName, undefined, deps.reconcileShards));
  if (stored.some(isWaitingForCapacity)) await deps.capacityTrigger.wake();
  return { tasks: stored.map(presentTask), failures };
};

/**
 * An EC2 launch placed on instances as they were read: when one changed before the write (another
 * launch charged it first), read and place again. Simulated launches have no effect until recorded.
 */
const PLACEMENT_ATTEMPTS = 10;
const placeAndLaunch = <T>(attempt: () => Promise<T>) =>
  withRetries(attempt, {
    attempts: PLACEMENT_ATTEMPTS,
    retryable: (error) => error instanceof InstancesChanged,
    exhausted: () => new ConflictException("The cluster's container instances are being changed by others; try again."),
  });

/** ECS's failure for each instance that could not take the task, with its ARN. */
const placementFailures = (deps: Deps, clusterName: string, failures: PlacementResult['failures']) =>
  failures.map((failure) => ({
    ...(failure.instanceId ? { arn: arns.containerInstance(deps.scope, clusterName, failure.instanceId) } : {}),
    reason: failure.reason,
  }));

/**
 * What RunTask and StartTask check and read before placing anything: the tag quota, the cluster,
 * the task definition for the launch type the cluster's defaults give, the overrides.
 */
const prepareLaunch = async (
  deps: Deps,
  input: Pick<RunTaskInput, 'cluster' | 'taskDefinition' | 'group' | 'startedBy' | 'overrides' | 'networkConfiguration' | 'tags'>,
  launchTypeOf: (cluster: Cluster) => 'EC2' | 'FARGATE',
): Promise<LaunchRequest> => {
  await requireTagRoom(deps, input.tags);
  const cluster = await requireActiveCluster(deps, input.cluster);
  const taskDefinition = await resolveLaunchableTaskDefinition(deps, input.taskDefinition, input.networkConfiguration, launchTypeOf(cluster));
  checkOverrides(input.overrides, taskDefinition);
  return {
    cluster,
    taskDefinition,
    group: input.group ?? `family:${taskDefinition.family}`,
    startedBy: input.startedBy,
    overrides: input.overrides,
    networkConfiguration: input.networkConfiguration,
    tags: input.tags,
  };
};

const checkOverrides = (overrides: RunTaskInput['overrides'], definition: TaskDefinition) => {
  if (overrides && JSON.stringify(overrides).length > MAX_OVERRIDES_LENGTH) {
    throw new InvalidParameterException(`Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH}`);
  }
  const names = new Set(definition.containerDefinitions.map((container) => container.name));
  for (const [index, override] of (overrides?.containerOverrides ?? []).entries()) {
    if (!names.has(override.name)) {
      throw new InvalidParameterException(
        `Invalid 'overrides.containerOverrides[${index}].name': no container named ${override.name} in the task definition.`,
      );
    }
  }
};

export const runTask = async (deps: Deps, input: RunTaskInput) => {
  const strategy = checkCapacityProviderStrategy(input.capacityProviderStrategy, input.launchType);
  const strategies = parsePlacementStrategies(input.placementStrategy ?? []);
  const constraints = parsePlacementConstraints(input.placementConstraints ?? []);
  // An Auto Scaling group provider must be the cluster's: checked once the cluster is read.
  const choiceFor = (cluster: Cluster) =>
    launchChoice(
      input.launchType,
      strategy && checkCapacityProviderStrategy(input.capacityProviderStrategy, input.launchType, cluster.capacityProviders),
      cluster.defaultCapacityProviderStrategy,
    );
  const request = await prepareLaunch(deps, input, (cluster) => choiceFor(cluster).launchType);
  const { cluster, taskDefinition } = request;
  const choice = choiceFor(cluster);
  const taskIds = taskIdsFor(cluster.clusterArn, input.count ?? 1, input.clientToken);
  // The account's running-tasks quota (sandbox), before anything is launched.
  await deps.tasks.requireRoom(cluster.clusterName, taskIds);
  const { clientToken, ...parameters } = input;
  const idempotency = clientToken
    ? { clientToken, requestDigest: createHash('sha256').update(JSON.stringify(parameters)).digest('hex') }
    : undefined;
  // Each task's capacity provider, by the strategy's base and weight (none: the launch type alone).
  const providers = choice.strategy ? assignCapacityProviders(choice.strategy, new Map(), taskIds.length) : [];
  if (choice.launchType === 'FARGATE') {
    return launchAndRecord(
      deps,
      request,
      taskIds.map((taskId, index) => ({ taskId, ...(providers[index] ? { capacityProviderName: providers[index] } : {}) })),
      idempotency,
    );
  }
  const requirements = requirementsOf(taskDefinition, request.group, input.overrides);
  const allConstraints = [...constraints, ...definitionConstraints(taskDefinition)];
  // The tasks of each Auto Scaling group provider (none: the EC2 launch type).
  const byProvider = new Map<string | undefined, string[]>();
  for (const [index, taskId] of taskIds.entries()) byProvider.set(providers[index], [...(byProvider.get(providers[index]) ?? []), taskId]);
  return placeAndLaunch(async () => {
    const { instances, taskGroups } = await deps.containerInstances.loadForPlacement(cluster.clusterName);
    const current = new Map(instances.map((instance) => [instance.id, instance]));
    const launches: TaskLaunch[] = [];
    const waiting: TaskLaunch[] = [];
    const failures: Array<{ arn?: string; reason: string }> = [];
    for (const [provider, ids] of byProvider) {
      // A provider's tasks go on its group's instances only; what fits on none waits for its capacity.
      const candidates = [...current.values()].filter((instance) => provider === undefined || instance.capacityProviderName === provider);
      const result = place({
        task: requirements,
        count: ids.length,
        instances: candidates,
        taskGroups,
        // ECS places standalone tasks at random unless told otherwise.
        strategies: strategies.length ? strategies : [{ type: 'random' }],
        constraints: allConstraints,
        seed: placementSeed(ids),
      });
      for (const charged of result.instances) current.set(charged.id, charged);
      for (const [index, placement] of result.placements.entries()) {
        const record = instances.find((instance) => instance.id === placement.instanceId)!;
        const arn = arns.containerInstance(deps.scope, cluster.clusterName, record.id);
        launches.push({
          taskId: ids[index],
          ...(provider ? { capacityProviderName: provider } : {}),
          instance: { record, placement: instancePlacement(taskDefinition, requirements, placement, arn) },
        });
      }
      if (provider) for (const taskId of ids.slice(result.placements.length)) waiting.push({ taskId, capacityProviderName: provider });
      else failures.push(...placementFailures(deps, cluster.clusterName, result.failures));
    }
    const launched =
      launches.length || waiting.length
        ? await launchAndRecord(deps, request, launches, idempotency, instances, waiting)
        : { tasks: [], failures: [] };
    return { tasks: launched.tasks, failures: [...launched.failures, ...failures] };
  });
};

/**
 * Makes the cluster's standalone tasks waiting for capacity due at once and wakes their reconciler:
 * an instance registered (or freed up), and the next pass places them. Each is written as it is, one
 * version on (any write to a task makes it due); one that changed meanwhile was made due by that write.
 */
export const followWaitingTasks = async (deps: Deps, clusterName: string): Promise<void> => {
  const waiting = (await deps.capacityProviders.liveTasks(clusterName)).filter(
    (task) => task.serviceName === undefined && isWaitingForCapacity(task) && task.desiredStatus === 'RUNNING',
  );
  if (!waiting.length) return;
  await Promise.all(
    waiting.map((task) =>
      deps.tasks.save({ ...task, version: task.version + 1 }).catch((error: unknown) => {
        if (!(error instanceof ConflictException)) throw error;
      }),
    ),
  );
  await deps.trigger.wake(shardOf(deps.scope.accountId, clusterName, undefined, deps.reconcileShards));
};

/**
 * StartTask: one task on each named container instance, whatever the placement strategies would
 * choose. An instance that is unknown, not ACTIVE, or short of what the task needs (counting the
 * tasks this request already put there) gets a failure with ECS's reason; the others start.
 */
export const startTask = async (deps: Deps, input: StartTaskInput) => {
  const request = await prepareLaunch(deps, input, () => 'EC2');
  const { cluster, taskDefinition } = request;
  const requirements = requirementsOf(taskDefinition, request.group, input.overrides);
  const named = input.containerInstances.map((reference) => ({ reference, id: containerInstanceIdOf(deps.scope, reference) }));
  const taskIds = taskIdsFor(cluster.clusterArn, named.length);
  return placeAndLaunch(async () => {
    const ids = [...new Set(named.flatMap(({ id }) => (id === undefined ? [] : [id])))];
    const read = (await deps.containerInstances.getMany(cluster.clusterName, ids)).filter(
      (record): record is ContainerInstanceRecord => record !== undefined,
    );
    const current = new Map(read.map((record) => [record.id, record]));
    const launches: TaskLaunch[] = [];
    const failures: Array<{ arn: string; reason: string }> = [];
    for (const [index, { reference, id }] of named.entries()) {
      const record = id === undefined ? undefined : current.get(id);
      const arn = record ? arns.containerInstance(deps.scope, cluster.clusterName, record.id) : reference;
      if (!record || record.status === 'INACTIVE') {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      if (record.status !== 'ACTIVE') {
        failures.push({ arn, reason: record.status });
        continue;
      }
      const result = place({ task: requirements, count: 1, instances: [record], strategies: [], constraints: [], seed: 0 });
      const [placement] = result.placements;
      if (!placement) {
        failures.push({ arn, reason: result.failures[0].reason });
        continue;
      }
      current.set(record.id, result.instances[0]);
      launches.push({ taskId: taskIds[index], instance: { record, placement: instancePlacement(taskDefinition, requirements, placement, arn) } });
    }
    if (launches.length) await deps.tasks.requireRoom(cluster.clusterName, launches.map((launch) => launch.taskId));
    const launched = launches.length ? await launchAndRecord(deps, request, launches, undefined, read) : { tasks: [], failures: [] };
    return { tasks: launched.tasks, failures: [...launched.failures, ...failures] };
  });
};

const requireTask = async (deps: Deps, clusterName: string, task: string): Promise<TaskRecord> => {
  const taskId = taskIdOf(deps.scope, task);
  const record = taskId === undefined ? undefined : await deps.tasks.get(clusterName, taskId);
  if (!record) throw new TaskNotFoundException();
  return record;
};

export const describeTask = async (deps: Deps, clusterReference: string, task: string) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  return { task: presentTask(await requireTask(deps, cluster.clusterName, task)) };
};

/** ECS's DescribeTasks: up to 100; unknown ones come back as failures with reason MISSING. */
export const describeTasks = async (
  deps: Deps,
  clusterReference: string | undefined,
  tasks: string[],
  includeTags = false,
) => {
  if (tasks.length > 100) throw new InvalidParameterException("Invalid 'tasks': at most 100 tasks can be described at once.");
  const cluster = await requireActiveCluster(deps, clusterReference);
  // ECS checks the cluster first: an empty list names a cluster that must exist.
  if (tasks.length === 0) throw new InvalidParameterException('Tasks cannot be empty.');
  const found = await Promise.all(
    tasks.map((task) => {
      const taskId = taskIdOf(deps.scope, task);
      return taskId === undefined ? undefined : deps.tasks.get(cluster.clusterName, taskId);
    }),
  );
  const { items, failures } = describedOrMissing(
    tasks,
    found,
    presentTask,
    // An id that never existed is reported with the ARN it would have; an ARN as it was given.
    (task) => (parseArn(task) ? task : arns.task(deps.scope, cluster.clusterName, task)),
    includeTags,
  );
  return { tasks: items, failures };
};

/**
 * Filters that no ecsbox task can match: ECS never sets a task's desiredStatus to PENDING (its API
 * Reference says the filter returns nothing), tasks are only ever FARGATE or EC2, and a container
 * instance of another account or region runs none of them. ECS answers these with an empty list,
 * not an error.
 */
const matchesNoTask = (deps: Deps, input: SchemaOutput<typeof listTasksQuery>) =>
  input.desiredStatus === 'PENDING' ||
  (input.launchType !== undefined && input.launchType !== 'FARGATE' && input.launchType !== 'EC2') ||
  (input.containerInstance !== undefined && containerInstanceIdOf(deps.scope, input.containerInstance) === undefined);

export const listTasks = async (deps: Deps, clusterReference: string | undefined, input: SchemaOutput<typeof listTasksQuery>) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  if (matchesNoTask(deps, input)) return { taskArns: [] };
  const instanceId = input.containerInstance === undefined ? undefined : containerInstanceIdOf(deps.scope, input.containerInstance);
  const page = await deps.tasks.list(
    cluster.clusterName,
    {
      serviceName: input.serviceName,
      family: input.family,
      startedBy: input.startedBy,
      desiredStatus: input.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      ...(input.launchType === 'EC2' || input.launchType === 'FARGATE' ? { launchType: input.launchType } : {}),
      ...(instanceId ? { containerInstanceArn: arns.containerInstance(deps.scope, cluster.clusterName, instanceId) } : {}),
    },
    { maxResults: input.maxResults ?? 100, nextToken: input.nextToken },
    deps.clock.now(),
  );
  return { taskArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

/**
 * StopTask: the decision is recorded first (so a service's reconciler sees it at once and
 * replaces the task), then delivered to the backend, whose report is recorded in turn.
 */
/** The reconcile shard a task's changes are passed over in: its service's (a standalone task's, its cluster's). */
export const shardOfTask = (deps: Deps, task: TaskRecord) =>
  shardOf(deps.scope.accountId, task.clusterName, task.serviceName, deps.reconcileShards);

export const stopTask = async (deps: Deps, clusterReference: string | undefined, task: string, reason?: string) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  const { record: decided, alreadyStopped } = await retryOnConflict(
    async () => {
      const record = await requireTask(deps, cluster.clusterName, task);
      if (record.desiredStatus === 'STOPPED') return { record, alreadyStopped: true };
      const stopping: TaskRecord = {
        ...record,
        desiredStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: reason ?? 'Task stopped by user',
        version: record.version + 1,
      };
      await deps.tasks.save(stopping);
      return { record: stopping, alreadyStopped: false };
    },
    10,
    'The task is being changed by others; try again.',
  );
  if (alreadyStopped) return { task: presentTask(decided) };
  if (!decided.ref) {
    // Its launch is recorded but not made yet: the reconciler records it STOPPED, nothing to tell.
    await deps.trigger.wake(shardOfTask(deps, decided));
    return { task: presentTask(decided) };
  }
  const now = deps.clock.now();
  const fleet = deps.fleets.forCluster(cluster);
  const [stopped] = await fleet.stop(
    [{ taskId: decided.taskId, ref: decided.ref, reason: decided.stoppedReason!, stopCode: 'UserInitiated' }],
    now,
  );
  const [observation] = await fleet.observe([{ ...stopped, createdAt: decided.createdAt }], now);
  // A task the backend cannot see yet (just launched) is left for the reconciler to observe.
  const delivered = observation && { ...applyObservation(decided, observation), version: decided.version + 1 };
  // If the reconciler got there first, it records the backend's report on its next pass.
  if (delivered) {
    await deps.tasks.save(delivered).catch((error) => {
      if (!(error instanceof ConflictException)) throw error;
    });
  }
  await deps.trigger.wake(shardOfTask(deps, decided));
  return { task: presentTask(delivered ?? decided) };
};
