import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ContainerInstanceRecord } from '../../domain/container-instance';
import type { EpochMs, LifecycleStatus } from '../../domain/model';
import type { ClusterInstances } from '../../domain/placement';
import { isPendingStatus, type TaskCharge, type TaskRecord } from '../../domain/task';
import { accountOf, isExpired, taskKey } from './fleet-items';
import { keys, translateThrottling, type Key, type TableContext } from './table';

/**
 * What EC2 tasks hold of their container instances, kept exact without the reconciler's help
 * (docs/ec2.md): a launch writes, in one transaction with its task, a small charge item beside the
 * instance (`CINST#<id>#T#<task id>`: cpu, memory, host ports, ENI, group) and bumps the instance's
 * version on the version it read, so concurrent launches on one instance serialize and none
 * over-commits it. A charge counts while its task is live: a reader looks up the tasks' lastStatus,
 * so a task that stops releases its share with no write at all, and the charge item is deleted
 * lazily by a later read. The instance's remainingResources, runningTasksCount and
 * pendingTasksCount are derived from the live charges on every read.
 *
 * SHARED ENTRY POINTS (RunTask/StartTask here, the reconciler's service launches):
 * - `loadClusterInstances`: the cluster's live instances with what is left, for `place`;
 * - `launchChargeItems`: the transaction items that charge a launch to the instances it was placed on.
 */

export const instanceSortKey = (id: string) => `CINST#${id}`;
const chargeSortKey = (instanceId: string, taskId: string) => `${instanceSortKey(instanceId)}#T#${taskId}`;

const INSTANCE_KIND = 'container-instance';
const CHARGE_KIND = 'instance-charge';

const INSTANCE_ID = /^[0-9a-f]{32}$/;

/** The id in a container instance ARN (its last part). */
export const instanceIdOfArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

interface ChargeItem extends TaskCharge {
  taskId: string;
  instanceId: string;
  group: string;
}

/** Attributes of a stored instance item that are the item's, not the record's; the derived ones are never trusted. */
const ITEM_ONLY = ['PK', 'SK', 'kind', 'GSI2SK', 'expiresAt'] as const;

export const toInstanceRecord = (item: Record<string, unknown>): ContainerInstanceRecord => {
  const record = { ...item };
  for (const key of ITEM_ONLY) delete record[key];
  return record as unknown as ContainerInstanceRecord;
};

/** The instances' and charges' items under one prefix of the cluster's partition: one strongly consistent Query. */
const readPrefix = async (table: TableContext, partition: string, prefix: string) => {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client
      .send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      )
      .catch(translateThrottling);
    items.push(...((page.Items ?? []) as Array<Record<string, unknown>>));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

/** The lastStatus of each charged task that still has an item (strongly consistent, projected). */
const taskStatuses = async (table: TableContext, accountId: string, clusterName: string, taskIds: string[], now: EpochMs) => {
  const statuses = new Map<string, LifecycleStatus>();
  const keyOf = (taskId: string): Key => taskKey(accountId, clusterName, taskId);
  let pending = [...new Set(taskIds)].map(keyOf);
  while (pending.length > 0) {
    const batch = pending.slice(0, 100);
    const result = await table.client
      .send(
        new BatchGetCommand({
          RequestItems: {
            [table.tableName]: { Keys: batch, ConsistentRead: true, ProjectionExpression: 'SK, lastStatus, expiresAt' },
          },
        }),
      )
      .catch(translateThrottling);
    for (const item of result.Responses?.[table.tableName] ?? []) {
      if (!isExpired(item, now)) statuses.set(String(item.SK).slice(keys.taskItem('').length), item.lastStatus as LifecycleStatus);
    }
    pending = [...((result.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Key[]), ...pending.slice(100)];
  }
  return statuses;
};

/** At most this many stale charges are deleted per read: the rest wait for the next one. */
const MAX_STALE_DELETES = 25;

/**
 * The instances (as stored) with their live charges applied: remaining resources, task counts, and
 * the groups of their live tasks (for distinctInstance, spread and `task:group`). Charges of
 * stopped or expired tasks are left out and deleted, best effort.
 */
const withLiveCharges = async (
  table: TableContext,
  accountId: string,
  clusterName: string,
  instances: ContainerInstanceRecord[],
  charges: ChargeItem[],
  now: EpochMs,
): Promise<ClusterInstances> => {
  const known = new Set(instances.map((instance) => instance.id));
  const relevant = charges.filter((charge) => known.has(charge.instanceId));
  const statuses = relevant.length ? await taskStatuses(table, accountId, clusterName, relevant.map((charge) => charge.taskId), now) : new Map();
  const live = new Map<string, Array<ChargeItem & { lastStatus: LifecycleStatus }>>();
  const stale: ChargeItem[] = [];
  for (const charge of relevant) {
    const lastStatus = statuses.get(charge.taskId);
    if (lastStatus === undefined || lastStatus === 'STOPPED') stale.push(charge);
    else live.set(charge.instanceId, [...(live.get(charge.instanceId) ?? []), { ...charge, lastStatus }]);
  }
  await deleteStale(table, accountId, clusterName, stale.slice(0, MAX_STALE_DELETES));
  const taskGroups = new Map<string, string[]>();
  const derived = instances.map((instance) => {
    const held = live.get(instance.id) ?? [];
    taskGroups.set(instance.id, held.map((charge) => charge.group));
    const sum = (field: 'cpu' | 'memory') => held.reduce((total, charge) => total + charge[field], 0);
    const pending = held.filter((charge) => isPendingStatus(charge.lastStatus)).length;
    return {
      ...instance,
      remaining: {
        cpu: instance.registered.cpu - sum('cpu'),
        memory: instance.registered.memory - sum('memory'),
        ports: [...instance.registered.ports, ...held.flatMap((charge) => charge.tcpPorts)],
        portsUdp: [...instance.registered.portsUdp, ...held.flatMap((charge) => charge.udpPorts)],
      },
      remainingEnis: instance.registeredEnis - held.filter((charge) => charge.eni).length,
      pendingTasksCount: pending,
      runningTasksCount: held.length - pending,
    };
  });
  return { instances: derived, taskGroups };
};

/** Charges of tasks that are gone count for nothing; deleting them only keeps reads small, so failures are ignored. */
const deleteStale = async (table: TableContext, accountId: string, clusterName: string, stale: ChargeItem[]) => {
  if (stale.length === 0) return;
  const partition = keys.cluster(accountId, clusterName);
  await table.client
    .send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: stale.map((charge) => ({
            DeleteRequest: { Key: { PK: partition, SK: chargeSortKey(charge.instanceId, charge.taskId) } },
          })),
        },
      }),
    )
    .catch(() => undefined);
};

const splitItems = (items: Array<Record<string, unknown>>, now: EpochMs) => ({
  instances: items.filter((item) => item.kind === INSTANCE_KIND && !isExpired(item, now)).map(toInstanceRecord),
  charges: items.filter((item) => item.kind === CHARGE_KIND) as unknown as ChargeItem[],
});

/**
 * SHARED ENTRY POINT. The cluster's ACTIVE and DRAINING container instances with what is left on
 * each (remainingResources, runningTasksCount, pendingTasksCount derived from the live tasks placed
 * there) and the groups of those tasks: what `place` (lib/domain/placement.ts) takes. Each record's
 * `version` is the one to charge a launch against (`launchChargeItems`). Cost: one Query of the
 * cluster's instances and charges, one BatchGetItem of the charged tasks' status.
 */
export const loadClusterInstances = async (
  table: TableContext,
  accountId: string,
  clusterName: string,
  now: EpochMs,
): Promise<ClusterInstances> => {
  const { instances, charges } = splitItems(await readPrefix(table, keys.cluster(accountId, clusterName), instanceSortKey('')), now);
  return withLiveCharges(
    table,
    accountId,
    clusterName,
    instances.filter((instance) => instance.status !== 'INACTIVE'),
    charges,
    now,
  );
};

/** One instance (any status, INACTIVE until its retention ends) with what is left on it. */
export const loadInstance = async (
  table: TableContext,
  accountId: string,
  clusterName: string,
  id: string,
  now: EpochMs,
): Promise<ContainerInstanceRecord | undefined> => {
  // Ids are 32 hex digits: anything else names no instance, and must not widen the prefix read.
  if (!INSTANCE_ID.test(id)) return undefined;
  const { instances, charges } = splitItems(await readPrefix(table, keys.cluster(accountId, clusterName), instanceSortKey(id)), now);
  const [instance] = instances.filter((record) => record.id === id);
  if (!instance) return undefined;
  return (await withLiveCharges(table, accountId, clusterName, [instance], charges, now)).instances[0];
};

/**
 * SHARED ENTRY POINT. The transaction items that charge EC2 tasks to the instances they were
 * placed on: for each instance, an Update bumping its version on condition that it is still the
 * version `instances` were read at (loadClusterInstances), and for each task a Put of its charge.
 * Write them in the same transaction as the tasks' own Puts. A cancellation on an instance's item
 * (ConditionalCheckFailed or TransactionConflict) means another launch or change got there first:
 * read again and place again. Tasks without a containerInstanceArn (Fargate, or waiting for
 * capacity) charge nothing.
 */
export const launchChargeItems = (
  tableName: string,
  instances: readonly ContainerInstanceRecord[],
  tasks: readonly TaskRecord[],
) => {
  const placed = tasks.filter((task) => task.containerInstanceArn && task.charged);
  const instanceIds = [...new Set(placed.map((task) => instanceIdOfArn(task.containerInstanceArn!)))];
  return [
    ...instanceIds.map((id) => {
      const instance = instances.find((record) => record.id === id);
      if (!instance) throw new Error(`launchChargeItems: instance ${id} was not read`);
      return {
        Update: {
          TableName: tableName,
          Key: { PK: keys.cluster(accountOf(placed[0].taskArn), instance.clusterName), SK: instanceSortKey(id) },
          UpdateExpression: 'SET version = :next',
          ConditionExpression: 'version = :read',
          ExpressionAttributeValues: { ':read': instance.version, ':next': instance.version + 1 },
        },
      };
    }),
    ...placed.map((task) => {
      const instanceId = instanceIdOfArn(task.containerInstanceArn!);
      const { cpu, memory, tcpPorts, udpPorts, eni } = task.charged!;
      return {
        Put: {
          TableName: tableName,
          Item: {
            PK: keys.cluster(accountOf(task.taskArn), task.clusterName),
            SK: chargeSortKey(instanceId, task.taskId),
            kind: CHARGE_KIND,
            taskId: task.taskId,
            instanceId,
            group: task.group,
            cpu,
            memory,
            tcpPorts,
            udpPorts,
            eni,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      };
    }),
  ];
};

/** How many of `launchChargeItems`' first items are the instances' Updates (to read a cancellation's codes). */
export const chargedInstanceCount = (tasks: readonly TaskRecord[]) =>
  new Set(tasks.flatMap((task) => (task.containerInstanceArn && task.charged ? [task.containerInstanceArn] : []))).size;
