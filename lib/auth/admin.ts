import * as z from 'zod';
import type { Config } from '../config';
import type { EpochMs } from '../domain/model';
import { lazySchema, parseInput } from '../domain/validation';
import type { FleetResolver } from '../fleet/resolver';
import { InvalidParameterException, ResourceNotFoundException } from '../errors';
import { ACCESS_KEY_ID_PATTERN, ACCOUNT_ID_PATTERN } from './keys';
import { purgeTenant } from './purge';
import { newKey, presentTenant, profileFiles } from './sandboxes';
import type { TenantStore } from './tenant-store';
import { usageQuery } from '../usecases/usage';

/**
 * The operators' API under /v1/admin (admin token only, never a tenant key): list, inspect,
 * extend, suspend or reactivate, delete tenants, and rotate or revoke their keys.
 */
export interface AdminContext {
  tenants: TenantStore;
  fleets: FleetResolver;
  settings: Pick<Config, 'region' | 'sandbox'>;
  masterKey: string;
  now: EpochMs;
  endpoint: string;
  /** A tenant's usage report (lib/usecases/usage.ts), as its own GET /v1/usage would answer. */
  usageOf: (accountId: string, days?: number) => Promise<unknown>;
}

export interface AdminRequest {
  routeKey: string;
  path: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: unknown;
}
const listQuery = lazySchema(() =>
  z.object({ maxResults: z.coerce.number().int().min(1).max(100).default(100), nextToken: z.string().max(64).optional() }).strict(),
);

const updateInput = lazySchema(() =>
  z
    .object({
      status: z.enum(['ACTIVE', 'SUSPENDED']).optional(),
      /** A new expiry (ISO 8601), or hours to add to the current one. */
      expiresAt: z.iso.datetime({ offset: true }).optional(),
      extendHours: z.number().positive().max(24 * 365).optional(),
      quotas: z.record(z.string().min(1).max(64), z.number().int().min(0)).optional(),
    })
    .strict(),
);

const rotateInput = lazySchema(() => z.object({ revokeExisting: z.boolean().default(true) }).strict());

const accountIdOf = (path: AdminRequest['path']) => {
  const accountId = path.accountId ?? '';
  if (!ACCOUNT_ID_PATTERN.test(accountId)) throw new InvalidParameterException("Invalid 'accountId': must be a 12-digit account id.");
  return accountId;
};

const required = async (context: AdminContext, accountId: string) => {
  const tenant = await context.tenants.get(accountId);
  if (!tenant) throw new ResourceNotFoundException(`Tenant ${accountId} not found.`);
  return tenant;
};

type AdminAction = (context: AdminContext, request: AdminRequest) => Promise<{ status: number; body: unknown }>;

export const adminActions: Record<string, AdminAction> = {
  'GET /v1/admin/tenants': async (context, request) => {
    const { maxResults, nextToken } = parseInput(listQuery(), request.query);
    const page = await context.tenants.list({ maxResults, nextToken });
    return { status: 200, body: { tenants: page.tenants.map(presentTenant), nextToken: page.nextToken } };
  },
  'GET /v1/admin/tenants/{accountId}/usage': async (context, request) => {
    const accountId = (await required(context, accountIdOf(request.path))).accountId;
    const { days } = parseInput(usageQuery(), request.query);
    return { status: 200, body: await context.usageOf(accountId, days) };
  },
  'GET /v1/admin/tenants/{accountId}': async (context, request) => ({
    status: 200,
    body: { tenant: presentTenant(await required(context, accountIdOf(request.path))) },
  }),
  'PATCH /v1/admin/tenants/{accountId}': async (context, request) => {
    const accountId = accountIdOf(request.path);
    const change = parseInput(updateInput(), request.body);
    const current = await required(context, accountId);
    const expiresAt =
      change.expiresAt !== undefined
        ? Date.parse(change.expiresAt)
        : change.extendHours !== undefined
          ? Math.max(current.expiresAt, context.now) + change.extendHours * 3_600_000
          : undefined;
    const tenant = await context.tenants.update(accountId, { status: change.status, expiresAt, quotas: change.quotas });
    return { status: 200, body: { tenant: presentTenant(tenant) } };
  },
  'DELETE /v1/admin/tenants/{accountId}': async (context, request) => {
    const accountId = accountIdOf(request.path);
    const tenant = await required(context, accountId);
    await purgeTenant(context.tenants, context.fleets, context.settings.region, accountId, context.now);
    return { status: 200, body: { tenant: { ...presentTenant(tenant), status: 'DELETED' } } };
  },
  'POST /v1/admin/tenants/{accountId}/keys': async (context, request) => {
    const accountId = accountIdOf(request.path);
    const { revokeExisting } = parseInput(rotateInput(), request.body ?? {});
    const key = newKey(context.masterKey, context.now);
    const tenant = await context.tenants.addKey(accountId, key.record, revokeExisting);
    return {
      status: 201,
      body: { ...key.issued, ...profileFiles(key.issued, context.settings.region, context.endpoint), tenant: presentTenant(tenant) },
    };
  },
  'DELETE /v1/admin/tenants/{accountId}/keys/{accessKeyId}': async (context, request) => {
    const accountId = accountIdOf(request.path);
    const accessKeyId = request.path.accessKeyId ?? '';
    if (!ACCESS_KEY_ID_PATTERN.test(accessKeyId)) throw new InvalidParameterException("Invalid 'accessKeyId': not an access key id.");
    return { status: 200, body: { tenant: presentTenant(await context.tenants.revokeKey(accountId, accessKeyId)) } };
  },
};
