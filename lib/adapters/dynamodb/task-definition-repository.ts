import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { arns, type ArnScope } from '../../domain/arn';
import type { EpochMs, Tag, TaskDefinition } from '../../domain/model';
import type { ValidatedTaskDefinition } from '../../domain/task-definition';
import { ConflictException, TaskDefinitionNotFoundException } from '../../errors';
import type {
  FamilyListRequest,
  Page,
  StoredTaskDefinition,
  TagChange,
  TaskDefinitionListRequest,
  TaskDefinitionRepository,
} from '../../ports';
import { backoffDelay, sleep } from '../../retry';
import { isConditionFailure, keys, queryPage, rewriteTags, translateThrottling, type TableContext } from './table';

interface FamilyItem {
  PK: string;
  SK: string;
  family: string;
  latestRevision: number;
  activeRevisions: number;
}

interface TaskDefinitionItem {
  PK: string;
  SK: string;
  taskDefinition: TaskDefinition;
  tags?: Tag[];
}

/**
 * Registrations of one family race for the next revision number. Each attempt reads the family's
 * latest revision and commits "family.latestRevision = n+1" together with the new revision's item
 * in one transaction conditioned on the revision it read; a loser retries with jittered back-off.
 * This gives 1, 2, 3... with no gap and no duplicate, even if the writer dies mid-way.
 */
const MAX_REGISTER_ATTEMPTS = 200;

export class DynamoTaskDefinitionRepository implements TaskDefinitionRepository {
  private readonly partition: string;

  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
  ) {
    this.partition = keys.account(scope.accountId);
  }

  /**
   * The latest revision this instance saw of each family. A container that registers again uses it
   * as its guess and skips the read; a wrong guess only fails the transaction's condition, and the
   * next attempt reads.
   */
  private readonly knownLatest = new Map<string, number>();

  private async latestRevision(family: string): Promise<number> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: this.partition, SK: keys.familyItem(family) },
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return (Item as FamilyItem | undefined)?.latestRevision ?? 0;
  }

  async register(definition: ValidatedTaskDefinition, now: EpochMs): Promise<StoredTaskDefinition> {
    const { tags, ...fields } = definition;
    for (let attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++) {
      const guess = attempt === 0 ? this.knownLatest.get(fields.family) : undefined;
      const previous = guess ?? (await this.latestRevision(fields.family));
      const revision = previous + 1;
      const taskDefinition: TaskDefinition = {
        ...fields,
        taskDefinitionArn: arns.taskDefinition(this.scope, fields.family, revision),
        revision,
        status: 'ACTIVE',
        registeredAt: now,
      };
      try {
        await this.table.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.table.tableName,
                  Key: { PK: this.partition, SK: keys.familyItem(fields.family) },
                  UpdateExpression:
                    'SET #family = :family, latestRevision = :revision, activeRevisions = if_not_exists(activeRevisions, :zero) + :one',
                  ConditionExpression: previous === 0 ? 'attribute_not_exists(PK)' : 'latestRevision = :previous',
                  ExpressionAttributeNames: { '#family': 'family' },
                  ExpressionAttributeValues: {
                    ':family': fields.family,
                    ':revision': revision,
                    ':zero': 0,
                    ':one': 1,
                    ...(previous === 0 ? {} : { ':previous': previous }),
                  },
                },
              },
              {
                Put: {
                  TableName: this.table.tableName,
                  Item: {
                    PK: this.partition,
                    SK: keys.taskDefinitionItem(fields.family, revision),
                    taskDefinition,
                    ...(tags?.length ? { tags } : {}),
                  } satisfies TaskDefinitionItem,
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              },
            ],
          }),
        );
        this.knownLatest.set(fields.family, revision);
        return { taskDefinition, tags: tags ?? [] };
      } catch (error) {
        if (!isConditionFailure(error)) return translateThrottling(error);
        // A wrong guess is not contention: read and try again at once.
        if (guess === undefined) await sleep(backoffDelay(attempt, 5, 100));
      }
    }
    throw new ConflictException(`Too many concurrent registrations of family ${fields.family}; try again.`);
  }

  async get(family: string, revision: number): Promise<StoredTaskDefinition | undefined> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: this.partition, SK: keys.taskDefinitionItem(family, revision) },
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return Item ? toStored(Item as TaskDefinitionItem) : undefined;
  }

  async latestActive(family: string): Promise<StoredTaskDefinition | undefined> {
    const { items } = await queryPage<TaskDefinitionItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        FilterExpression: 'taskDefinition.#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': this.partition, ':prefix': `TD#${family}#`, ':active': 'ACTIVE' },
        ScanIndexForward: false,
      },
      { list: 'LatestActiveRevision', partition: this.partition, query: { family } },
      { maxResults: 1 },
    );
    return items[0] ? toStored(items[0]) : undefined;
  }

  async list(request: TaskDefinitionListRequest): Promise<Page<TaskDefinition>> {
    const { items, nextToken } = await queryPage<TaskDefinitionItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        FilterExpression: 'taskDefinition.#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': this.partition,
          // ECS's familyPrefix on ListTaskDefinitions is, despite its name, a whole family name.
          ':prefix': request.familyPrefix ? `TD#${request.familyPrefix}#` : 'TD#',
          ':status': request.status,
        },
        ScanIndexForward: request.sort === 'ASC',
      },
      {
        list: 'ListTaskDefinitions',
        partition: this.partition,
        query: { familyPrefix: request.familyPrefix, status: request.status, sort: request.sort },
      },
      request,
    );
    return { items: items.map((item) => item.taskDefinition), nextToken };
  }

  async listFamilies(request: FamilyListRequest): Promise<Page<string>> {
    const filter =
      request.status === 'ACTIVE' ? 'activeRevisions > :zero' : request.status === 'INACTIVE' ? 'activeRevisions = :zero' : undefined;
    const { items, nextToken } = await queryPage<FamilyItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ...(filter ? { FilterExpression: filter } : {}),
        ExpressionAttributeValues: {
          ':pk': this.partition,
          ':prefix': `FAMILY#${request.familyPrefix ?? ''}`,
          ...(filter ? { ':zero': 0 } : {}),
        },
      },
      { list: 'ListTaskDefinitionFamilies', partition: this.partition, query: { familyPrefix: request.familyPrefix, status: request.status } },
      request,
    );
    return { items: items.map((item) => item.family), nextToken };
  }

  async deregister(family: string, revision: number, now: EpochMs): Promise<TaskDefinition> {
    for (let attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++) {
      // Read first: a revision that is missing (its family may not exist either, and the family
      // update below cannot run on a missing item) or already INACTIVE needs no write.
      const stored = await this.get(family, revision);
      if (!stored) throw new TaskDefinitionNotFoundException('The specified task definition does not exist.');
      if (stored.taskDefinition.status !== 'ACTIVE') return stored.taskDefinition;
      try {
        await this.table.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.table.tableName,
                  Key: { PK: this.partition, SK: keys.taskDefinitionItem(family, revision) },
                  UpdateExpression: 'SET taskDefinition.#status = :inactive, taskDefinition.deregisteredAt = :now',
                  ConditionExpression: 'taskDefinition.#status = :active',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':inactive': 'INACTIVE', ':active': 'ACTIVE', ':now': now },
                },
              },
              {
                Update: {
                  TableName: this.table.tableName,
                  Key: { PK: this.partition, SK: keys.familyItem(family) },
                  UpdateExpression: 'SET activeRevisions = activeRevisions - :one',
                  ExpressionAttributeValues: { ':one': 1 },
                },
              },
            ],
          }),
        );
        return { ...stored.taskDefinition, status: 'INACTIVE', deregisteredAt: now };
      } catch (error) {
        if (!isConditionFailure(error)) return translateThrottling(error);
      }
      // Deregistered meanwhile (the next read says so), or a collision with a concurrent
      // registration of the family: try again.
      await sleep(backoffDelay(attempt, 5, 100));
    }
    throw new ConflictException(`Too many concurrent changes to family ${family}; try again.`);
  }

  async requestDeletion(family: string, revision: number, now: EpochMs): Promise<TaskDefinition | undefined> {
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { PK: this.partition, SK: keys.taskDefinitionItem(family, revision) },
          UpdateExpression: 'SET taskDefinition.#status = :deleting, taskDefinition.deleteRequestedAt = :now',
          ConditionExpression: 'taskDefinition.#status = :inactive',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': 'DELETE_IN_PROGRESS', ':inactive': 'INACTIVE', ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return (Attributes as TaskDefinitionItem).taskDefinition;
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      // Missing, still ACTIVE or already DELETE_IN_PROGRESS: the use case tells them apart.
      return (await this.get(family, revision))?.taskDefinition;
    }
  }

  updateTags(family: string, revision: number, change: TagChange): Promise<Tag[] | undefined> {
    return rewriteTags(this.table, { PK: this.partition, SK: keys.taskDefinitionItem(family, revision) }, change);
  }
}

const toStored = (item: TaskDefinitionItem): StoredTaskDefinition => ({
  taskDefinition: item.taskDefinition,
  tags: item.tags ?? [],
});
