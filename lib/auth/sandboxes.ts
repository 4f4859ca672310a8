import * as z from 'zod';
import type { SandboxSettings } from '../config';
import type { EpochMs } from '../domain/model';
import { lazySchema, parseInput } from '../domain/validation';
import { AccessDeniedException, ServerException } from '../errors';
import { constantTimeEqual, newAccessKeyId, newAccountId, secretFor } from './keys';
import type { AccessKeyRecord, Tenant, TenantStore } from './tenant-store';

/**
 * POST /v1/sandboxes: a new tenant (an AWS-style account) with one access key, in one call. Public
 * in hosted mode, so it is guarded: an invite code when the stage sets one, a per-address hourly
 * limit, and a cap on live sandboxes.
 */
export const createSandboxInput = lazySchema(() => z.object({ inviteCode: z.string().max(256).optional() }).strict());

export interface SandboxContext {
  tenants: TenantStore;
  settings: SandboxSettings;
  region: string;
  masterKey: string;
  now: EpochMs;
}

/** An issued key pair, as its owner is shown it once. */
export interface IssuedKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export const PROFILE = 'ecsbox';

/** The ready-made AWS CLI / SDK profile files for an issued key. */
export const profileFiles = (key: IssuedKey, region: string, endpoint: string) => ({
  credentials: `[${PROFILE}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
  config: `[profile ${PROFILE}]\nregion = ${region}\nendpoint_url = ${endpoint}\n`,
});

export const newKey = (masterKey: string, now: EpochMs): { record: AccessKeyRecord; issued: IssuedKey } => {
  const accessKeyId = newAccessKeyId();
  return {
    record: { accessKeyId, status: 'ACTIVE', createdAt: now },
    issued: { accessKeyId, secretAccessKey: secretFor(masterKey, accessKeyId) },
  };
};

/** Account and key ids are random; a collision (about one in 10^11) draws again, a few times. */
const MAX_DRAWS = 5;

export const createSandbox = async (context: SandboxContext, input: unknown, sourceIp: string, endpoint: string) => {
  const { inviteCode } = parseInput(createSandboxInput(), input);
  const required = context.settings.inviteCode;
  if (required !== undefined && (inviteCode === undefined || !constantTimeEqual(inviteCode, required))) {
    throw new AccessDeniedException("A valid invite code is required: send {\"inviteCode\": \"...\"}.");
  }
  await context.tenants.countCreation(sourceIp, context.now, context.settings.perIpPerHour);
  for (let draw = 0; draw < MAX_DRAWS; draw += 1) {
    const key = newKey(context.masterKey, context.now);
    const tenant: Tenant = {
      accountId: newAccountId(),
      status: 'ACTIVE',
      createdAt: context.now,
      expiresAt: context.now + context.settings.lifetimeMs,
      accessKeys: [key.record],
    };
    if (await context.tenants.create(tenant, context.settings.maxTenants)) {
      return {
        accountId: tenant.accountId,
        ...key.issued,
        region: context.region,
        expiresAt: new Date(tenant.expiresAt).toISOString(),
        endpoint,
        ...profileFiles(key.issued, context.region, endpoint),
      };
    }
  }
  throw new ServerException('No free account id was found; retry the request.');
};

/** A tenant as the admin API shows it: never a secret. */
export const presentTenant = (tenant: Tenant) => ({
  accountId: tenant.accountId,
  status: tenant.status,
  createdAt: new Date(tenant.createdAt).toISOString(),
  expiresAt: new Date(tenant.expiresAt).toISOString(),
  quotas: tenant.quotas ?? {},
  accessKeys: tenant.accessKeys.map((key) => ({ ...key, createdAt: new Date(key.createdAt).toISOString() })),
});
