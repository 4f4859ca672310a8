import { BatchWriteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cancellationCodes, isConditionFailure, keys, queryPages, translateThrottling, type TableContext } from '../adapters/dynamodb/table';
import type { EpochMs } from '../domain/model';
import { ConflictException, InvalidParameterException, LimitExceededException, ResourceNotFoundException, ThrottlingException } from '../errors';
import type { PageRequest } from '../ports';

/**
 * Tenants (hosted sandboxes) and their access keys, in the one table (docs/sandbox.md):
 *
 * - tenant: PK `A#<acct>` SK `TENANT`, in the tenant's own partition like everything it owns, and
 *   in the tenant registry (GSI1 `TENANTS`, sorted by expiry) that the sweeper and the admin list read;
 * - access key: PK `KEY#<id>` SK `KEY`, read by key id on every request (one consistent GetItem), so
 *   it carries a copy of its tenant's status and expiry; it outlives its tenant by a day at most (TTL).
 *
 * No secret is stored: a key's secret is derived from the master key (keys.ts).
 */
export type TenantStatus = 'ACTIVE' | 'SUSPENDED';

export interface AccessKeyRecord {
  accessKeyId: string;
  status: 'ACTIVE' | 'REVOKED';
  createdAt: EpochMs;
}

export interface Tenant {
  accountId: string;
  status: TenantStatus;
  createdAt: EpochMs;
  expiresAt: EpochMs;
  /** Overrides of the default quotas, read by the quota checks (lib/domain/quotas.ts). */
  quotas?: Record<string, number>;
  accessKeys: AccessKeyRecord[];
  /** Bumped by every change: the optimistic-concurrency check of the store's writes. */
  revision?: number;
}

/** What a request's access key grants: checked on every request. */
export interface KeyGrant {
  accessKeyId: string;
  accountId: string;
  keyStatus: AccessKeyRecord['status'];
  tenantStatus: TenantStatus;
  tenantExpiresAt: EpochMs;
  /** The tenant's quota overrides, copied here so that a request learns them with its one read. */
  quotas?: Record<string, number>;
}

export interface TenantChange {
  status?: TenantStatus;
  expiresAt?: EpochMs;
  quotas?: Record<string, number>;
}

const TENANT_SK = 'TENANT';
const REGISTRY = 'TENANTS';
/** A key item stays (refused) this long after its tenant's expiry, in case the sweeper is late. */
const KEY_GRACE_MS = 24 * 3_600_000;

const tenantKey = (accountId: string) => ({ PK: keys.account(accountId), SK: TENANT_SK });
const accessKeyKey = (accessKeyId: string) => ({ PK: `KEY#${accessKeyId}`, SK: 'KEY' });
const registrySortKey = (expiresAt: EpochMs, accountId: string) => `${String(expiresAt).padStart(13, '0')}#${accountId}`;
const REGISTRY_POSITION = /^\d{13}#\d{12}$/;
const liveCountKey = { PK: 'SANDBOXES', SK: 'COUNT' };

const tenantItem = (tenant: Tenant) => ({
  ...tenantKey(tenant.accountId),
  kind: 'tenant',
  GSI1PK: REGISTRY,
  GSI1SK: registrySortKey(tenant.expiresAt, tenant.accountId),
  accountId: tenant.accountId,
  tenantStatus: tenant.status,
  createdAt: tenant.createdAt,
  tenantExpiresAt: tenant.expiresAt,
  quotas: tenant.quotas,
  accessKeys: tenant.accessKeys,
  revision: tenant.revision ?? 0,
});

const keyItem = (key: AccessKeyRecord, tenant: Pick<Tenant, 'accountId' | 'status' | 'expiresAt' | 'quotas'>) => ({
  ...accessKeyKey(key.accessKeyId),
  kind: 'access-key',
  accessKeyId: key.accessKeyId,
  accountId: tenant.accountId,
  keyStatus: key.status,
  createdAt: key.createdAt,
  tenantStatus: tenant.status,
  tenantExpiresAt: tenant.expiresAt,
  quotas: tenant.quotas,
  // DynamoDB TTL (epoch seconds): the key item disappears on its own even if its tenant's purge never ran.
  expiresAt: Math.ceil((tenant.expiresAt + KEY_GRACE_MS) / 1000),
});

const tenantOf = (item: Record<string, unknown>): Tenant => ({
  accountId: item.accountId as string,
  status: item.tenantStatus as TenantStatus,
  createdAt: item.createdAt as number,
  expiresAt: item.tenantExpiresAt as number,
  ...(item.quotas ? { quotas: item.quotas as Record<string, number> } : {}),
  accessKeys: item.accessKeys as AccessKeyRecord[],
  revision: item.revision as number,
});

const tenantNotFound = (accountId: string) => new ResourceNotFoundException(`Tenant ${accountId} not found.`);

/** DynamoDB's limit on the items of one BatchWriteItem. */
const MAX_BATCH_WRITE = 25;

export class TenantStore {
  constructor(private readonly table: TableContext) {}

  async keyGrant(accessKeyId: string): Promise<KeyGrant | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: accessKeyKey(accessKeyId), ConsistentRead: true }))
      .catch(translateThrottling);
    if (!Item) return undefined;
    return {
      accessKeyId,
      accountId: Item.accountId as string,
      keyStatus: Item.keyStatus as KeyGrant['keyStatus'],
      tenantStatus: Item.tenantStatus as TenantStatus,
      tenantExpiresAt: Item.tenantExpiresAt as number,
      ...(Item.quotas ? { quotas: Item.quotas as Record<string, number> } : {}),
    };
  }

  async get(accountId: string): Promise<Tenant | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: tenantKey(accountId), ConsistentRead: true }))
      .catch(translateThrottling);
    return Item ? tenantOf(Item) : undefined;
  }

  private async required(accountId: string): Promise<Tenant> {
    const tenant = await this.get(accountId);
    if (!tenant) throw tenantNotFound(accountId);
    return tenant;
  }

  /**
   * Creates a tenant with its first key, in one transaction with the count of live sandboxes
   * (below `maxTenants`). False when the account id or key id is taken (the caller draws again).
   */
  async create(tenant: Tenant, maxTenants: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table.tableName, Item: tenantItem(tenant), ConditionExpression: 'attribute_not_exists(PK)' } },
            ...tenant.accessKeys.map((key) => ({
              Put: { TableName: this.table.tableName, Item: keyItem(key, tenant), ConditionExpression: 'attribute_not_exists(PK)' },
            })),
            {
              Update: {
                TableName: this.table.tableName,
                Key: liveCountKey,
                UpdateExpression: 'ADD live :one',
                ConditionExpression: 'attribute_not_exists(live) OR live < :max',
                ExpressionAttributeValues: { ':one': 1, ':max': maxTenants },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const codes = cancellationCodes(error);
      if (codes.at(-1) === 'ConditionalCheckFailed') {
        throw new LimitExceededException(`The sandbox is full: ${maxTenants} sandboxes are live. Try again later.`);
      }
      if (codes.some((code) => code === 'ConditionalCheckFailed')) return false;
      throw new ThrottlingException();
    }
  }

  /**
   * Counts one sandbox creation from `sourceIp` in the current hour; ThrottlingException past
   * `perHour`. The counter expires with its hour (TTL).
   */
  async countCreation(sourceIp: string, now: EpochMs, perHour: number): Promise<void> {
    const hour = Math.floor(now / 3_600_000);
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { PK: `SANDBOXES#IP#${sourceIp}`, SK: `H#${hour}` },
          UpdateExpression: 'ADD created :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(created) OR created < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': perHour, ':expires': (hour + 2) * 3600 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      throw new ThrottlingException(`Rate exceeded: at most ${perHour} sandboxes per hour from one address.`);
    }
  }

  /**
   * One page of the tenant registry, soonest expiry first. The admin API's token is the registry
   * position of the last tenant returned (nothing secret: only the admin reads it).
   */
  async list(page: PageRequest): Promise<{ tenants: Tenant[]; nextToken?: string }> {
    if (page.nextToken !== undefined && !REGISTRY_POSITION.test(page.nextToken)) {
      throw new InvalidParameterException("Invalid 'nextToken': it was not issued for this request.");
    }
    const limit = page.maxResults ?? 100;
    const { Items = [], LastEvaluatedKey } = await this.table.client
      .send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: 'GSI1',
          ...(page.nextToken === undefined
            ? { KeyConditionExpression: 'GSI1PK = :registry', ExpressionAttributeValues: { ':registry': REGISTRY } }
            : {
                KeyConditionExpression: 'GSI1PK = :registry AND GSI1SK > :after',
                ExpressionAttributeValues: { ':registry': REGISTRY, ':after': page.nextToken },
              }),
          Limit: limit,
        }),
      )
      .catch(translateThrottling);
    return {
      tenants: Items.map(tenantOf),
      ...(LastEvaluatedKey && Items.length === limit ? { nextToken: Items.at(-1)!.GSI1SK as string } : {}),
    };
  }

  /** Tenants whose expiry has passed, at most `limit` of them. */
  async expired(now: EpochMs, limit: number): Promise<string[]> {
    const expired: string[] = [];
    for await (const page of queryPages(this.table, {
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :registry AND GSI1SK < :now',
      ExpressionAttributeValues: { ':registry': REGISTRY, ':now': registrySortKey(now, '') },
      Limit: limit,
    })) {
      expired.push(...(page.Items ?? []).map((item) => item.accountId as string));
      if (expired.length >= limit) break;
    }
    return expired.slice(0, limit);
  }

  /** Rewrites the tenant and every key item with it (each key carries the tenant's status and expiry). */
  private async write(before: Tenant, changed: Tenant): Promise<Tenant> {
    const after = { ...changed, revision: (before.revision ?? 0) + 1 };
    const keysChanged = after.accessKeys.filter((key) => !before.accessKeys.some((old) => old.accessKeyId === key.accessKeyId));
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.tableName,
                Item: tenantItem(after),
                // Optimistic concurrency: the tenant is as it was read.
                ConditionExpression: 'revision = :read',
                ExpressionAttributeValues: { ':read': before.revision ?? 0 },
              },
            },
            ...after.accessKeys.map((key) => ({
              Put: {
                TableName: this.table.tableName,
                Item: keyItem(key, after),
                ...(keysChanged.includes(key) ? { ConditionExpression: 'attribute_not_exists(PK)' } : {}),
              },
            })),
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The tenant changed meanwhile; retry the request.');
      translateThrottling(error);
    }
    return after;
  }

  async update(accountId: string, change: TenantChange): Promise<Tenant> {
    const before = await this.required(accountId);
    const after: Tenant = {
      ...before,
      ...(change.status ? { status: change.status } : {}),
      ...(change.expiresAt !== undefined ? { expiresAt: change.expiresAt } : {}),
      ...(change.quotas ? { quotas: change.quotas } : {}),
    };
    return this.write(before, after);
  }

  /** Adds a key (and revokes the others when rotating). */
  async addKey(accountId: string, key: AccessKeyRecord, revokeOthers: boolean): Promise<Tenant> {
    const before = await this.required(accountId);
    const after: Tenant = {
      ...before,
      accessKeys: [
        ...before.accessKeys.map((old) => (revokeOthers ? { ...old, status: 'REVOKED' as const } : old)),
        key,
      ],
    };
    return this.write(before, after);
  }

  async revokeKey(accountId: string, accessKeyId: string): Promise<Tenant> {
    const before = await this.required(accountId);
    if (!before.accessKeys.some((key) => key.accessKeyId === accessKeyId)) {
      throw new ResourceNotFoundException(`Access key ${accessKeyId} not found.`);
    }
    const after: Tenant = {
      ...before,
      accessKeys: before.accessKeys.map((key) => (key.accessKeyId === accessKeyId ? { ...key, status: 'REVOKED' as const } : key)),
    };
    return this.write(before, after);
  }

  /** Every item of a partition, for the purge. */
  async *partitionItems(partition: string): AsyncGenerator<Record<string, unknown>> {
    for await (const page of queryPages(this.table, {
      KeyConditionExpression: 'PK = :partition',
      ExpressionAttributeValues: { ':partition': partition },
    })) {
      yield* page.Items ?? [];
    }
  }

  /** Deletes the given items, in batches, retrying what DynamoDB leaves unprocessed. */
  async deleteItems(items: Array<{ PK: string; SK: string }>): Promise<void> {
    let pending = items.map(({ PK, SK }) => ({ DeleteRequest: { Key: { PK, SK } } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const batch = pending.slice(0, MAX_BATCH_WRITE);
      const result = await this.table.client
        .send(new BatchWriteCommand({ RequestItems: { [this.table.tableName]: batch } }))
        .catch(translateThrottling);
      const unprocessed = (result.UnprocessedItems?.[this.table.tableName] ?? []) as typeof pending;
      pending = [...unprocessed, ...pending.slice(MAX_BATCH_WRITE)];
      if (unprocessed.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
    }
  }

  /** Removes the tenant, its key items and its place in the live count: the purge's last step. */
  async remove(tenant: Tenant): Promise<void> {
    await this.deleteItems([tenantKey(tenant.accountId), ...tenant.accessKeys.map((key) => accessKeyKey(key.accessKeyId))]);
    await this.table.client
      .send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: liveCountKey,
          UpdateExpression: 'ADD live :minusOne',
          ConditionExpression: 'live > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      )
      .catch((error: unknown) => (isConditionFailure(error) ? undefined : translateThrottling(error)));
  }
}

export const TENANT_SORT_KEY = TENANT_SK;
