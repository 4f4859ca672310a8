import { createHmac, timingSafeEqual } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { Tag } from '../../domain/model';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { ConflictException, InvalidParameterException, ServerException, ThrottlingException } from '../../errors';
import type { PageRequest, TagChange } from '../../ports';
import { withRetries } from '../../retry';
import { consumedCapacity } from './consumed-capacity';
import { currentConsumption, type Consumption } from '../../metering/consumption';

/**
 * The single table's key design (see docs/data-model.md). Every base-table key starts with the
 * account id, so tenants can later be isolated with IAM's dynamodb:LeadingKeys.
 */
export const keys = {
  account: (accountId: string) => `A#${accountId}`,
  cluster: (accountId: string, clusterName: string) => `A#${accountId}#C#${clusterName}`,
  clusterItem: (clusterName: string) => `CLUSTER#${clusterName}`,
  familyItem: (family: string) => `FAMILY#${family}`,
  taskDefinitionItem: (family: string, revision: number) => `TD#${family}#${String(revision).padStart(10, '0')}`,
  serviceItem: (serviceName: string) => `SERVICE#${serviceName}`,
  taskItem: (taskId: string) => `TASK#${taskId}`,
};

export interface Key {
  PK: string;
  SK: string;
}

export interface TableContext {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The stage's key for signing page tokens. */
  pageTokenSecret: string;
}

/** How long one DynamoDB call (its SDK retries included) may take unless configured otherwise. */
export const DEFAULT_DYNAMODB_DEADLINE_MS = 10_000;

export const createTableContext = (options: {
  tableName: string;
  region: string;
  endpoint?: string;
  /** The deadline of every call, SDK retries included; see `withDeadline`. */
  deadlineMs?: number;
  pageTokenSecret: string;
}): TableContext => {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DYNAMODB_DEADLINE_MS;
  const base = new DynamoDBClient({
    region: options.region,
    base64Decoder: fromBase64,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    // A stalled attempt is abandoned (and retried by the SDK) at half the call's deadline.
    requestHandler: {
      connectionTimeout: Math.min(1_000, deadlineMs / 4),
      requestTimeout: deadlineMs / 2,
      throwOnRequestTimeout: true,
      socketTimeout: deadlineMs / 2,
    },
  });
  // The SDK's logger step builds a redacted copy of every response for its logger whether or not one
  // is configured (none is): a walk of every item of every page, a few percent of a resync's CPU.
  base.middlewareStack.remove('loggerMiddleware');
  base.middlewareStack.add(withDeadline(deadlineMs), { step: 'initialize', name: 'ecsboxDeadline', priority: 'high' });
  // Before the serializer, after the document client's marshalling: the cost meter's units.
  base.middlewareStack.add(consumedCapacity, { step: 'serialize', name: 'ecsboxConsumedCapacity', priority: 'high' });
  return {
    client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    tableName: options.tableName,
    pageTokenSecret: options.pageTokenSecret,
  };
};

/**
 * Binary attributes (every service's and task's packed record) as DynamoDB sent them. The SDK's own
 * decoder first checks each value against a regular expression, a tenth of the CPU of a resync;
 * DynamoDB's responses are well-formed base64, and Buffer decodes them all the same.
 */
const fromBase64 = (text: string): Uint8Array => {
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * True when a call failed without a verdict from DynamoDB (its deadline passed, the connection broke
 * or was refused, or DynamoDB answered 5xx): a write may or may not have landed. A refusal
 * (a failed condition, a validation error, throttling) is a verdict and stays what it is.
 */
export const isUnknownOutcome = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, $metadata } = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (code !== undefined && NETWORK_ERROR_CODES.has(code)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  );
};

/**
 * Every DynamoDB call ends within `deadlineMs`, SDK retries included, well inside the API
 * handler's timeout: a stalled DynamoDB gets the caller ECS's retryable ServerException (500,
 * Retry-After) in seconds, never the gateway's 29 s timeout. As the outcome is unknown then, every
 * mutating operation is idempotent under the client's retry.
 */
const withDeadline =
  (deadlineMs: number): InitializeMiddleware<object, MetadataBearer> =>
  (next) =>
  async (args) => {
    let timer: NodeJS.Timeout | undefined;
    const call = next(args);
    // The abandoned call may still fail later: nobody is waiting for it any more.
    call.catch(() => undefined);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServerException()), deadlineMs);
    });
    try {
      return await Promise.race([call, deadline]);
    } catch (error) {
      if (isUnknownOutcome(error)) throw new ServerException();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

const errorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : undefined;

/** True when a conditional write or a transaction lost to its condition or to a concurrent transaction. */
export const isConditionFailure = (error: unknown): boolean => {
  const name = errorName(error);
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException' || name === 'TransactionConflictException';
};

/** Why each item of a cancelled transaction failed, in the order of its items ('None' for those that did not). */
export const cancellationCodes = (error: unknown): string[] =>
  ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');

/** Turns DynamoDB's throttling into the domain's ThrottlingException; other errors pass through. */
export const translateThrottling = (error: unknown): never => {
  const name = errorName(error);
  if (name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded') {
    throw new ThrottlingException();
  }
  throw error;
};

/** For writes retried on a lost condition: the condition failure itself, or the translated error. */
export const throwConditionFailure = (error: unknown): never => {
  if (isConditionFailure(error)) throw error;
  return translateThrottling(error);
};

/** What a page token is bound to: a token is honoured only for the same list, query and partition. */
export interface TokenScope {
  /** The listing it pages through, e.g. "ListTasks". */
  list: string;
  /** The partition read, which names the account (and the cluster). */
  partition: string;
  /** The caller's filters and order; the token of one query is refused by another. */
  query?: Record<string, unknown>;
}

/** DynamoDB's limit on a key attribute; a signed key is checked against it all the same. */
const MAX_KEY_ATTRIBUTE_BYTES = 1024;

const tokenMac = (secret: string, scope: TokenScope, payload: string): Buffer => {
  const query = Object.entries(scope.query ?? {})
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHmac('sha256', secret).update(JSON.stringify([scope.list, scope.partition, query, payload])).digest();
};

const invalidToken = () => new InvalidParameterException("Invalid 'nextToken': it was not issued for this request.");

/**
 * Pagination tokens are opaque and self-checking: the LastEvaluatedKey, HMAC-signed together with
 * the list, the query and the partition (hence the account) it was issued for, with the stage's
 * secret. A token from another list or query, or forged, edited or truncated, is refused with
 * InvalidParameterException before DynamoDB sees it.
 */
export const encodeToken = (
  table: TableContext,
  lastEvaluatedKey: Record<string, unknown> | undefined,
  scope: TokenScope,
): string | undefined => {
  if (!lastEvaluatedKey) return undefined;
  const payload = Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url');
  return `${payload}.${tokenMac(table.pageTokenSecret, scope, payload).toString('base64url')}`;
};

export const decodeToken = (table: TableContext, token: string | undefined, scope: TokenScope): Record<string, unknown> | undefined => {
  if (token === undefined) return undefined;
  const [payload, mac, ...rest] = token.split('.');
  const expected = tokenMac(table.pageTokenSecret, scope, payload ?? '');
  // Compared as the text it must be: base64url decoding ignores stray characters and unused bits.
  const given = Buffer.from(mac ?? '');
  const wanted = Buffer.from(expected.toString('base64url'));
  if (rest.length > 0 || given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw invalidToken();
  const key: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  // Signed by us, so well-formed; checked anyway, since a leaked secret must not reach DynamoDB's limits.
  const wellFormed =
    typeof key === 'object' &&
    key !== null &&
    (key as Key).PK === scope.partition &&
    Object.values(key).every((value) => typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= MAX_KEY_ATTRIBUTE_BYTES);
  if (!wellFormed) throw invalidToken();
  return key as Record<string, unknown>;
};

/**
 * A Query of a secondary index whose hash key is the item's own PK. A page token carries only the
 * base-table key of the last item returned; the index's sort key at that position is rebuilt from
 * it (`sortKeyOf`), so tokens keep one format for every list.
 */
export interface IndexQuery {
  indexName: string;
  sortKeyName: string;
  sortKeyOf: (key: Key) => string;
}

/**
 * One page of a Query (of the table, or of an index keyed by PK) with an optional
 * FilterExpression: keeps reading until `maxResults` items matched or the range is exhausted, so
 * callers never get an empty page with a token. The token is the key of the last item returned, so
 * nothing is skipped or repeated.
 */
export const queryPage = async <T extends Key>(
  table: TableContext,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey' | 'IndexName'>,
  scope: TokenScope,
  page: PageRequest,
  index?: IndexQuery,
): Promise<{ items: T[]; nextToken?: string }> => {
  const items: T[] = [];
  const tokenKey = decodeToken(table, page.nextToken, scope);
  let startKey: Record<string, unknown> | undefined =
    tokenKey && index
      ? { PK: tokenKey.PK, SK: tokenKey.SK, [index.sortKeyName]: index.sortKeyOf({ PK: String(tokenKey.PK), SK: String(tokenKey.SK) }) }
      : tokenKey;
  for (;;) {
    const result = await table.client
      .send(
        new QueryCommand({
          ...input,
          TableName: table.tableName,
          ...(index ? { IndexName: index.indexName } : {}),
          Limit: page.maxResults,
          ExclusiveStartKey: startKey,
        }),
      )
      .catch(translateThrottling);
    for (const item of (result.Items ?? []) as T[]) {
      items.push(item);
      if (items.length === page.maxResults) {
        const more = item !== result.Items?.at(-1) || result.LastEvaluatedKey !== undefined;
        return { items, nextToken: more ? encodeToken(table, { PK: item.PK, SK: item.SK }, scope) : undefined };
      }
    }
    if (!result.LastEvaluatedKey) return { items };
    startKey = result.LastEvaluatedKey;
  }
};

/** A condition the item must still meet when its tags are written, e.g. "the cluster is ACTIVE". */
export interface WriteCondition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

const MAX_TAG_ATTEMPTS = 50;

/**
 * Applies a TagChange to an item's top-level `tags` as a compare-and-swap on `tagsVersion`: a
 * writer that lost to a concurrent tag change reads again and reapplies its change. Undefined when
 * the item does not exist or no longer meets `condition`.
 */
export const rewriteTags = async (
  table: TableContext,
  key: Key,
  change: TagChange,
  condition?: WriteCondition,
): Promise<Tag[] | undefined> => {
  let refusedVersion: number | undefined;
  return withRetries(
    async () => {
      const { Item } = await table.client
        .send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))
        .catch(translateThrottling);
      const item = Item as { tags?: Tag[]; tagsVersion?: number } | undefined;
      const version = item?.tagsVersion ?? 0;
      // Refused although nobody changed the tags since: the item failed `condition`.
      if (!item || refusedVersion === version) return undefined;
      const tags = change(item.tags ?? []);
      try {
        await table.client.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: key,
            UpdateExpression: 'SET #tags = :tags, tagsVersion = :next',
            ConditionExpression: [
              // An update of a vanished item would create it.
              'attribute_exists(PK)',
              version === 0 ? 'attribute_not_exists(tagsVersion)' : 'tagsVersion = :read',
              ...(condition ? [condition.expression] : []),
            ].join(' AND '),
            ExpressionAttributeNames: { '#tags': 'tags', ...condition?.names },
            ExpressionAttributeValues: {
              ':tags': tags,
              ':next': version + 1,
              ...(version === 0 ? {} : { ':read': version }),
              ...condition?.values,
            },
          }),
        );
        return tags;
      } catch (error) {
        // A write that collided with a transaction on the item says nothing about the condition.
        if (errorName(error) === 'ConditionalCheckFailedException') refusedVersion = version;
        return throwConditionFailure(error);
      }
    },
    {
      attempts: MAX_TAG_ATTEMPTS,
      retryable: isConditionFailure,
      exhausted: () => new ConflictException('Too many concurrent tag changes to this resource; try again.'),
    },
  );
};

/** DynamoDB's limit on the keys of one BatchGetItem. */
const MAX_BATCH_GET_KEYS = 100;

const keyText = (key: Key) => `${key.PK}\u0000${key.SK}`;

interface PendingRead {
  key: Key;
  resolve: (item: Record<string, unknown> | undefined) => void;
  reject: (error: unknown) => void;
}

/** Reads waiting for their table's next BatchGetItem, apart per metered request (their units are counted apart). */
const pendingReads = new WeakMap<TableContext, Map<Consumption | undefined, PendingRead[]>>();

/**
 * A strongly consistent read of one item. The reads a request (or the reconciler) makes in the same
 * turn of the event loop are read together, in one BatchGetItem: a use case's cluster check beside
 * its services' read, the events of services committed side by side. One round trip instead of one
 * GetItem each (three side by side cost DynamoDB Local twice what one BatchGetItem of the same keys
 * does; DynamoDB bills the same units either way).
 */
export const consistentGet = (table: TableContext, key: Key): Promise<Record<string, unknown> | undefined> =>
  new Promise((resolve, reject) => {
    let byRequest = pendingReads.get(table);
    if (!byRequest) pendingReads.set(table, (byRequest = new Map()));
    const request = currentConsumption();
    let reads = byRequest.get(request);
    if (!reads) {
      const batch: PendingRead[] = (reads = []);
      byRequest.set(request, batch);
      setImmediate(() => {
        byRequest.delete(request);
        void readTogether(table, batch);
      });
    }
    reads.push({ key, resolve, reject });
  });

/** One batch of reads: repeated keys read once (DynamoDB refuses duplicates), unprocessed keys asked for again. */
const readTogether = async (table: TableContext, reads: PendingRead[]): Promise<void> => {
  const found = new Map<string, Record<string, unknown>>();
  let pending = [...new Map(reads.map(({ key }) => [keyText(key), { PK: key.PK, SK: key.SK }])).values()];
  try {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH_GET_KEYS);
      const result = await table.client
        .send(new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: batch, ConsistentRead: true } } }))
        .catch(translateThrottling);
      for (const item of result.Responses?.[table.tableName] ?? []) found.set(keyText(item as Key), item);
      pending = [...((result.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Key[]), ...pending.slice(MAX_BATCH_GET_KEYS)];
    }
  } catch (error) {
    for (const read of reads) read.reject(error);
    return;
  }
  for (const read of reads) read.resolve(found.get(keyText(read.key)));
};

/** Strongly consistent reads of several items (in the turn's one BatchGetItem): the items found, by key. */
export const consistentGetMany = async (table: TableContext, keys: Key[]) => {
  const items = await Promise.all(keys.map((key) => consistentGet(table, key)));
  const found = new Map(keys.map((key, index) => [keyText(key), items[index]]));
  return { get: (key: Key) => found.get(keyText(key)) };
};

/** Every page of a Query, in order, each read only when the previous one has been handled. */
export async function* queryPages(
  table: TableContext,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<QueryCommandOutput> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client
      .send(new QueryCommand({ ...input, TableName: table.tableName, ExclusiveStartKey: startKey }))
      .catch(translateThrottling);
    yield page;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every page of a Query, each handed to `visit` as it arrives. */
export const forEachPage = async (
  table: TableContext,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  visit: (page: QueryCommandOutput) => void,
): Promise<void> => {
  for await (const page of queryPages(table, input)) visit(page);
};

/**
 * A Put of a versioned record (service, task) that lands only if the stored item is still at the
 * version before the record's: optimistic concurrency for every writer of these records.
 */
export const putAtVersion = (tableName: string, item: Record<string, unknown> & { version: number }) => ({
  TableName: tableName,
  Item: item,
  ConditionExpression: 'version = :previous',
  ExpressionAttributeValues: { ':previous': item.version - 1 },
});

/**
 * A transaction's Put of a new cluster or service: its name may be used again once the old one is
 * INACTIVE (deleted), as in ECS.
 */
export const putNewOrInactive = (tableName: string, item: object) => ({
  Put: {
    TableName: tableName,
    Item: item,
    ConditionExpression: 'attribute_not_exists(PK) OR #status = :inactive',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':inactive': 'INACTIVE' },
  },
});
