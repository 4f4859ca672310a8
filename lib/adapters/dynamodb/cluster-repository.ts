import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { arns, type ArnScope } from '../../domain/arn';
import type { Cluster, ClusterFleet, EpochMs, Tag } from '../../domain/model';
import { ClusterContainsServicesException, ClusterNotFoundException } from '../../errors';
import type { ClusterRepository, Page, PageRequest, TagChange } from '../../ports';
import { isConditionFailure, keys, queryPage, rewriteTags, translateThrottling, type TableContext } from './table';

interface ClusterItem {
  PK: string;
  SK: string;
  clusterName: string;
  status: Cluster['status'];
  activeServicesCount: number;
  tags?: Tag[];
  createdAt: EpochMs;
  fleet?: ClusterFleet;
}

export class DynamoClusterRepository implements ClusterRepository {
  private readonly partition: string;

  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
  ) {
    this.partition = keys.account(scope.accountId);
  }

  private toCluster(item: ClusterItem): Cluster {
    return {
      clusterArn: arns.cluster(this.scope, item.clusterName),
      clusterName: item.clusterName,
      status: item.status,
      activeServicesCount: item.activeServicesCount,
      // Task counts are filled in by the use case from the task repository.
      runningTasksCount: 0,
      pendingTasksCount: 0,
      registeredContainerInstancesCount: 0,
      ...(item.tags?.length ? { tags: item.tags } : {}),
      createdAt: item.createdAt,
      ...(item.fleet ? { fleet: item.fleet } : {}),
    };
  }

  private async getItem(clusterName: string): Promise<ClusterItem | undefined> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: this.partition, SK: keys.clusterItem(clusterName) },
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return Item as ClusterItem | undefined;
  }

  async create(clusterName: string, tags: Tag[] | undefined, now: EpochMs, fleet?: ClusterFleet): Promise<Cluster> {
    const item: ClusterItem = {
      PK: this.partition,
      SK: keys.clusterItem(clusterName),
      clusterName,
      status: 'ACTIVE',
      activeServicesCount: 0,
      ...(tags?.length ? { tags } : {}),
      createdAt: now,
      ...(fleet ? { fleet } : {}),
    };
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: item,
          // A deleted (INACTIVE) cluster's name may be used again, as in ECS.
          ConditionExpression: 'attribute_not_exists(PK) OR #status = :inactive',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inactive': 'INACTIVE' },
        }),
      );
      return this.toCluster(item);
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const existing = await this.getItem(clusterName);
      if (!existing) throw error;
      return this.toCluster(existing);
    }
  }

  async get(clusterName: string): Promise<Cluster | undefined> {
    const item = await this.getItem(clusterName);
    return item ? this.toCluster(item) : undefined;
  }

  async list(page: PageRequest): Promise<Page<string>> {
    const { items, nextToken } = await queryPage<ClusterItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        FilterExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': this.partition, ':prefix': 'CLUSTER#', ':active': 'ACTIVE' },
      },
      { list: 'ListClusters', partition: this.partition },
      page,
    );
    return { items: items.map((item) => arns.cluster(this.scope, item.clusterName)), nextToken };
  }

  async delete(clusterName: string): Promise<Cluster> {
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { PK: this.partition, SK: keys.clusterItem(clusterName) },
          UpdateExpression: 'SET #status = :inactive',
          ConditionExpression: '#status = :active AND activeServicesCount = :zero',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inactive': 'INACTIVE', ':active': 'ACTIVE', ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.toCluster(Attributes as ClusterItem);
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const existing = await this.getItem(clusterName);
      if (!existing || existing.status !== 'ACTIVE') throw new ClusterNotFoundException();
      throw new ClusterContainsServicesException();
    }
  }

  updateTags(clusterName: string, change: TagChange): Promise<Tag[] | undefined> {
    return rewriteTags(this.table, { PK: this.partition, SK: keys.clusterItem(clusterName) }, change, {
      expression: '#status = :active',
      names: { '#status': 'status' },
      values: { ':active': 'ACTIVE' },
    });
  }
}
