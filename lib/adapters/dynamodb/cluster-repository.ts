import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { arns, type ArnScope } from '../../domain/arn';
import type { Cluster, ClusterConfiguration, ClusterFleet, EpochMs, Tag } from '../../domain/model';
import { isPendingStatus } from '../../domain/task';
import { ClientException, ClusterContainsContainerInstancesException, ClusterContainsServicesException, ClusterNotFoundException, ConflictException } from '../../errors';
import type { ClusterActivity, ClusterRepository, Page, PageRequest, QuotaSource, TagChange } from '../../ports';
import { withRetries } from '../../retry';
import { RECONCILE_INDEX, shardKey } from './fleet-items';
import { listIndexQuery, listKeys } from './list-index';
// The account's own item: its kept count of ACTIVE clusters, for ECS's clusters-per-account quota.
import { ACCOUNT_ITEM } from './task-reservations';
import {
  cancellationCodes,
  forEachPage,
  isConditionFailure,
  keys,
  putNewOrInactive,
  consistentGet, queryPage, rewriteTags, translateThrottling, type TableContext } from './table';

interface ClusterItem extends Partial<ClusterConfiguration> {
  PK: string;
  SK: string;
  GSI2SK?: string;
  clusterName: string;
  status: Cluster['status'];
  activeServicesCount: number;
  /** Kept in the same transactions as container instance registrations. */
  registeredContainerInstancesCount?: number;
  tags?: Tag[];
  createdAt: EpochMs;
  fleet?: ClusterFleet;
}

const MAX_CREATE_ATTEMPTS = 20;


/** ECS's account default for Container Insights, echoed when CreateCluster names no setting. */
const DEFAULT_SETTINGS: ClusterConfiguration['settings'] = [{ name: 'containerInsights', value: 'disabled' }];

export class DynamoClusterRepository implements ClusterRepository {
  private readonly partition: string;

  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
    private readonly quotas: QuotaSource,
  ) {
    this.partition = keys.account(scope.accountId);
  }

  private toCluster(item: ClusterItem): Cluster {
    return {
      clusterArn: arns.cluster(this.scope, item.clusterName),
      clusterName: item.clusterName,
      status: item.status,
      activeServicesCount: item.activeServicesCount,
      // Task counts and statistics are filled in by the use case from activity().
      runningTasksCount: 0,
      pendingTasksCount: 0,
      registeredContainerInstancesCount: item.registeredContainerInstancesCount ?? 0,
      statistics: [],
      ...(item.tags?.length ? { tags: item.tags } : {}),
      settings: item.settings ?? DEFAULT_SETTINGS,
      capacityProviders: item.capacityProviders ?? [],
      defaultCapacityProviderStrategy: item.defaultCapacityProviderStrategy ?? [],
      createdAt: item.createdAt,
      ...(item.fleet ? { fleet: item.fleet } : {}),
    };
  }

  private key(clusterName: string) {
    return { PK: this.partition, SK: keys.clusterItem(clusterName) };
  }

  /** Read with whatever else the request reads in the same turn (the services it describes, say). */
  private async getItem(clusterName: string): Promise<ClusterItem | undefined> {
    return (await consistentGet(this.table, this.key(clusterName))) as ClusterItem | undefined;
  }

  /** The account's ACTIVE cluster count moves in the same transaction as the cluster's status. */
  private accountCount(delta: 1 | -1, clustersPerAccount = 0) {
    return {
      Update: {
        TableName: this.table.tableName,
        Key: { PK: this.partition, SK: ACCOUNT_ITEM },
        UpdateExpression: 'ADD activeClustersCount :delta',
        ...(delta > 0
          ? {
              ConditionExpression: 'attribute_not_exists(activeClustersCount) OR activeClustersCount < :limit',
              ExpressionAttributeValues: { ':delta': delta, ':limit': clustersPerAccount },
            }
          : { ExpressionAttributeValues: { ':delta': delta } }),
      },
    };
  }

  async create(
    clusterName: string,
    tags: Tag[] | undefined,
    now: EpochMs,
    fleet?: ClusterFleet,
    configuration: Partial<ClusterConfiguration> = {},
  ): Promise<Cluster> {
    const item: ClusterItem = {
      ...this.key(clusterName),
      // The list index holds ACTIVE clusters only (ListClusters).
      GSI2SK: listKeys.cluster(clusterName),
      clusterName,
      status: 'ACTIVE',
      activeServicesCount: 0,
      ...(tags?.length ? { tags } : {}),
      ...(configuration.settings?.length ? { settings: configuration.settings } : {}),
      ...(configuration.capacityProviders?.length ? { capacityProviders: configuration.capacityProviders } : {}),
      ...(configuration.defaultCapacityProviderStrategy?.length
        ? { defaultCapacityProviderStrategy: configuration.defaultCapacityProviderStrategy }
        : {}),
      createdAt: now,
      ...(fleet ? { fleet } : {}),
    };
    const { clustersPerAccount } = await this.quotas.of(this.scope.accountId);
    // Creations of different clusters meet on the account's count: a transaction that collided
    // with another one (not with a condition) tries again.
    return withRetries(
      async () => {
        try {
          await this.table.client.send(
            new TransactWriteCommand({
              TransactItems: [putNewOrInactive(this.table.tableName, item), this.accountCount(1, clustersPerAccount)],
            }),
          );
          return this.toCluster(item);
        } catch (error) {
          if (!isConditionFailure(error)) return translateThrottling(error);
          const [clusterCode, countCode] = cancellationCodes(error);
          if (clusterCode === 'ConditionalCheckFailed') {
            const existing = await this.getItem(clusterName);
            if (existing?.status === 'ACTIVE') return this.toCluster(existing);
          } else if (countCode === 'ConditionalCheckFailed') {
            throw new ClientException(
              `The maximum number of clusters (${clustersPerAccount}) for this account has been reached. Delete unused clusters and try again.`,
            );
          }
          throw error;
        }
      },
      {
        attempts: MAX_CREATE_ATTEMPTS,
        retryable: isConditionFailure,
        exhausted: () => new ConflictException('Too many concurrent changes to the clusters of this account; try again.'),
      },
    );
  }

  async get(clusterName: string): Promise<Cluster | undefined> {
    const item = await this.getItem(clusterName);
    return item ? this.toCluster(item) : undefined;
  }

  /**
   * Reads the reconcile index (GSI1), which holds only live services and tasks: one Query per
   * shard over the cluster's range, so the cost follows what runs now, never stopped tasks.
   */
  async activity(clusterName: string): Promise<ClusterActivity> {
    const activity = { runningTasks: 0, pendingTasks: 0, runningEc2Tasks: 0, pendingEc2Tasks: 0, drainingServices: 0 };
    const range = `${this.scope.accountId}#${clusterName}#`;
    const shards = Array.from({ length: this.shards }, (_, shard) => shard);
    await Promise.all(
      shards.map((shard) =>
        forEachPage(
          this.table,
          {
            IndexName: RECONCILE_INDEX,
            KeyConditionExpression: 'GSI1PK = :shard AND begins_with(GSI1SK, :range)',
            ProjectionExpression: 'kind, lastStatus, #status, launchType',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':shard': shardKey(shard), ':range': range },
          },
          (page) => {
            for (const item of page.Items ?? []) {
              if (item.kind === 'service') {
                if (item.status === 'DRAINING') activity.drainingServices += 1;
              } else if (item.lastStatus === 'RUNNING') {
                activity.runningTasks += 1;
                if (item.launchType === 'EC2') activity.runningEc2Tasks += 1;
              } else if (isPendingStatus(item.lastStatus)) {
                activity.pendingTasks += 1;
                if (item.launchType === 'EC2') activity.pendingEc2Tasks += 1;
              }
            }
          },
        ),
      ),
    );
    return activity;
  }

  async list(page: PageRequest): Promise<Page<string>> {
    const { items, nextToken } = await queryPage<ClusterItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': this.partition, ':prefix': listKeys.cluster('') },
      },
      { list: 'ListClusters', partition: this.partition },
      page,
      listIndexQuery((key) => key.SK),
    );
    return { items: items.map((item) => arns.cluster(this.scope, item.clusterName)), nextToken };
  }

  async delete(clusterName: string): Promise<Cluster> {
    const existing = await this.getItem(clusterName);
    if (!existing || existing.status !== 'ACTIVE') throw new ClusterNotFoundException();
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table.tableName,
                Key: this.key(clusterName),
                UpdateExpression: 'SET #status = :inactive REMOVE GSI2SK',
                ConditionExpression:
                  '#status = :active AND activeServicesCount = :zero AND ' +
                  '(attribute_not_exists(registeredContainerInstancesCount) OR registeredContainerInstancesCount = :zero)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':inactive': 'INACTIVE', ':active': 'ACTIVE', ':zero': 0 },
              },
            },
            this.accountCount(-1),
          ],
        }),
      );
      return this.toCluster({ ...existing, status: 'INACTIVE' });
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const current = await this.getItem(clusterName);
      if (!current || current.status !== 'ACTIVE') throw new ClusterNotFoundException();
      if (current.activeServicesCount > 0) throw new ClusterContainsServicesException();
      if ((current.registeredContainerInstancesCount ?? 0) > 0) throw new ClusterContainsContainerInstancesException();
      throw new ConflictException('The cluster changed while it was being deleted; try again.');
    }
  }

  updateTags(clusterName: string, change: TagChange): Promise<Tag[] | undefined> {
    return rewriteTags(this.table, this.key(clusterName), change, {
      expression: '#status = :active',
      names: { '#status': 'status' },
      values: { ':active': 'ACTIVE' },
    });
  }
}
