import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { EpochMs } from '../../domain/model';
import { withOverrides, type Quotas } from '../../domain/quotas';
import { log } from '../../log';
import type { QuotaSource } from '../../ports';
import { keys, translateThrottling, type TableContext } from './table';

/** The tenant's item, which hosted mode's tenants carry their `quotas` overrides on. */
export const TENANT_ITEM = 'TENANT';

/** How long a tenant's quotas are reused by one container: an admin's change applies within it. */
export const QUOTA_CACHE_MS = 30_000;

/** Accounts remembered per container; the oldest is forgotten first. */
const MAX_CACHED_ACCOUNTS = 1_000;

/**
 * Every account's quotas: the stage's defaults, and in the sandbox profile each tenant's overrides
 * from its item (one eventually consistent GetItem, reused for QUOTA_CACHE_MS per container). Open
 * mode has no tenants and reads nothing.
 */
export class TenantQuotas implements QuotaSource {
  private readonly cache = new Map<string, { quotas: Quotas; until: EpochMs }>();

  constructor(
    private readonly table: TableContext,
    private readonly defaults: Quotas,
    private readonly readTenants: boolean,
    private readonly clock: { now(): EpochMs },
  ) {}

  async of(accountId: string): Promise<Quotas> {
    if (!this.readTenants) return this.defaults;
    const now = this.clock.now();
    const cached = this.cache.get(accountId);
    if (cached && cached.until > now) return cached.quotas;
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(accountId), SK: TENANT_ITEM },
          ProjectionExpression: 'quotas',
        }),
      )
      .catch(translateThrottling);
    const { quotas, invalid } = withOverrides(this.defaults, Item?.quotas);
    if (invalid) log.warn('tenant quota overrides ignored', { accountId });
    this.cache.delete(accountId);
    if (this.cache.size >= MAX_CACHED_ACCOUNTS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(accountId, { quotas, until: now + QUOTA_CACHE_MS });
    return quotas;
  }
}
