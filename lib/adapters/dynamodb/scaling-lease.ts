import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EpochMs } from '../../domain/model';
import { forEachPage, isConditionFailure, translateThrottling, type TableContext } from './table';

const LEASE_KEY = { PK: 'SYSTEM', SK: 'LEASE#scaling' };

/**
 * The scaling controller's single lease (one controller loop at a time, across accounts: a wake-up
 * during a running loop leaves at once, the loop sees the change within a metric minute), and the
 * accounts that have scalable targets (the reconcile index's `SCALING` partition).
 */
export class ScalingLease {
  constructor(private readonly table: TableContext) {}

  /** Takes or renews the lease for `holder` until now + ttlMs; false while another holder has it. */
  async acquire(holder: string, now: EpochMs, ttlMs: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...LEASE_KEY, holder, leaseUntil: now + ttlMs },
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
      .send(new DeleteCommand({ TableName: this.table.tableName, Key: LEASE_KEY, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } }))
      .catch((error: unknown) => (isConditionFailure(error) ? undefined : translateThrottling(error)));
  }

  /** Every account with at least one scalable target. */
  async accounts(): Promise<string[]> {
    const accounts = new Set<string>();
    await forEachPage(
      this.table,
      { IndexName: 'GSI1', KeyConditionExpression: 'GSI1PK = :scaling', ExpressionAttributeValues: { ':scaling': 'SCALING' }, ProjectionExpression: 'accountId' },
      (page) => (page.Items ?? []).forEach((item) => accounts.add(String(item.accountId))),
    );
    return [...accounts];
  }
}
