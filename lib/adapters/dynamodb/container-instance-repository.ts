import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { Attribute, ContainerInstanceRecord } from '../../domain/container-instance';
import type { EpochMs } from '../../domain/model';
import { ClusterNotFoundException, ConflictException } from '../../errors';
import type { ContainerInstanceRepository, Page, PageRequest } from '../../ports';
import { withRetries } from '../../retry';
import type { ClusterInstances } from '../../domain/placement';
import { instanceSortKey, loadClusterInstances, loadInstance, toInstanceRecord } from './instance-charges';
import { LIST_INDEX } from './list-index';
import {
  cancellationCodes,
  decodeToken,
  encodeToken,
  forEachPage,
  isConditionFailure,
  keys,
  putAtVersion,
  translateThrottling,
  type Key,
  type TableContext,
  type TokenScope,
} from './table';

/**
 * Container instances live in their cluster's partition (`CINST#<id>`), listed through the list
 * index while ACTIVE or DRAINING (`GSI2SK` = their own sort key). A pointer item (`EC2#<instance
 * id>`) names the registration of each EC2 instance, so an agent that registers again (a restart,
 * a retried call) gets its container instance back instead of a second one. The cluster's
 * `registeredContainerInstancesCount` moves in the same transactions. See docs/data-model.md.
 */
const ec2SortKey = (ec2InstanceId: string) => `EC2#${ec2InstanceId}`;


/** A registration that another call for the same EC2 instance is committing: look again. */
class RegistrationInFlight extends Error {}

export class DynamoContainerInstanceRepository implements ContainerInstanceRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly retentionMs: number,
    private readonly clock: { now(): EpochMs },
  ) {}

  private partition(clusterName: string) {
    return keys.cluster(this.scope.accountId, clusterName);
  }

  private key(clusterName: string, id: string): Key {
    return { PK: this.partition(clusterName), SK: instanceSortKey(id) };
  }

  /** The stored item: what tasks hold of the instance is derived on every read (instance-charges.ts), never stored. */
  private item({ remaining: _remaining, remainingEnis: _enis, runningTasksCount: _running, pendingTasksCount: _pending, ...record }: ContainerInstanceRecord) {
    const inactive = record.status === 'INACTIVE';
    return {
      ...this.key(record.clusterName, record.id),
      kind: 'container-instance',
      // Deregistered instances leave the list index and stay describable for the retention.
      ...(inactive ? { expiresAt: Math.ceil((this.clock.now() + this.retentionMs) / 1000) } : { GSI2SK: instanceSortKey(record.id) }),
      ...record,
    };
  }

  /** The cluster's count of registered instances, moved only while the cluster is ACTIVE. */
  private clusterCount(clusterName: string, delta: 1 | -1) {
    return {
      Update: {
        TableName: this.table.tableName,
        Key: { PK: keys.account(this.scope.accountId), SK: keys.clusterItem(clusterName) },
        UpdateExpression: 'ADD registeredContainerInstancesCount :delta',
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':active': 'ACTIVE' },
      },
    };
  }

  async register(record: ContainerInstanceRecord): Promise<ContainerInstanceRecord> {
    const pointerKey = { PK: this.partition(record.clusterName), SK: ec2SortKey(record.ec2InstanceId) };
    return withRetries(
      async () => {
        try {
          await this.table.client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName: this.table.tableName, Item: this.item(record), ConditionExpression: 'attribute_not_exists(PK)' } },
                {
                  Put: {
                    TableName: this.table.tableName,
                    Item: { ...pointerKey, kind: 'ec2-instance', containerInstanceId: record.id },
                    ConditionExpression: 'attribute_not_exists(PK)',
                  },
                },
                this.clusterCount(record.clusterName, 1),
              ],
            }),
          );
          return record;
        } catch (error) {
          if (!isConditionFailure(error)) return translateThrottling(error);
          const [, pointerCode, clusterCode] = cancellationCodes(error);
          if (clusterCode === 'ConditionalCheckFailed') throw new ClusterNotFoundException();
          if (pointerCode !== 'ConditionalCheckFailed') throw new RegistrationInFlight();
        }
        const { Item } = await this.table.client
          .send(new GetCommand({ TableName: this.table.tableName, Key: pointerKey, ConsistentRead: true }))
          .catch(translateThrottling);
        const existing = Item && (await this.get(record.clusterName, String(Item.containerInstanceId)));
        if (!existing) throw new RegistrationInFlight();
        return existing;
      },
      {
        attempts: 20,
        retryable: (error) => error instanceof RegistrationInFlight,
        exhausted: () => new ConflictException('The instance is being registered by another request; try again.'),
      },
    );
  }

  /** The instance with what is left on it: one Query of its item and charges, one read of the charged tasks' status. */
  async get(clusterName: string, id: string): Promise<ContainerInstanceRecord | undefined> {
    return loadInstance(this.table, this.scope.accountId, clusterName, id, this.clock.now());
  }

  async getMany(clusterName: string, ids: string[]): Promise<Array<ContainerInstanceRecord | undefined>> {
    const unique = [...new Set(ids)];
    const found = new Map(await Promise.all(unique.map(async (id) => [id, await this.get(clusterName, id)] as const)));
    return ids.map((id) => found.get(id));
  }

  /** See loadClusterInstances (instance-charges.ts), the entry point services share. */
  async loadForPlacement(clusterName: string): Promise<ClusterInstances> {
    return loadClusterInstances(this.table, this.scope.accountId, clusterName, this.clock.now());
  }

  /** The cluster's ACTIVE and DRAINING instances, in id order, with what is left on each. */
  async listLive(clusterName: string): Promise<ContainerInstanceRecord[]> {
    return (await this.loadForPlacement(clusterName)).instances;
  }

  /**
   * The cluster's ACTIVE and DRAINING instances as stored (their attributes; no resources), in id
   * order: one Query of the list index. A cluster holds at most ECS's 5,000.
   */
  private async listStored(clusterName: string): Promise<ContainerInstanceRecord[]> {
    const records: ContainerInstanceRecord[] = [];
    await forEachPage(
      this.table,
      {
        IndexName: LIST_INDEX,
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': this.partition(clusterName), ':prefix': instanceSortKey('') },
      },
      (page) => records.push(...(page.Items ?? []).map(toInstanceRecord)),
    );
    return records;
  }

  /**
   * A page of the live instances that `matches` accepts (ListContainerInstances' status and
   * cluster-query filter, which DynamoDB cannot evaluate), after the id the token names. The token
   * is bound to the query, so a filter's token is refused by another filter.
   */
  async list(
    clusterName: string,
    query: Record<string, unknown>,
    matches: (record: ContainerInstanceRecord) => boolean,
    page: PageRequest,
  ): Promise<Page<ContainerInstanceRecord>> {
    const entries = (await this.listLive(clusterName))
      .filter(matches)
      .map((record) => ({ position: instanceSortKey(record.id), entry: record }));
    return this.pageOf(entries, { list: 'ListContainerInstances', partition: this.partition(clusterName), query }, page);
  }

  /** As list, for ListAttributes: every attribute of every live instance, in instance then name order. */
  async listAttributes(
    clusterName: string,
    query: Record<string, unknown>,
    matches: (attribute: Attribute) => boolean,
    page: PageRequest,
  ): Promise<Page<{ record: ContainerInstanceRecord; attribute: Attribute }>> {
    const entries = (await this.listStored(clusterName)).flatMap((record) =>
      record.attributes
        .filter(matches)
        .map((attribute) => ({ position: `${instanceSortKey(record.id)}#${attribute.name}`, entry: { record, attribute } }))
        .sort((a, b) => (a.position < b.position ? -1 : 1)),
    );
    return this.pageOf(entries, { list: 'ListAttributes', partition: this.partition(clusterName), query }, page);
  }

  /**
   * A page of entries in `position` order after the position the token names. The whole range is
   * read (DynamoDB cannot evaluate the filters); the token carries the last position returned,
   * signed for this list, partition and query like every other page token.
   */
  private pageOf<T>(entries: Array<{ position: string; entry: T }>, scope: TokenScope, page: PageRequest): Page<T> {
    const after = decodeToken(this.table, page.nextToken, scope)?.SK;
    const remaining = after === undefined ? entries : entries.filter(({ position }) => position > String(after));
    const items = remaining.slice(0, page.maxResults);
    const last = items.at(-1);
    const nextToken = remaining.length > items.length && last ? encodeToken(this.table, { PK: scope.partition, SK: last.position }, scope) : undefined;
    return { items: items.map(({ entry }) => entry), ...(nextToken ? { nextToken } : {}) };
  }

  async save(record: ContainerInstanceRecord): Promise<void> {
    try {
      await this.table.client.send(new PutCommand(putAtVersion(this.table.tableName, this.item(record))));
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The container instance was changed concurrently; try again.');
      return translateThrottling(error);
    }
  }

  /** Saves the record as INACTIVE, forgets its EC2 instance's registration and uncounts it, in one transaction. */
  async deregister(record: ContainerInstanceRecord): Promise<void> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: putAtVersion(this.table.tableName, this.item({ ...record, status: 'INACTIVE' })) },
            { Delete: { TableName: this.table.tableName, Key: { PK: this.partition(record.clusterName), SK: ec2SortKey(record.ec2InstanceId) } } },
            this.clusterCount(record.clusterName, -1),
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The container instance was changed concurrently; try again.');
      return translateThrottling(error);
    }
  }
}
