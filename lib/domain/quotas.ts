import * as z from 'zod';
import { ECS_LIMITS, type ResourceLimits } from './limits';

/**
 * The quotas one account (tenant) works under (docs/limits.md). Two profiles: `ecs`, the local
 * default, is ECS's own quotas (nothing beyond what ECS enforces); `sandbox`, which hosted mode sets,
 * is sized for a learner (OWASP API4: no caller can consume without bound). A tenant's item may
 * override any of them (`quotas` on `A#<acct>` / `TENANT`), with the same names.
 */
export interface Quotas extends ResourceLimits {
  /**
   * Tasks an account may hold at once: the desired counts of its services plus its live standalone
   * tasks. Undefined: not enforced (ECS has no such quota; Fargate's is in vCPUs).
   */
  runningTasksPerAccount?: number;
  /** Tags on one resource, counted after a TagResource merges them (ECS: 50, its input limit too). */
  tagsPerResource: number;
  /** Requests per second of one account, sustained (a token bucket's refill). Undefined: not limited. */
  requestsPerSecond?: number;
  /** Requests one account may make at once after an idle spell (the bucket's capacity). */
  requestBurst?: number;
}

export const QUOTA_PROFILES = ['ecs', 'sandbox'] as const;
export type QuotaProfile = (typeof QUOTA_PROFILES)[number];

/** ECS's tags-per-resource limit; no override can raise a quota past what ECS's input validation takes. */
export const ECS_TAGS_PER_RESOURCE = 50;

export const ECS_QUOTAS: Quotas = { ...ECS_LIMITS, tagsPerResource: ECS_TAGS_PER_RESOURCE };

/** A learner's sandbox: enough for every ECS tutorial, far from what costs the deployer money. */
export const SANDBOX_QUOTAS: Quotas = {
  clustersPerAccount: 5,
  servicesPerCluster: 20,
  revisionsPerFamily: 500,
  runningTasksPerAccount: 50,
  tagsPerResource: 20,
  requestsPerSecond: 20,
  requestBurst: 40,
};

export const QUOTA_DEFAULTS: Record<QuotaProfile, Quotas> = { ecs: ECS_QUOTAS, sandbox: SANDBOX_QUOTAS };

const positive = () => z.number().int().min(1).max(1_000_000_000);

/** A tenant's overrides: any subset of the quotas, each a positive whole number. */
export const quotaOverridesSchema = z
  .object({
    clustersPerAccount: positive(),
    servicesPerCluster: positive(),
    revisionsPerFamily: positive(),
    runningTasksPerAccount: positive(),
    tagsPerResource: positive().max(ECS_TAGS_PER_RESOURCE),
    requestsPerSecond: positive(),
    requestBurst: positive(),
  })
  .partial()
  .strict();

export type QuotaOverrides = z.infer<typeof quotaOverridesSchema>;

/**
 * The defaults with a tenant's overrides on top. Overrides that do not parse are ignored as a whole
 * (the defaults apply), so a bad admin edit can never lift a quota; `invalid` says so for the log.
 */
export const withOverrides = (defaults: Quotas, overrides: unknown): { quotas: Quotas; invalid: boolean } => {
  if (overrides === undefined || overrides === null) return { quotas: defaults, invalid: false };
  const parsed = quotaOverridesSchema.safeParse(overrides);
  if (!parsed.success) return { quotas: defaults, invalid: true };
  return { quotas: { ...defaults, ...parsed.data }, invalid: false };
};

/** The burst of a limited rate: the configured one, or two seconds' worth. */
export const burstOf = (quotas: Quotas): number => quotas.requestBurst ?? Math.max(1, 2 * (quotas.requestsPerSecond ?? 1));
