import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { ScalableTarget, ScalingActivity } from '../../domain/scaling';
import { ConflictException } from '../../errors';
import type { ScalingRepository, ServiceActivities } from '../../ports';
import { retryOnConflict } from '../../retry';
import { forEachPage, isConditionFailure, keys, translateThrottling, type TableContext } from './table';

/** Application Auto Scaling keeps a target's recent activities; ecsbox keeps this many per service. */
export const MAX_SCALING_ACTIVITIES = 100;

/** Concurrent writers of one service's activities retry this often before one is told to try again. */
const MAX_ACTIVITY_ATTEMPTS = 20;

const TARGET_PREFIX = 'SCALING#';
const ACTIVITIES_PREFIX = 'SCALINGACT#';

/**
 * Scalable targets live in the account's partition (`SCALING#<cluster>#<service>`), one item each
 * with its policies and scheduled actions, so DescribeScalableTargets, DescribeScalingPolicies and
 * DescribeScheduledActions are one Query of the account; a target's activities are an item of their
 * own (`SCALINGACT#…`), so the controller's writes of activities never race a user's PutScalingPolicy.
 * Every target is also in the reconcile index's `SCALING` partition (GSI1), where the scaling
 * controller finds the targets of every account in one Query.
 */
export class DynamoScalingRepository implements ScalingRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
  ) {}

  private key(prefix: string, clusterName: string, serviceName: string) {
    return { PK: keys.account(this.scope.accountId), SK: `${prefix}${clusterName}#${serviceName}` };
  }

  async get(clusterName: string, serviceName: string): Promise<ScalableTarget | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: this.key(TARGET_PREFIX, clusterName, serviceName), ConsistentRead: true }))
      .catch(translateThrottling);
    return Item ? toTarget(Item) : undefined;
  }

  private async query<T>(prefix: string, read: (item: Record<string, unknown>) => T): Promise<T[]> {
    const found: T[] = [];
    await forEachPage(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.account(this.scope.accountId), ':prefix': prefix },
        ConsistentRead: true,
      },
      (page) => found.push(...(page.Items ?? []).map(read)),
    );
    return found;
  }

  list(): Promise<ScalableTarget[]> {
    return this.query(TARGET_PREFIX, toTarget);
  }

  async save(target: ScalableTarget): Promise<void> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...this.key(TARGET_PREFIX, target.clusterName, target.serviceName),
            GSI1PK: 'SCALING',
            GSI1SK: `${this.scope.accountId}#${target.clusterName}#${target.serviceName}`,
            accountId: this.scope.accountId,
            ...target,
          },
          ConditionExpression: target.version === 1 ? 'attribute_not_exists(PK)' : 'version = :previous',
          ...(target.version === 1 ? {} : { ExpressionAttributeValues: { ':previous': target.version - 1 } }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The scalable target was changed by another request; try again.');
      translateThrottling(error);
    }
  }

  async delete(target: ScalableTarget): Promise<void> {
    try {
      await this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: this.key(TARGET_PREFIX, target.clusterName, target.serviceName),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': target.version },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The scalable target was changed by another request; try again.');
      translateThrottling(error);
    }
  }

  async activities(service?: { clusterName: string; serviceName: string }): Promise<ServiceActivities[]> {
    if (!service) return this.query(ACTIVITIES_PREFIX, toActivities);
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: this.key(ACTIVITIES_PREFIX, service.clusterName, service.serviceName),
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return Item ? [toActivities(Item)] : [];
  }

  updateActivities(clusterName: string, serviceName: string, change: (current: ScalingActivity[]) => ScalingActivity[]): Promise<void> {
    const key = this.key(ACTIVITIES_PREFIX, clusterName, serviceName);
    return retryOnConflict(
      async () => {
        const { Item } = await this.table.client
          .send(new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }))
          .catch(translateThrottling);
        const version = Number(Item?.version ?? 0);
        const activities = change((Item?.activities as ScalingActivity[] | undefined) ?? []).slice(0, MAX_SCALING_ACTIVITIES);
        try {
          await this.table.client.send(
            new PutCommand({
              TableName: this.table.tableName,
              Item: { ...key, clusterName, serviceName, activities, version: version + 1 },
              ConditionExpression: version === 0 ? 'attribute_not_exists(PK)' : 'version = :read',
              ...(version === 0 ? {} : { ExpressionAttributeValues: { ':read': version } }),
            }),
          );
        } catch (error) {
          if (isConditionFailure(error)) throw new ConflictException('Too many concurrent scaling activities; try again.');
          translateThrottling(error);
        }
      },
      MAX_ACTIVITY_ATTEMPTS,
      'Too many concurrent scaling activities; try again.',
    );
  }
}

const ITEM_ONLY = new Set(['PK', 'SK', 'GSI1PK', 'GSI1SK', 'accountId']);

const toTarget = (item: Record<string, unknown>): ScalableTarget =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !ITEM_ONLY.has(name))) as unknown as ScalableTarget;

const toActivities = (item: Record<string, unknown>): ServiceActivities => ({
  clusterName: String(item.clusterName),
  serviceName: String(item.serviceName),
  activities: (item.activities as ScalingActivity[] | undefined) ?? [],
});
