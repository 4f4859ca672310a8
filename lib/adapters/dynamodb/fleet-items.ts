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

export const serviceItem = (service: ServiceState, shards: number) => {
  const accountId = accountOf(service.serviceArn);
  return {
    ...serviceKey(accountId, service.clusterName, service.serviceName),
    kind: 'service' as const,
    ...(service.status === 'INACTIVE'
      ? {}
      : {
          GSI1PK: shardKey(shardOf(accountId, service.clusterName, service.serviceName, shards)),
          GSI1SK: ownerSortKey(accountId, service.clusterName, service.serviceName),
          // The list index (ListServices), see list-index.ts.
          GSI2SK: listKeys.service(service.serviceName),
        }),
    ...service,
  };
};

/** A task item; once STOPPED it leaves the reconcile index and expires after the retention. */
export const taskItem = (task: TaskRecord, shards: number, retentionMs: number) => {
  const accountId = accountOf(task.taskArn);
  const stopped = task.lastStatus === 'STOPPED';
  return {
    ...taskKey(accountId, task.clusterName, task.taskId),
    kind: 'task' as const,
    // The list index (ListTasks by desiredStatus), see list-index.ts.
    GSI2SK: listKeys.task(task.desiredStatus, task.taskId),
    ...(stopped
      ? { expiresAt: Math.ceil(((task.stoppedAt ?? task.createdAt) + retentionMs) / 1000) }
      : {
          GSI1PK: shardKey(shardOf(accountId, task.clusterName, task.serviceName, shards)),
          GSI1SK: `${ownerSortKey(accountId, task.clusterName, task.serviceName)}#T#${task.taskId}`,
        }),
    ...task,
  };
};

const ITEM_ONLY = ['PK', 'SK', 'kind', 'GSI1PK', 'GSI1SK', 'GSI2SK', 'expiresAt'] as const;

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
