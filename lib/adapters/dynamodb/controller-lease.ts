import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EpochMs } from '../../domain/model';
import { forEachPage, isConditionFailure, translateThrottling, type TableContext } from './table';

/**
 * A controller's single lease (one loop at a time, across accounts: a wake-up during a running loop
 * leaves at once, the loop sees the change at its next pass), and the accounts it acts on: those
 * with an item in the reconcile index's partition `accountsPartition` (the scaling controller's
 * `SCALING` targets, the capacity controller's `CAPACITY` providers).
 */
export class ControllerLease {
  private readonly key: { PK: string; SK: string };

  constructor(
    private readonly table: TableContext,
    name: 'scaling' | 'capacity',
    private readonly accountsPartition: string,
  ) {
    this.key = { PK: 'SYSTEM', SK: `LEASE#${name}` };
  }

  /** Takes or renews the lease for `holder` until now + ttlMs; false while another holder has it. */
  async acquire(holder: string, now: EpochMs, ttlMs: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...this.key, holder, leaseUntil: now + ttlMs },
          ConditionExpression: 'attribute_not_exists(PK) OR leaseUntil < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return translateThrottling(error);
    }
  }

  async release(holder: string): Promise<void> {
    await this.table.client
      .send(new DeleteCommand({ TableName: this.table.tableName, Key: this.key, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } }))
      .catch((error: unknown) => (isConditionFailure(error) ? undefined : translateThrottling(error)));
  }

  /**
   * Whether any account has an item in the partition: one `Limit 1` read of keys, what the
   * reconciler's scheduled minute pays to learn whether to wake the controller at all.
   */
  async hasAccounts(): Promise<boolean> {
    const { Count } = await this.table.client
      .send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :partition',
          ExpressionAttributeValues: { ':partition': this.accountsPartition },
          ProjectionExpression: 'PK',
          Limit: 1,
        }),
      )
      .catch(translateThrottling);
    return (Count ?? 0) > 0;
  }

  /** Every account with at least one item in the partition. */
  async accounts(): Promise<string[]> {
    const accounts = new Set<string>();
    await forEachPage(
      this.table,
      { IndexName: 'GSI1', KeyConditionExpression: 'GSI1PK = :partition', ExpressionAttributeValues: { ':partition': this.accountsPartition }, ProjectionExpression: 'accountId' },
      (page) => (page.Items ?? []).forEach((item) => accounts.add(String(item.accountId))),
    );
    return [...accounts];
  }
}
