import * as z from 'zod';
import { LIFECYCLE } from '../domain/model';
import { shardOf } from '../domain/shard';
import { applyObservation, type TaskRecord } from '../domain/task';
import { lazySchema } from '../domain/validation';
import type { Clock } from '../deps';
import { FargateFleet, recordOfEcsGroup, taskOfEvent } from '../fleet/fargate';
import type { FleetResolver } from '../fleet/resolver';
import type { ReconcileStore, ReconcileTrigger } from '../ports';

/**
 * ECS's "ECS Task State Change" events on EventBridge (a rule in serverless.yml sends those of
 * ecsbox's Fargate tasks to the reconciler): each is an observation of one task, applied to its
 * record as the reconciler applies DescribeTasks', under the shard's lease, so a task that stops or
 * starts running is recorded at once rather than at the next poll. DescribeTasks stays for the
 * passes (the resync, and tasks whose events are late or lost: EventBridge delivers at least once,
 * in no guaranteed order).
 */

/** The parts of the event the reconciler reads; the detail is ECS's Task (docs/reconciler.md). */
export const taskStateChangeEvent = lazySchema(() =>
  z.object({
    source: z.literal('aws.ecs'),
    'detail-type': z.literal('ECS Task State Change'),
    detail: z.looseObject({
      taskArn: z.string(),
      group: z.string().optional(),
      lastStatus: z.string(),
      desiredStatus: z.string().optional(),
      healthStatus: z.string().optional(),
    }),
  }),
);

export const isTaskStateChange = (event: unknown) => taskStateChangeEvent().safeParse(event).success;

export interface TaskEventContext {
  store: ReconcileStore;
  fleets: FleetResolver;
  trigger: ReconcileTrigger;
  clock: Clock;
  shards: number;
  leaseTtlMs: number;
  holder: string;
}

export type TaskEventOutcome =
  /** The record now says what the event said; the shard was woken to act on it. */
  | 'applied'
  /** Not an ecsbox task (its group names no record), or its record is gone or another task's. */
  | 'unknown'
  /** Nothing new, or older than what the record says (events arrive in no guaranteed order). */
  | 'stale'
  /** A reconciler holds the shard's lease: it is passing over the shard, and observes the task itself. */
  | 'busy';

const order = (status: string) => LIFECYCLE.indexOf(status as (typeof LIFECYCLE)[number]);

export const applyTaskStateChange = async (context: TaskEventContext, event: unknown): Promise<TaskEventOutcome> => {
  const { detail } = taskStateChangeEvent().parse(event);
  const owner = recordOfEcsGroup(detail.group);
  if (!owner) return 'unknown';
  const record = await context.store.task(owner.accountId, owner.clusterName, owner.taskId);
  if (!record || record.ref?.kind !== 'fargate' || record.ref.taskArn !== detail.taskArn) return 'unknown';
  // A task only moves forward through its lifecycle: an event behind the record is an old one.
  if (record.lastStatus === 'STOPPED' || order(detail.lastStatus) < order(record.lastStatus)) return 'stale';
  const fleet = context.fleets.forCluster({ clusterArn: record.clusterArn, fleet: await context.store.clusterFleet(record.clusterArn) });
  if (!(fleet instanceof FargateFleet)) return 'unknown';
  const observed = await fleet.observeEvent(taskOfEvent(detail));
  const next = applyObservation(record, {
    taskId: record.taskId,
    ref: record.ref,
    ...observed,
    // Events carry no health (ECS: ask DescribeTasks): what the record knew stands.
    ...(detail.healthStatus === undefined
      ? {
          healthStatus: record.healthStatus,
          containers: observed.containers.map((container, index) => ({ ...container, healthStatus: record.containers[index]?.healthStatus ?? container.healthStatus })),
        }
      : {}),
  });
  if (next === record) return 'stale';
  const shard = shardOf(owner.accountId, owner.clusterName, record.serviceName, context.shards);
  const lease = await context.store.acquireLease(shard, context.holder, context.clock.now(), context.leaseTtlMs);
  if (!lease) return 'busy';
  try {
    const written: TaskRecord = { ...next, version: record.version + 1 };
    // Due at once in the "next due" index (the task's service, or the standalone task itself), so
    // the wake-up's due pass reads it and acts on what the event says.
    const now = context.clock.now();
    const dues = record.serviceName ? undefined : new Map([[written.taskId, now]]);
    if (!(await context.store.commitTasks(lease, [written], now, dues))) return 'stale';
    if (record.serviceName) {
      const service = { accountId: owner.accountId, clusterName: owner.clusterName, serviceName: record.serviceName };
      await context.store.setServiceDue(lease, service, now, context.clock.now());
    }
  } finally {
    await context.store.releaseLease(lease);
  }
  // The service may have to act on it (replace a stopped task, count a running one).
  await context.trigger.wake(shard);
  return 'applied';
};
