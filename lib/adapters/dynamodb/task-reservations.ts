import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictException, LimitExceededException } from '../../errors';
import type { QuotaSource } from '../../ports';
import { isExpired } from './fleet-items';
import { consistentGetMany, keys, translateThrottling, type TableContext } from './table';

/** The account's own item: kept counts for the account's quotas (clusters, running tasks). */
export const ACCOUNT_ITEM = 'ACCOUNT';

export const runningTasksExceeded = (limit: number) =>
  new LimitExceededException(
    `The maximum number of running tasks (${limit}) for this account has been reached. Lower a service's desired count or stop tasks, and try again.`,
  );

/** A task admitted by RunTask, as the account item lists it: "CLUSTER/TASK_ID". */
export const standaloneEntry = (clusterName: string, taskId: string) => `${clusterName}/${taskId}`;

export interface Reservation {
  /** The transaction's action on the account item. */
  action: object;
  limit: number;
  /** The standalone list's version it was computed from (growths only). */
  version?: number;
}

/**
 * The running-tasks quota (sandbox profile; docs/limits.md), checked at admission against a kept
 * counter on the account's item, `reservedTasksCount`: the desired counts of the account's
 * services plus its live standalone tasks. Every change rides in the transaction of the change it
 * counts (CreateService, UpdateService, DeleteService, RunTask) under a condition that keeps it
 * within the quota, so concurrent callers can never overshoot it.
 *
 * Standalone tasks stop on their own, recorded by the reconciler; rather than touch every such
 * write, the item lists the standalone tasks it counts (`standaloneTasks`), and every growth first
 * releases those that have stopped since (one consistent read of each), under `standaloneVersion`:
 * a concurrent growth makes the transaction fail, and the caller retries.
 */
export class TaskReservations {
  constructor(
    private readonly table: TableContext,
    private readonly quotas: QuotaSource,
  ) {}

  private async accountItem(accountId: string, projection: string) {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(accountId), SK: ACCOUNT_ITEM },
          ProjectionExpression: projection,
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return Item;
  }

  /** The standalone tasks the account item lists, and which of them still live. */
  private async standalone(accountId: string, now: number) {
    const Item = await this.accountItem(accountId, 'standaloneTasks, standaloneVersion, reservedTasksCount');
    const listed = (Item?.standaloneTasks as string[] | undefined) ?? [];
    const keyOf = (entry: string) => {
      const slash = entry.lastIndexOf('/');
      return { PK: keys.cluster(accountId, entry.slice(0, slash)), SK: keys.taskItem(entry.slice(slash + 1)) };
    };
    const items = listed.length ? await consistentGetMany(this.table, listed.map(keyOf)) : undefined;
    const live = listed.filter((entry) => {
      const item = items?.get(keyOf(entry));
      return item !== undefined && !isExpired(item, now) && item.lastStatus !== 'STOPPED';
    });
    return {
      version: (Item?.standaloneVersion as number | undefined) ?? 0,
      reserved: (Item?.reservedTasksCount as number | undefined) ?? 0,
      listed: listed.length,
      live,
    };
  }

  /**
   * The account item's update for `delta` more reserved tasks (fewer when negative), `admitted`
   * being the standalone tasks among them; undefined when the quota is not enforced. A standalone
   * task listed already (a RunTask retried with its clientToken) is not counted again.
   */
  async reserve(accountId: string, delta: number, now: number, admitted: string[] = []): Promise<Reservation | undefined> {
    if (delta === 0) return undefined;
    const { runningTasksPerAccount: limit } = await this.quotas.of(accountId);
    if (limit === undefined) return undefined;
    const key = { PK: keys.account(accountId), SK: ACCOUNT_ITEM };
    if (delta < 0) {
      return {
        limit,
        action: { Update: { TableName: this.table.tableName, Key: key, UpdateExpression: 'ADD reservedTasksCount :delta', ExpressionAttributeValues: { ':delta': delta } } },
      };
    }
    const { version, reserved, listed, live } = await this.standalone(accountId, now);
    const fresh = admitted.filter((entry) => !live.includes(entry));
    const change = delta - (admitted.length - fresh.length) - (listed - live.length);
    // Refused before anything is written (or launched); the transaction's condition decides races.
    if (reserved + change > limit) throw runningTasksExceeded(limit);
    return {
      limit,
      version,
      action: {
        Update: {
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: 'SET standaloneTasks = :standalone, standaloneVersion = :next ADD reservedTasksCount :change',
          ConditionExpression: [
            version === 0 ? 'attribute_not_exists(standaloneVersion)' : 'standaloneVersion = :version',
            '(attribute_not_exists(reservedTasksCount) OR reservedTasksCount <= :room)',
          ].join(' AND '),
          ExpressionAttributeValues: {
            ':standalone': [...live, ...fresh],
            ':next': version + 1,
            ':change': change,
            ':room': limit - change,
            ...(version === 0 ? {} : { ':version': version }),
          },
        },
      },
    };
  }

  /** Why a transaction's reservation was refused: the quota, or a concurrent growth (try again). */
  async refusal(accountId: string, reservation: Reservation): Promise<Error> {
    const Item = await this.accountItem(accountId, 'standaloneVersion');
    return ((Item?.standaloneVersion as number | undefined) ?? 0) === reservation.version
      ? runningTasksExceeded(reservation.limit)
      : new ConflictException("The account's tasks changed concurrently; try again.");
  }
}
