import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { arns, parseArn, references, taskIdOf } from '../domain/arn';
import { assignCapacityProviders, capacityProviderStrategySchema, checkCapacityProviderStrategy } from '../domain/capacity-provider';
import { shardOf } from '../domain/shard';
import { networkConfigurationSchema } from '../domain/service';
import { applyObservation, newTaskRecord, presentTask, type TaskRecord } from '../domain/task';
import { LAUNCH_TYPES } from '../domain/model';
import { lazySchema, pageQuerySchema, taggingMembers, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { ConflictException, InvalidParameterException, TaskNotFoundException } from '../errors';
import { retryOnConflict } from '../retry';
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

export const runTaskInput = lazySchema(() =>
  z
    .object({
      cluster: references.cluster().optional(),
      taskDefinition: references.taskDefinition(),
      count: z.number().int().min(1).max(10).optional(),
      startedBy: z.string().min(1).max(36).optional(),
      group: z.string().min(1).max(255).optional(),
      launchType: z.literal('FARGATE').optional(),
      capacityProviderStrategy: capacityProviderStrategySchema().optional(),
      platformVersion: z.string().min(1).max(32).optional(),
      networkConfiguration: networkConfigurationSchema().optional(),
      overrides: z
        .object({
          containerOverrides: z.array(containerOverrideSchema()).max(10).optional(),
          cpu: z.string().min(1).optional(),
          memory: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
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

export const runTask = async (deps: Deps, input: RunTaskInput) => {
  if (input.overrides && JSON.stringify(input.overrides).length > MAX_OVERRIDES_LENGTH) {
    throw new InvalidParameterException(`Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH}`);
  }
  const strategy = checkCapacityProviderStrategy(input.capacityProviderStrategy, input.launchType);
  await requireTagRoom(deps, input.tags);
  const cluster = await requireActiveCluster(deps, input.cluster);
  const taskDefinition = await resolveLaunchableTaskDefinition(deps, input.taskDefinition, input.networkConfiguration);
  const names = new Set(taskDefinition.containerDefinitions.map((container) => container.name));
  for (const [index, override] of (input.overrides?.containerOverrides ?? []).entries()) {
    if (!names.has(override.name)) {
      throw new InvalidParameterException(
        `Invalid 'overrides.containerOverrides[${index}].name': no container named ${override.name} in the task definition.`,
      );
    }
  }
  const now = deps.clock.now();
  const group = input.group ?? `family:${taskDefinition.family}`;
  const taskIds = taskIdsFor(cluster.clusterArn, input.count ?? 1, input.clientToken);
  // The account's running-tasks quota (sandbox), before anything is launched.
  await deps.tasks.requireRoom(cluster.clusterName, taskIds);
  const providers = strategy ? assignCapacityProviders(strategy, new Map(), taskIds.length) : [];
  const fleet = deps.fleets.forCluster(cluster);
  const outcomes = await fleet.launch(
    taskIds.map((taskId, index) => ({
      taskId,
      clusterName: cluster.clusterName,
      taskDefinition,
      startedBy: input.startedBy,
      group,
      ...(providers[index] ? { capacityProviderName: providers[index] } : {}),
      overrides: input.overrides,
      networkConfiguration: input.networkConfiguration,
    })),
    now,
  );
  const failures = outcomes
    .filter((outcome) => !outcome.accepted)
    .map((outcome) => ({
      arn: arns.task(deps.scope, cluster.clusterName, outcome.taskId),
      reason: outcome.accepted ? '' : outcome.reason,
      ...(!outcome.accepted && outcome.detail ? { detail: outcome.detail } : {}),
    }));
  const accepted = outcomes.flatMap((outcome) => (outcome.accepted ? [{ taskId: outcome.taskId, ref: outcome.ref }] : []));
  const observations = accepted.length ? await fleet.observe(accepted.map((task) => ({ ...task, createdAt: now })), now) : [];
  const providerOf = new Map(taskIds.map((taskId, index) => [taskId, providers[index]]));
  const records = observations.map((observation) =>
    newTaskRecord(
      {
        taskId: observation.taskId,
        taskArn: arns.task(deps.scope, cluster.clusterName, observation.taskId),
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        taskDefinition,
        ...(input.startedBy ? { startedBy: input.startedBy } : {}),
        group,
        ...(providerOf.get(observation.taskId) ? { capacityProviderName: providerOf.get(observation.taskId) } : {}),
        ...(input.overrides ? { overrides: input.overrides } : {}),
        ...(input.networkConfiguration ? { networkConfiguration: input.networkConfiguration } : {}),
        ...(input.tags?.length ? { tags: input.tags } : {}),
        createdAt: now,
      },
      observation,
    ),
  );
  const { clientToken, ...parameters } = input;
  const stored = records.length
    ? await deps.tasks.createStandalone(
        records,
        clientToken
          ? { clientToken, requestDigest: createHash('sha256').update(JSON.stringify(parameters)).digest('hex') }
          : undefined,
      )
    : [];
  if (stored.length) await deps.trigger.wake(shardOf(deps.scope.accountId, cluster.clusterName, undefined, deps.reconcileShards));
  return { tasks: stored.map(presentTask), failures };
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
 * Reference says the filter returns nothing), and Fargate tasks have no container instance and are
 * never of another launch type. ECS answers these with an empty list, not an error.
 */
const matchesNoTask = (input: SchemaOutput<typeof listTasksQuery>) =>
  input.desiredStatus === 'PENDING' ||
  (input.launchType !== undefined && input.launchType !== 'FARGATE') ||
  input.containerInstance !== undefined;

export const listTasks = async (deps: Deps, clusterReference: string | undefined, input: SchemaOutput<typeof listTasksQuery>) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  if (matchesNoTask(input)) return { taskArns: [] };
  const page = await deps.tasks.list(
    cluster.clusterName,
    {
      serviceName: input.serviceName,
      family: input.family,
      startedBy: input.startedBy,
      desiredStatus: input.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
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
const shardOfTask = (deps: Deps, task: TaskRecord) =>
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
