import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { arns, type ArnScope } from '../../domain/arn';
import type { EpochMs, Tag, TaskDefinition, TaskDefinitionStatus } from '../../domain/model';
import type { ValidatedTaskDefinition } from '../../domain/task-definition';
import { ConflictException, LimitExceededException, TaskDefinitionNotFoundException } from '../../errors';
import type {
  FamilyListRequest,
  Page,
  PageRequest,
  QuotaSource,
  StoredTaskDefinition,
  TagChange,
  TaskDefinitionListRequest,
  TaskDefinitionRepository,
} from '../../ports';
import { withRetries } from '../../retry';
import { LIST_INDEX, listIndexQuery, listKeys } from './list-index';
import { isConditionFailure, keys, queryPage, rewriteTags, throwConditionFailure, translateThrottling, type TableContext } from './table';

/**
 * A family's item says only that the family exists (ListTaskDefinitionFamilies lists these): it is
 * written with the family's first revision and never again. Its latest revision is the newest
 * revision item, and whether it is ACTIVE is whether the list index holds an ACTIVE revision of it;
 * both are read where they are needed, so a registration is one write and a deregistration one
 * update. (Items written before hold `latestRevision` and `activeRevisions` too, unused.)
 */
interface FamilyItem {
  PK: string;
  SK: string;
  family: string;
}

/**
 * A task definition as its item holds it. The members that carry users' maps (docker labels, log
 * and volume driver options) are JSON text: their keys are the user's ("constructor",
 * "__proto__", "toString"), which the DynamoDB marshaller would misread as an object's own
 * machinery. JSON keeps every key exactly, and those members are never queried.
 */
export type StoredDocument = Omit<TaskDefinition, 'containerDefinitions' | 'volumes'> & {
  containerDefinitions: string | TaskDefinition['containerDefinitions'];
  volumes: string | TaskDefinition['volumes'];
};

interface TaskDefinitionItem {
  PK: string;
  SK: string;
  /** The list index's key: revisions grouped by status (ListTaskDefinitions, latestActive). */
  GSI2SK: string;
  taskDefinition: StoredDocument;
  tags?: Tag[];
}

const toDocument = (definition: TaskDefinition): StoredDocument => ({
  ...definition,
  containerDefinitions: JSON.stringify(definition.containerDefinitions),
  volumes: JSON.stringify(definition.volumes),
});

/** Reads a stored task definition; items written before the members became text hold them as maps. */
export const fromDocument = (document: StoredDocument): TaskDefinition => ({
  ...document,
  containerDefinitions:
    typeof document.containerDefinitions === 'string' ? JSON.parse(document.containerDefinitions) : document.containerDefinitions,
  volumes: typeof document.volumes === 'string' ? JSON.parse(document.volumes) : document.volumes,
});

/**
 * Registrations of one family race for the next revision number. Each attempt takes the family's
 * latest revision n (this container's own last registration, else the newest revision item, read
 * consistently) and puts revision n+1 on condition that it does not exist; a loser retries with
 * jittered back-off and reads. Revision items are never removed and n+1 is only written once n
 * exists, so this gives 1, 2, 3... with no gap and no duplicate, even if the writer dies mid-way.
 */
const MAX_REGISTER_ATTEMPTS = 200;

/**
 * The latest revision this container registered of each family, shared by its requests (the
 * repositories are built per request): a container that registers a family again guesses n + 1 and
 * skips the read; a wrong guess (another container registered meanwhile) only fails the Put's
 * condition, and the next attempt reads. Bounded: emptied past 10,000 families.
 */
export class LatestRevisions {
  private readonly revisions = new Map<string, number>();
  get(accountId: string, family: string): number | undefined {
    return this.revisions.get(`${accountId}#${family}`);
  }
  set(accountId: string, family: string, revision: number): void {
    if (this.revisions.size >= 10_000) this.revisions.clear();
    this.revisions.set(`${accountId}#${family}`, revision);
  }
}

export class DynamoTaskDefinitionRepository implements TaskDefinitionRepository {
  private readonly partition: string;

  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly quotas: QuotaSource,
    private readonly knownLatest: LatestRevisions = new LatestRevisions(),
  ) {
    this.partition = keys.account(scope.accountId);
  }

  private async latestRevision(family: string): Promise<number> {
    const { Items } = await this.table.client
      .send(
        new QueryCommand({
          TableName: this.table.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': this.partition, ':prefix': `TD#${family}#` },
          ProjectionExpression: 'SK',
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: 1,
        }),
      )
      .catch(translateThrottling);
    const newest = Items?.[0]?.SK as string | undefined;
    return newest ? Number(newest.slice(newest.lastIndexOf('#') + 1)) : 0;
  }

  /** Whether the family has an ACTIVE revision: its range of the list index is not empty. */
  private async hasActiveRevision(family: string): Promise<boolean> {
    const { Items } = await this.table.client
      .send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
          ExpressionAttributeValues: { ':pk': this.partition, ':prefix': listKeys.taskDefinitionPrefix('ACTIVE', family) },
          ProjectionExpression: 'SK',
          Limit: 1,
        }),
      )
      .catch(translateThrottling);
    return Boolean(Items?.length);
  }

  /** A revision's move from one status to the next, stamped with when, only from `from`. */
  private statusChange(
    family: string,
    revision: number,
    from: TaskDefinition['status'],
    to: TaskDefinition['status'],
    stamp: 'deregisteredAt' | 'deleteRequestedAt',
    now: EpochMs,
  ) {
    return {
      TableName: this.table.tableName,
      Key: { PK: this.partition, SK: keys.taskDefinitionItem(family, revision) },
      UpdateExpression: `SET taskDefinition.#status = :to, taskDefinition.${stamp} = :now, GSI2SK = :listed`,
      ConditionExpression: 'taskDefinition.#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':to': to, ':from': from, ':now': now, ':listed': listKeys.taskDefinition(to, family, revision) },
    };
  }

  /** One transaction of a retried write: a lost condition is rethrown as is, for the retry. */
  private async transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<void> {
    await this.table.client.send(new TransactWriteCommand({ TransactItems: items })).catch(throwConditionFailure);
  }

  async register(definition: ValidatedTaskDefinition, now: EpochMs): Promise<StoredTaskDefinition> {
    const { tags, ...fields } = definition;
    const { revisionsPerFamily } = await this.quotas.of(this.scope.accountId);
    return withRetries(
      async (attempt) => {
        // A wrong guess only fails the condition, at the cost of one short back-off.
        const guess = attempt === 0 ? this.knownLatest.get(this.scope.accountId, fields.family) : undefined;
        const previous = guess ?? (await this.latestRevision(fields.family));
        const revision = previous + 1;
        // ECS counts every revision ever registered, deregistered ones included.
        if (revision > revisionsPerFamily) {
          throw new LimitExceededException(
            `The maximum number of revisions (${revisionsPerFamily}) for task definition family ${fields.family} has been reached.`,
          );
        }
        const taskDefinition: TaskDefinition = {
          ...fields,
          taskDefinitionArn: arns.taskDefinition(this.scope, fields.family, revision),
          revision,
          status: 'ACTIVE',
          registeredAt: now,
          // ECS names the IAM principal that registered it; ecsbox takes every caller as the account's root.
          registeredBy: `arn:aws:iam::${this.scope.accountId}:root`,
        };
        const revisionPut = {
          TableName: this.table.tableName,
          Item: {
            PK: this.partition,
            SK: keys.taskDefinitionItem(fields.family, revision),
            GSI2SK: listKeys.taskDefinition('ACTIVE', fields.family, revision),
            taskDefinition: toDocument(taskDefinition),
            ...(tags?.length ? { tags } : {}),
          } satisfies TaskDefinitionItem,
          ConditionExpression: 'attribute_not_exists(PK)',
        };
        if (revision === 1) {
          // The family's first revision brings its item along.
          const family: FamilyItem = { PK: this.partition, SK: keys.familyItem(fields.family), family: fields.family };
          await this.transact([{ Put: { TableName: this.table.tableName, Item: family } }, { Put: revisionPut }]);
        } else {
          await this.table.client.send(new PutCommand(revisionPut)).catch(throwConditionFailure);
        }
        this.knownLatest.set(this.scope.accountId, fields.family, revision);
        return { taskDefinition, tags: tags ?? [] };
      },
      {
        attempts: MAX_REGISTER_ATTEMPTS,
        retryable: isConditionFailure,
        capMs: 100,
        exhausted: () => new ConflictException(`Too many concurrent registrations of family ${fields.family}; try again.`),
      },
    );
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

  /**
   * The newest revision, read consistently: almost always the answer. Only when it is not ACTIVE
   * does the list index give the newest ACTIVE one; the index is eventually consistent, so each
   * candidate is confirmed by a consistent read (one that was just deregistered is passed over).
   */
  async latestActive(family: string): Promise<StoredTaskDefinition | undefined> {
    const { items } = await queryPage<TaskDefinitionItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': this.partition, ':prefix': `TD#${family}#` },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      { list: 'LatestActiveRevision', partition: this.partition, query: { family } },
      { maxResults: 1 },
    );
    const newest = items[0];
    if (!newest || newest.taskDefinition.status === 'ACTIVE') return newest && toStored(newest);
    let nextToken: string | undefined;
    do {
      const page = await this.revisionsByStatus(family, { maxResults: 1, nextToken }, 'DESC', 'ACTIVE');
      const candidate = page.items[0] && (await this.get(family, page.items[0].taskDefinition.revision));
      if (candidate?.taskDefinition.status === 'ACTIVE') return candidate;
      nextToken = page.nextToken;
    } while (nextToken);
    return undefined;
  }

  /** A page of the family's (or every family's) revisions in one status, from the list index. */
  private revisionsByStatus(family: string | undefined, page: PageRequest, sort: 'ASC' | 'DESC', status: TaskDefinitionStatus) {
    return queryPage<TaskDefinitionItem>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': this.partition, ':prefix': listKeys.taskDefinitionPrefix(status, family) },
        ScanIndexForward: sort === 'ASC',
      },
      { list: 'ListTaskDefinitions', partition: this.partition, query: { familyPrefix: family, status, sort } },
      page,
      listIndexQuery((key) => listKeys.taskDefinitionAt(status, key.SK)),
    );
  }

  async list(request: TaskDefinitionListRequest): Promise<Page<TaskDefinition>> {
    // ECS's familyPrefix on ListTaskDefinitions is, despite its name, a whole family name.
    const { items, nextToken } = await this.revisionsByStatus(request.familyPrefix, request, request.sort, request.status);
    return { items: items.map((item) => fromDocument(item.taskDefinition)), nextToken };
  }

  /**
   * A page of families; with a status, those that have (ACTIVE) or have not (INACTIVE) an ACTIVE
   * revision, asked of the list index for each family read. Families are read a page's worth at a
   * time until the page is full, so a page is as full as without the filter.
   */
  async listFamilies(request: FamilyListRequest): Promise<Page<string>> {
    const scope = { list: 'ListTaskDefinitionFamilies', partition: this.partition, query: { familyPrefix: request.familyPrefix, status: request.status } };
    const families: string[] = [];
    let nextToken = request.nextToken;
    do {
      const page = await queryPage<FamilyItem>(
        this.table,
        {
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': this.partition, ':prefix': `FAMILY#${request.familyPrefix ?? ''}` },
        },
        scope,
        // Only as many as the page still needs: its last family read is then its last one shown.
        { maxResults: request.maxResults - families.length, nextToken },
      );
      const read = page.items.map((item) => item.family);
      if (request.status === 'ACTIVE' || request.status === 'INACTIVE') {
        const active = await Promise.all(read.map((family) => this.hasActiveRevision(family)));
        families.push(...read.filter((_, index) => active[index] === (request.status === 'ACTIVE')));
      } else families.push(...read);
      nextToken = page.nextToken;
    } while (nextToken && families.length < request.maxResults);
    return { items: families, nextToken };
  }

  async deregister(family: string, revision: number, now: EpochMs): Promise<TaskDefinition> {
    return withRetries(
      async () => {
        // Read first: a revision that is missing (its family may not exist either, and the family
        // update below cannot run on a missing item) or already INACTIVE needs no write. A lost
        // condition (deregistered meanwhile, which the next read says, or a collision with a
        // concurrent registration of the family) tries again.
        const stored = await this.get(family, revision);
        if (!stored) throw new TaskDefinitionNotFoundException('The specified task definition does not exist.');
        if (stored.taskDefinition.status !== 'ACTIVE') return stored.taskDefinition;
        await this.table.client.send(new UpdateCommand(this.statusChange(family, revision, 'ACTIVE', 'INACTIVE', 'deregisteredAt', now))).catch(throwConditionFailure);
        return { ...stored.taskDefinition, status: 'INACTIVE' as const, deregisteredAt: now };
      },
      {
        attempts: MAX_REGISTER_ATTEMPTS,
        retryable: isConditionFailure,
        capMs: 100,
        exhausted: () => new ConflictException(`Too many concurrent changes to family ${family}; try again.`),
      },
    );
  }

  async requestDeletion(family: string, revision: number, now: EpochMs): Promise<TaskDefinition | undefined> {
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          ...this.statusChange(family, revision, 'INACTIVE', 'DELETE_IN_PROGRESS', 'deleteRequestedAt', now),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromDocument((Attributes as TaskDefinitionItem).taskDefinition);
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
  taskDefinition: fromDocument(item.taskDefinition),
  tags: item.tags ?? [],
});
