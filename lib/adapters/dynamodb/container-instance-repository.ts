import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { Attribute, ContainerInstanceRecord } from '../../domain/container-instance';
import type { EpochMs } from '../../domain/model';
import { ClusterNotFoundException, ConflictException } from '../../errors';
import type { ContainerInstanceRepository, Page, PageRequest } from '../../ports';
import { withRetries } from '../../retry';
import { isExpired } from './fleet-items';
import { LIST_INDEX } from './list-index';
import {
  cancellationCodes,
  consistentGetMany,
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
const instanceSortKey = (id: string) => `CINST#${id}`;
const ec2SortKey = (ec2InstanceId: string) => `EC2#${ec2InstanceId}`;

const ITEM_ONLY = ['PK', 'SK', 'kind', 'GSI2SK', 'expiresAt'] as const;

const toRecord = (item: Record<string, unknown>): ContainerInstanceRecord => {
  const record = { ...item };
  for (const key of ITEM_ONLY) delete record[key];
  return record as unknown as ContainerInstanceRecord;
};

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

  private item(record: ContainerInstanceRecord) {
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

  async get(clusterName: string, id: string): Promise<ContainerInstanceRecord | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: this.key(clusterName, id), ConsistentRead: true }))
      .catch(translateThrottling);
    return Item && !isExpired(Item, this.clock.now()) ? toRecord(Item) : undefined;
  }

  async getMany(clusterName: string, ids: string[]): Promise<Array<ContainerInstanceRecord | undefined>> {
    const found = await consistentGetMany(this.table, ids.map((id) => this.key(clusterName, id)));
    const now = this.clock.now();
    return ids.map((id) => {
      const item = found.get(this.key(clusterName, id));
      return item && !isExpired(item, now) ? toRecord(item) : undefined;
    });
  }

  /**
   * The cluster's ACTIVE and DRAINING instances, in id order: one Query of the list index. Placement
   * needs every one of them; a cluster holds at most ECS's 5,000.
   */
  async listLive(clusterName: string): Promise<ContainerInstanceRecord[]> {
    const records: ContainerInstanceRecord[] = [];
    await forEachPage(
      this.table,
      {
        IndexName: LIST_INDEX,
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': this.partition(clusterName), ':prefix': instanceSortKey('') },
      },
      (page) => records.push(...(page.Items ?? []).map(toRecord)),
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
    const entries = (await this.listLive(clusterName)).flatMap((record) =>
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
