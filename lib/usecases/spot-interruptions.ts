import * as z from 'zod';
import { references, taskIdOf } from '../domain/arn';
import { presentTask, type TaskRecord } from '../domain/task';
import { lazySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { InvalidParameterException } from '../errors';
import { retryOnConflict } from '../retry';
import { requireActiveCluster } from './clusters';
import { shardOfTask } from './tasks';

/** ECS's words on a Spot task it reclaims. */
export const SPOT_INTERRUPTED_REASON = 'Your Spot Task was interrupted.';
/** Fargate Spot's warning before the task is stopped: two minutes (10 s on the fast profile). */
export const SPOT_WARNING_MS = 120_000;

export const spotInterruptionsInput = lazySchema(() =>
  z
    .object({
      count: z.number().int().min(1).max(100).optional(),
      tasks: z.array(references.task()).min(1).max(100).optional(),
    })
    .strict(),
);

const isInterruptible = (task: TaskRecord) =>
  task.capacityProviderName === 'FARGATE_SPOT' && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING' && task.ref !== undefined;

/**
 * FARGATE_SPOT interruptions on purpose (ecsbox's REST API; real Fargate reclaims Spot capacity on
 * its own): each chosen RUNNING Spot task gets the two-minute warning. It stays RUNNING with
 * desiredStatus STOPPED, stopCode SpotInterruption and ECS's stoppedReason (a service starts its
 * replacement at once), and stops when the warning ends. `tasks` names them; else `count` of the
 * cluster's RUNNING Spot tasks (1 by default), oldest first.
 */
export const interruptSpotTasks = async (deps: Deps, clusterReference: string, input: SchemaOutput<typeof spotInterruptionsInput>) => {
  if (input.tasks && input.count !== undefined) throw new InvalidParameterException('Give either tasks or count, not both.');
  const cluster = await requireActiveCluster(deps, clusterReference);
  if (deps.fleets.settingsFor(cluster.fleet).backend !== 'simulated') {
    throw new InvalidParameterException('Spot interruptions can be simulated only on a cluster of the simulated fleet; Fargate interrupts its Spot tasks itself.');
  }
  const chosen = input.tasks ? await namedTasks(deps, cluster.clusterName, input.tasks) : await oldestSpotTasks(deps, cluster.clusterName, input.count ?? 1);
  const fleet = deps.fleets.forCluster(cluster);
  const now = deps.clock.now();
  const stopsAt = now + SPOT_WARNING_MS / deps.timeScale;
  const interrupted: TaskRecord[] = [];
  for (const task of chosen) {
    const decided = await retryOnConflict(
      async () => {
        const current = await deps.tasks.get(cluster.clusterName, task.taskId);
        if (!current || !isInterruptible(current)) return undefined;
        const [stopped] = await fleet.stop([{ taskId: current.taskId, ref: current.ref!, reason: SPOT_INTERRUPTED_REASON, stopCode: 'SpotInterruption' }], stopsAt);
        const next: TaskRecord = {
          ...current,
          ref: stopped.ref,
          desiredStatus: 'STOPPED',
          stopCode: 'SpotInterruption',
          stoppedReason: SPOT_INTERRUPTED_REASON,
          version: current.version + 1,
        };
        await deps.tasks.save(next);
        return next;
      },
      10,
      'The task is being changed by others; try again.',
    );
    if (decided) interrupted.push(decided);
  }
  // The shards that hold the interrupted tasks, each woken for its due work: a wake-up naming no
  // shard would resync them all, and end at once when any one of them is busy (the holder then
  // need not be passing over this cluster), leaving the replacements to the next minute.
  await Promise.all([...new Set(interrupted.map((task) => shardOfTask(deps, task)))].map((shard) => deps.trigger.wake(shard)));
  return { tasks: interrupted.map(presentTask), stopsAt };
};

const namedTasks = async (deps: Deps, clusterName: string, references: string[]) => {
  const tasks: TaskRecord[] = [];
  for (const reference of references) {
    const id = taskIdOf(deps.scope, reference);
    const task = id === undefined ? undefined : await deps.tasks.get(clusterName, id);
    if (!task || !isInterruptible(task)) {
      throw new InvalidParameterException(`tasks: ${reference} is not a RUNNING FARGATE_SPOT task of the cluster.`);
    }
    tasks.push(task);
  }
  return tasks;
};

const oldestSpotTasks = async (deps: Deps, clusterName: string, count: number) =>
  (await deps.capacityProviders.liveTasks(clusterName))
    .filter(isInterruptible)
    .sort((a, b) => (a.startedAt ?? a.createdAt) - (b.startedAt ?? b.createdAt) || a.taskId.localeCompare(b.taskId))
    .slice(0, count);
