import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { CapacityProviderRecord } from '../../domain/capacity-provider';
import { ClientException, ClusterNotFoundException, ConflictException } from '../../errors';
import type { CapacityProviderRepository, ClusterCapacityProviders } from '../../ports';
import type { TaskRecord } from '../../domain/task';
import { RECONCILE_INDEX, shardKey, toTask } from './fleet-items';
import { forEachPage, isConditionFailure, keys, putAtVersion, translateThrottling, type TableContext } from './table';

const PREFIX = 'CAPPROV#';
/** The reconcile index's partition where the capacity controller finds every account's providers. */
export const CAPACITY_INDEX_PARTITION = 'CAPACITY';

/**
 * Auto Scaling group capacity providers live in the account's partition (`CAPPROV#<name>`), one
 * item each with its simulated group and the controller's state, so DescribeCapacityProviders is
 * one Query and every change to a provider (a user's update, the controller's pass) is a write at
 * its version. Each is also in the reconcile index's `CAPACITY` partition (GSI1), where the
 * capacity controller finds the accounts that have any.
 */
export class DynamoCapacityProviderRepository implements CapacityProviderRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
  ) {}

  private key(name: string) {
    return { PK: keys.account(this.scope.accountId), SK: `${PREFIX}${name}` };
  }

  private item(record: CapacityProviderRecord) {
    return {
      ...this.key(record.name),
      GSI1PK: CAPACITY_INDEX_PARTITION,
      GSI1SK: `${this.scope.accountId}#${record.name}`,
      accountId: this.scope.accountId,
      ...record,
    };
  }

  async get(name: string): Promise<CapacityProviderRecord | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: this.key(name), ConsistentRead: true }))
      .catch(translateThrottling);
    return Item ? toRecord(Item) : undefined;
  }

  async list(): Promise<CapacityProviderRecord[]> {
    const found: CapacityProviderRecord[] = [];
    await forEachPage(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.account(this.scope.accountId), ':prefix': PREFIX },
        ConsistentRead: true,
      },
      (page) => found.push(...(page.Items ?? []).map(toRecord)),
    );
    return found;
  }

  /**
   * The cluster's live tasks, as the capacity controller observes them: one Query of the reconcile
   * index per shard over the cluster's range (stopped tasks are not in it).
   */
  async liveTasks(clusterName: string): Promise<TaskRecord[]> {
    const tasks: TaskRecord[] = [];
    await Promise.all(
      Array.from({ length: this.shards }, (_, shard) =>
        forEachPage(
          this.table,
          {
            IndexName: RECONCILE_INDEX,
            KeyConditionExpression: 'GSI1PK = :shard AND begins_with(GSI1SK, :range)',
            ExpressionAttributeValues: { ':shard': shardKey(shard), ':range': `${this.scope.accountId}#${clusterName}#` },
          },
          (page) => tasks.push(...(page.Items ?? []).filter((item) => item.kind === 'task').map(toTask)),
        ),
      ),
    );
    return tasks;
  }

  async create(record: CapacityProviderRecord): Promise<void> {
    try {
      await this.table.client.send(
        new PutCommand({ TableName: this.table.tableName, Item: this.item(record), ConditionExpression: 'attribute_not_exists(PK)' }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ClientException(
          'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.',
        );
      }
      translateThrottling(error);
    }
  }

  async save(record: CapacityProviderRecord): Promise<void> {
    try {
      await this.table.client.send(new PutCommand(putAtVersion(this.table.tableName, this.item(record))));
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The capacity provider was changed by another request; try again.');
      translateThrottling(error);
    }
  }

  async delete(record: CapacityProviderRecord): Promise<void> {
    try {
      await this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: this.key(record.name),
          ConditionExpression: 'version = :version AND attribute_not_exists(clusterName)',
          ExpressionAttributeValues: { ':version': record.version },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The capacity provider was changed by another request; try again.');
      translateThrottling(error);
    }
  }

  /**
   * The cluster's providers and default strategy, with the providers it gains and loses written at
   * the versions read (their `clusterName`), in one transaction: a provider attached meanwhile to
   * another cluster, or a cluster deleted meanwhile, changes nothing.
   */
  async putClusterProviders(change: ClusterCapacityProviders): Promise<void> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table.tableName,
                Key: { PK: keys.account(this.scope.accountId), SK: keys.clusterItem(change.clusterName) },
                UpdateExpression: 'SET capacityProviders = :providers, defaultCapacityProviderStrategy = :strategy',
                ConditionExpression: '#status = :active',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':providers': change.capacityProviders, ':strategy': change.defaultCapacityProviderStrategy, ':active': 'ACTIVE' },
              },
            },
            ...change.changedProviders.map((record) => ({ Put: putAtVersion(this.table.tableName, this.item(record)) })),
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) translateThrottling(error);
      const { Item } = await this.table.client
        .send(new GetCommand({ TableName: this.table.tableName, Key: { PK: keys.account(this.scope.accountId), SK: keys.clusterItem(change.clusterName) }, ConsistentRead: true }))
        .catch(translateThrottling);
      if (Item?.status !== 'ACTIVE') throw new ClusterNotFoundException();
      throw new ConflictException('A capacity provider of the cluster was changed by another request; try again.');
    }
  }
}

const ITEM_ONLY = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'accountId'] as const;

const toRecord = (item: Record<string, unknown>): CapacityProviderRecord => {
  const record = { ...item };
  for (const key of ITEM_ONLY) delete record[key];
  return record as unknown as CapacityProviderRecord;
};
