import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { arns, taskIdOf } from '../domain/arn';
import { networkConfigurationSchema } from '../domain/service';
import { applyObservation, newTaskRecord, presentTask, type TaskRecord } from '../domain/task';
import { pageQuerySchema, tagsSchema } from '../domain/validation';
import type { Deps } from '../deps';
import { ConflictException, InvalidParameterException, TaskNotFoundException } from '../errors';
import { retryOnConflict } from '../retry';
import { requireActiveCluster } from './clusters';
import { describedOrMissing } from './describe';
import { resolveLaunchableTaskDefinition } from './task-definitions';

const containerOverrideSchema = z
  .object({
    name: z.string().min(1).max(255),
    command: z.array(z.string()).optional(),
    environment: z.array(z.object({ name: z.string().min(1), value: z.string() }).strict()).optional(),
    cpu: z.number().int().min(0).optional(),
    memory: z.number().int().min(6).optional(),
    memoryReservation: z.number().int().min(6).optional(),
  })
  .strict();

export const runTaskInput = z
  .object({
    cluster: z.string().min(1).optional(),
    taskDefinition: z.string().min(1).max(2048),
    count: z.number().int().min(1).max(10).optional(),
    startedBy: z.string().min(1).max(36).optional(),
    group: z.string().min(1).max(255).optional(),
    launchType: z.literal('FARGATE').optional(),
    platformVersion: z.string().min(1).max(32).optional(),
    networkConfiguration: networkConfigurationSchema.optional(),
    overrides: z
      .object({
        containerOverrides: z.array(containerOverrideSchema).max(10).optional(),
        cpu: z.string().min(1).optional(),
        memory: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    clientToken: z.string().min(1).max(64).optional(),
    tags: tagsSchema.optional(),
    enableECSManagedTags: z.boolean().optional(),
    propagateTags: z.enum(['TASK_DEFINITION', 'SERVICE', 'NONE']).optional(),
  })
  .strict();
export type RunTaskInput = z.output<typeof runTaskInput>;

export const listTasksQuery = pageQuerySchema
  .extend({
    serviceName: z.string().min(1).max(255).optional(),
    family: z.string().min(1).max(255).optional(),
    startedBy: z.string().min(1).max(36).optional(),
    desiredStatus: z.enum(['RUNNING', 'STOPPED']).optional(),
    launchType: z.literal('FARGATE').optional(),
  })
  .strict();

export const stopTaskInput = z.object({ reason: z.string().max(255).optional() }).strict();

/** Task ids from a clientToken are deterministic, so a retried RunTask names the same tasks. */
const taskIdsFor = (clusterArn: string, count: number, clientToken?: string) =>
  Array.from({ length: count }, (_, index) =>
    clientToken
      ? createHash('sha256').update(`${clusterArn}#runtask#${clientToken}#${index}`).digest('hex').slice(0, 32)
      : randomUUID().replaceAll('-', ''),
  );

export const runTask = async (deps: Deps, input: RunTaskInput) => {
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
  const fleet = deps.fleets.forCluster(cluster);
  const outcomes = await fleet.launch(
    taskIds.map((taskId) => ({
      taskId,
      clusterName: cluster.clusterName,
      taskDefinition,
      startedBy: input.startedBy,
      group,
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
  const observations = accepted.length ? await fleet.observe(accepted, now) : [];
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
  if (stored.length) await deps.trigger.wake();
  return { tasks: stored.map(presentTask), failures };
};

const requireTask = async (deps: Deps, clusterName: string, task: string): Promise<TaskRecord> => {
  const record = await deps.tasks.get(clusterName, taskIdOf(task));
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
  const found = await Promise.all(tasks.map((task) => deps.tasks.get(cluster.clusterName, taskIdOf(task))));
  const { items, failures } = describedOrMissing(
    tasks,
    found,
    presentTask,
    (task) => arns.task(deps.scope, cluster.clusterName, taskIdOf(task)),
    includeTags,
  );
  return { tasks: items, failures };
};

export const listTasks = async (deps: Deps, clusterReference: string | undefined, input: z.output<typeof listTasksQuery>) => {
  const cluster = await requireActiveCluster(deps, clusterReference);
  const page = await deps.tasks.list(
    cluster.clusterName,
    {
      serviceName: input.serviceName,
      family: input.family,
      startedBy: input.startedBy,
      desiredStatus: input.desiredStatus ?? 'RUNNING',
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
  const now = deps.clock.now();
  const fleet = deps.fleets.forCluster(cluster);
  const [stopped] = await fleet.stop(
    [{ taskId: decided.taskId, ref: decided.ref, reason: decided.stoppedReason!, stopCode: 'UserInitiated' }],
    now,
  );
  const [observation] = await fleet.observe([stopped], now);
  const delivered = { ...applyObservation(decided, observation), version: decided.version + 1 };
  // If the reconciler got there first, it records the backend's report on its next pass.
  await deps.tasks.save(delivered).catch((error) => {
    if (!(error instanceof ConflictException)) throw error;
  });
  await deps.trigger.wake();
  return { task: presentTask(delivered) };
};
