import { scopeOf } from '../../domain/arn';
import type { EpochMs } from '../../domain/model';
import { shardOf, STANDALONE } from '../../domain/shard';
import type { ServiceState } from '../../domain/service';
import type { TaskRecord } from '../../domain/task';
import { listKeys } from './list-index';
import { keys } from './table';

/**
 * How services and tasks are laid out as items. Both live in their cluster's partition; while
 * they need reconciling they also carry GSI1 keys, so that one Query per shard reads every live
 * service together with its live tasks (see docs/data-model.md).
 */

export const RECONCILE_INDEX = 'GSI1';

/**
 * The "next due" index (GSI3, keys only): sparse, it holds an item only while the reconciler has
 * something to do about it at a known time, keyed `SHARD#<n>` / `<due time>#<reconcile sort key>`, so a
 * scheduled minute reads only what is due by now, shard by shard (see docs/reconciler.md).
 */
export const DUE_INDEX = 'GSI3';

/** The due time of a desired-state change (an API write): due at once, whatever the clock says. */
export const DUE_NOW: EpochMs = 0;

/** Epoch milliseconds, zero-padded so that the index's string order is time order. */
const dueTime = (dueAt: EpochMs) => String(Math.max(0, Math.floor(dueAt))).padStart(15, '0');

/** Sorts after every due key of `now` and before any of a later millisecond. */
export const dueBound = (now: EpochMs) => `${dueTime(now)}#~`;


/** The stored due time of an item read from either index; undefined when it is not due. */
export const storedDueAt = (item: Record<string, unknown>): EpochMs | undefined =>
  typeof item.GSI3SK === 'string' ? Number(item.GSI3SK.slice(0, 15)) : undefined;

/** The reconcile-index sort key of the service (or cluster's standalone group) a due entry is about. */
export const dueOwner = (item: Record<string, unknown>): string => {
  const [, accountId, clusterName, owner] = String(item.GSI3SK).split('#');
  return `${accountId}#${clusterName}#${owner}`;
};

/** The due-index keys of an item, to set (or, undefined, to remove) them alone. */
export const dueIndexKeys = (item: { GSI1PK: string; GSI1SK: string }, dueAt: EpochMs | undefined) =>
  dueAt === undefined ? {} : { GSI3PK: item.GSI1PK, GSI3SK: `${dueTime(dueAt)}#${item.GSI1SK}` };

export const accountOf = (arn: string): string => scopeOf(arn).accountId;

export const shardKey = (shard: number) => `SHARD#${shard}`;

const ownerSortKey = (accountId: string, clusterName: string, serviceName: string | undefined) =>
  `${accountId}#${clusterName}#${serviceName ?? STANDALONE}`;

export const serviceKey = (accountId: string, clusterName: string, serviceName: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: keys.serviceItem(serviceName),
});

export const serviceEventsKey = (accountId: string, clusterName: string, serviceName: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: `${keys.serviceItem(serviceName)}#EVENTS`,
});

export const taskKey = (accountId: string, clusterName: string, taskId: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: keys.taskItem(taskId),
});

/**
 * A service item. `dueAt` is when the reconciler must next look at it: DUE_NOW after a desired-state
 * change, the plan's next wake-up after a reconcile, undefined when it is steady.
 */
export const serviceItem = (service: ServiceState, shards: number, dueAt: EpochMs | undefined) => {
  const accountId = accountOf(service.serviceArn);
  const reconcileKeys = {
    GSI1PK: shardKey(shardOf(accountId, service.clusterName, service.serviceName, shards)),
    GSI1SK: ownerSortKey(accountId, service.clusterName, service.serviceName),
  };
  return {
    ...serviceKey(accountId, service.clusterName, service.serviceName),
    kind: 'service' as const,
    ...(service.status === 'INACTIVE'
      ? {}
      : {
          ...reconcileKeys,
          ...dueIndexKeys(reconcileKeys, dueAt),
          // The list index (ListServices), see list-index.ts.
          GSI2SK: listKeys.service(service.serviceName),
        }),
    ...service,
  };
};

/**
 * A task item; once STOPPED it leaves the reconcile and due indexes and expires after the retention.
 * `dueAt`: DUE_NOW after an API write (RunTask, StopTask), a standalone task's next transition after
 * a reconcile; a service's task is looked at through its service's due time, so undefined.
 */
export const taskItem = (task: TaskRecord, shards: number, retentionMs: number, dueAt?: EpochMs) => {
  const accountId = accountOf(task.taskArn);
  const stopped = task.lastStatus === 'STOPPED';
  const reconcileKeys = {
    GSI1PK: shardKey(shardOf(accountId, task.clusterName, task.serviceName, shards)),
    GSI1SK: `${ownerSortKey(accountId, task.clusterName, task.serviceName)}#T#${task.taskId}`,
  };
  return {
    ...taskKey(accountId, task.clusterName, task.taskId),
    kind: 'task' as const,
    // The list index (ListTasks by desiredStatus), see list-index.ts.
    GSI2SK: listKeys.task(task.desiredStatus, task.taskId),
    ...(stopped
      ? { expiresAt: Math.ceil(((task.stoppedAt ?? task.createdAt) + retentionMs) / 1000) }
      : { ...reconcileKeys, ...dueIndexKeys(reconcileKeys, dueAt) }),
    ...task,
  };
};

const ITEM_ONLY = ['PK', 'SK', 'kind', 'GSI1PK', 'GSI1SK', 'GSI2SK', 'GSI3PK', 'GSI3SK', 'expiresAt'] as const;

const stripItem = <T>(item: Record<string, unknown>): T => {
  const record = { ...item };
  for (const key of ITEM_ONLY) delete record[key];
  return record as T;
};

export const toService = (item: Record<string, unknown>) => stripItem<ServiceState>(item);
export const toTask = (item: Record<string, unknown>) => stripItem<TaskRecord>(item);

/** An expired item may linger until DynamoDB's TTL sweeper removes it; reads must skip it. */
export const isExpired = (item: Record<string, unknown>, now: EpochMs) =>
  typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= now;
