import * as z from 'zod';
import type { ClusterFleet } from './domain/model';
import { ECS_TAGS_PER_RESOURCE, QUOTA_DEFAULTS, QUOTA_PROFILES, type Quotas } from './domain/quotas';
import { priceOverridesSchema, withPriceOverrides, type PriceTable } from './metering/prices';

/**
 * Configuration, read from the environment and checked once per cold start. A bad value stops
 * the function at start-up with a message naming the variable, rather than failing a request.
 */
const optional = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** One quota's override: unset or empty leaves the profile's value. */
const quota = optional.pipe(z.string().regex(/^\d+$/, 'must be a positive whole number').transform(Number).pipe(z.number().int().min(1)).optional());

/** Browser origins a local frontend is served from: any port of localhost or 127.0.0.1. */
export const LOCAL_CORS_ORIGINS = 'http://localhost:*,http://127.0.0.1:*';

/** The key that signs page tokens on the local stack and in tests, where nothing is secret. */
const LOCAL_PAGE_TOKEN_SECRET = 'ecsbox-local-page-token-secret';

/** The master key and admin token of open mode, where nothing is secret (sigv4 mode needs its own). */
const LOCAL_MASTER_KEY = 'ecsbox-local-master-key-not-secret';
const LOCAL_ADMIN_TOKEN = 'ecsbox-local-admin-token';

const configSchema = z.object({
  /** open: any credentials, every request is ECSBOX_ACCOUNT_ID; sigv4: the hosted sandbox (lib/auth). */
  ECSBOX_AUTH: z.enum(['open', 'sigv4']).default('open'),
  /** Derives every tenant's secret key (docs/sandbox.md): the value, or an SSM SecureString's name. */
  ECSBOX_MASTER_KEY: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  ECSBOX_MASTER_KEY_PARAMETER: optional,
  /** The admin API's bearer token: the value, or an SSM SecureString's name. */
  ECSBOX_ADMIN_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ECSBOX_ADMIN_TOKEN_PARAMETER: optional,
  /** How long a sandbox lives before the sweeper deletes it (the admin API can extend it). */
  SANDBOX_LIFETIME_HOURS: z.coerce.number().positive().max(24 * 365).default(72),
  /** Live sandboxes at most (POST /v1/sandboxes is public in hosted mode). */
  SANDBOX_MAX_TENANTS: z.coerce.number().int().min(0).default(500),
  /** Sandboxes one source IP may create per hour. */
  SANDBOX_PER_IP_PER_HOUR: z.coerce.number().int().min(0).default(5),
  /** When set, POST /v1/sandboxes requires this invite code. */
  SANDBOX_INVITE_CODE: optional,
  /** The endpoint a new sandbox is told to use; by default the address the request came to. */
  PUBLIC_ENDPOINT: optional.pipe(z.url().optional()),
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  ECSBOX_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').default('000000000000'),
  /** DynamoDB Local's address; unset in AWS. */
  DYNAMODB_ENDPOINT: optional,
  /** The deadline of one DynamoDB call, SDK retries included (lib/adapters/dynamodb/table.ts). */
  DYNAMODB_DEADLINE_MS: z.coerce.number().int().min(200).max(20_000).optional(),
  /** Comma-separated origins allowed by CORS (both faces); by default the local stack's browser origins. */
  CORS_ORIGINS: z.string().default(LOCAL_CORS_ORIGINS),
  /** The stage's key for signing page tokens (nextToken); a deployed stage sets its own (serverless.yml). */
  PAGE_TOKEN_SECRET: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** How long stopped tasks stay visible (ECS keeps them about an hour). */
  TASK_RETENTION_HOURS: z.coerce.number().positive().default(24),
  FLEET_PROFILE: z.enum(['fast', 'realistic']).default('realistic'),
  /** The reconciler function, invoked asynchronously after every desired-state change. */
  RECONCILER_FUNCTION_NAME: optional,
  /** The scaling controller's function, woken after a change to scaling (lib/controllers/scaling). */
  SCALING_FUNCTION_NAME: optional,
  /** The capacity controller's function, woken when tasks wait for capacity (lib/controllers/capacity). */
  CAPACITY_FUNCTION_NAME: optional,
  /** serverless-offline's Lambda endpoint; unset in AWS. */
  LAMBDA_ENDPOINT: optional,
  /** Number of reconcile shards (each has its own lease). */
  RECONCILE_SHARDS: z.coerce.number().int().min(1).max(64).default(1),
  /** Minutes between full resyncs of every shard (the safety net under the due-driven minutes). */
  RECONCILE_RESYNC_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  /** The backend of clusters that do not choose one, and the Fargate target's defaults. */
  FLEET_BACKEND: z.enum(['simulated', 'fargate']).default('simulated'),
  FARGATE_CLUSTER: optional,
  FARGATE_SUBNETS: optional,
  FARGATE_SECURITY_GROUPS: optional,
  FARGATE_ASSIGN_PUBLIC_IP: z.enum(['ENABLED', 'DISABLED', '']).optional(),
  FARGATE_EXECUTION_ROLE_ARN: optional,
  FARGATE_TASK_ROLE_ARN: optional,
  FARGATE_ENDPOINT: optional,
  FARGATE_REGION: optional,
  /**
   * The quota profile (docs/limits.md): `ecs` (ECS's own quotas, the local default) or `sandbox`
   * (a learner's, which hosted mode sets). The ECSBOX_MAX_* variables override single quotas of
   * the profile (the tests lower them to reach them cheaply); a tenant's item overrides them again.
   */
  // Unset: hosted mode's learners get the sandbox profile, open mode ECS's own quotas.
  ECSBOX_QUOTAS: optional.pipe(z.enum(QUOTA_PROFILES).optional()),
  ECSBOX_MAX_CLUSTERS: quota,
  ECSBOX_MAX_SERVICES_PER_CLUSTER: quota,
  ECSBOX_MAX_REVISIONS_PER_FAMILY: quota,
  ECSBOX_MAX_RUNNING_TASKS: quota,
  ECSBOX_MAX_TAGS_PER_RESOURCE: quota.pipe(z.number().max(ECS_TAGS_PER_RESOURCE).optional()),
  ECSBOX_MAX_REQUESTS_PER_SECOND: quota,
  ECSBOX_REQUEST_BURST: quota,
  /** The cost meter (lib/metering): `on` counts every account's units per day (GET /v1/usage). */
  ECSBOX_METER: z.enum(['on', 'off']).default('on'),
  /** The price table's overrides, as JSON (lib/metering/prices.ts). */
  ECSBOX_PRICES: optional.pipe(
    z
      .string()
      .transform((text, context) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          context.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(priceOverridesSchema)
      .optional(),
  ),
  /** Lambda sets it; the memory the meter prices a request's duration at. */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: z.coerce.number().int().min(128).max(10_240).default(512),
});

const list = (value: string | undefined) =>
  value ? value.split(',').map((entry) => entry.trim()).filter(Boolean) : undefined;

/** Drops unset members, so that defaults merge cleanly under a cluster's own settings. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined && entry !== '')) as T;

export interface AuthSettings {
  mode: 'open' | 'sigv4';
  masterKey?: string;
  masterKeyParameter?: string;
  adminToken?: string;
  adminTokenParameter?: string;
}

export interface SandboxSettings {
  lifetimeMs: number;
  maxTenants: number;
  perIpPerHour: number;
  inviteCode?: string;
  publicEndpoint?: string;
}
/** The set members only, as a partial of their type (for overrides of defaults). */
const overrides = <T extends object>(value: { [K in keyof T]?: T[K] | undefined }): Partial<T> => defined(value) as Partial<T>;

export interface Config {
  tableName: string;
  auth: AuthSettings;
  sandbox: SandboxSettings;
  region: string;
  accountId: string;
  dynamoDbEndpoint?: string;
  dynamoDbDeadlineMs?: number;
  corsOrigins: string[];
  pageTokenSecret: string;
  taskRetentionMs: number;
  fleetProfile: 'fast' | 'realistic';
  reconcilerFunctionName?: string;
  scalingFunctionName?: string;
  capacityFunctionName?: string;
  lambdaEndpoint?: string;
  reconcileShards: number;
  reconcileResyncMs: number;
  fleetDefaults: ClusterFleet;
  /** The profile's quotas with the stage's overrides: every account's defaults. */
  quotas: Quotas;
  /** Whether tenants' items may override the quotas (the sandbox profile: open mode has no tenants). */
  tenantQuotas: boolean;
  meter: boolean;
  prices: PriceTable;
  lambdaMemoryMb: number;
}

export const parseConfig = (environment: NodeJS.ProcessEnv): Config => {
  const result = configSchema.safeParse(environment);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const env = result.data;
  if (env.ECSBOX_AUTH === 'sigv4') {
    const refusals = [
      !env.ECSBOX_MASTER_KEY && !env.ECSBOX_MASTER_KEY_PARAMETER && 'ECSBOX_MASTER_KEY or ECSBOX_MASTER_KEY_PARAMETER is required',
      !env.ECSBOX_ADMIN_TOKEN && !env.ECSBOX_ADMIN_TOKEN_PARAMETER && 'ECSBOX_ADMIN_TOKEN or ECSBOX_ADMIN_TOKEN_PARAMETER is required',
      // Sandbox tenants run on the simulated fleet only: nobody's containers are billed to the deployer.
      env.FLEET_BACKEND === 'fargate' && 'FLEET_BACKEND: must be simulated',
      env.FARGATE_ENDPOINT && 'FARGATE_ENDPOINT: must be unset',
    ].filter(Boolean);
    if (refusals.length) throw new Error(`Invalid configuration for ECSBOX_AUTH=sigv4: ${refusals.join('; ')}`);
  }
  const open = env.ECSBOX_AUTH === 'open';
  const quotaProfile = env.ECSBOX_QUOTAS ?? (open ? 'ecs' : 'sandbox');
  return {
    tableName: env.TABLE_NAME,
    auth: {
      mode: env.ECSBOX_AUTH,
      masterKey: env.ECSBOX_MASTER_KEY ?? (open ? LOCAL_MASTER_KEY : undefined),
      // Open mode never reads SSM: a deployed open stage keeps working without the parameters.
      masterKeyParameter: open ? undefined : env.ECSBOX_MASTER_KEY_PARAMETER,
      adminToken: env.ECSBOX_ADMIN_TOKEN ?? (open ? LOCAL_ADMIN_TOKEN : undefined),
      adminTokenParameter: open ? undefined : env.ECSBOX_ADMIN_TOKEN_PARAMETER,
    },
    sandbox: {
      lifetimeMs: env.SANDBOX_LIFETIME_HOURS * 3_600_000,
      maxTenants: env.SANDBOX_MAX_TENANTS,
      perIpPerHour: env.SANDBOX_PER_IP_PER_HOUR,
      inviteCode: env.SANDBOX_INVITE_CODE,
      publicEndpoint: env.PUBLIC_ENDPOINT,
    },
    region: env.AWS_REGION,
    accountId: env.ECSBOX_ACCOUNT_ID,
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT,
    dynamoDbDeadlineMs: env.DYNAMODB_DEADLINE_MS,
    corsOrigins: env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    pageTokenSecret: env.PAGE_TOKEN_SECRET ?? LOCAL_PAGE_TOKEN_SECRET,
    taskRetentionMs: env.TASK_RETENTION_HOURS * 3_600_000,
    fleetProfile: env.FLEET_PROFILE,
    reconcilerFunctionName: env.RECONCILER_FUNCTION_NAME,
    scalingFunctionName: env.SCALING_FUNCTION_NAME,
    capacityFunctionName: env.CAPACITY_FUNCTION_NAME,
    lambdaEndpoint: env.LAMBDA_ENDPOINT,
    reconcileShards: env.RECONCILE_SHARDS,
    reconcileResyncMs: env.RECONCILE_RESYNC_MINUTES * 60_000,
    quotas: {
      ...QUOTA_DEFAULTS[quotaProfile],
      ...overrides<Quotas>({
        clustersPerAccount: env.ECSBOX_MAX_CLUSTERS,
        servicesPerCluster: env.ECSBOX_MAX_SERVICES_PER_CLUSTER,
        revisionsPerFamily: env.ECSBOX_MAX_REVISIONS_PER_FAMILY,
        runningTasksPerAccount: env.ECSBOX_MAX_RUNNING_TASKS,
        tagsPerResource: env.ECSBOX_MAX_TAGS_PER_RESOURCE,
        requestsPerSecond: env.ECSBOX_MAX_REQUESTS_PER_SECOND,
        requestBurst: env.ECSBOX_REQUEST_BURST,
      }),
    },
    tenantQuotas: quotaProfile === 'sandbox',
    meter: env.ECSBOX_METER === 'on',
    prices: withPriceOverrides(env.ECSBOX_PRICES ?? {}),
    lambdaMemoryMb: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    fleetDefaults: {
      backend: env.FLEET_BACKEND,
      fargate: defined({
        cluster: env.FARGATE_CLUSTER,
        subnets: list(env.FARGATE_SUBNETS),
        securityGroups: list(env.FARGATE_SECURITY_GROUPS),
        assignPublicIp: env.FARGATE_ASSIGN_PUBLIC_IP || undefined,
        executionRoleArn: env.FARGATE_EXECUTION_ROLE_ARN,
        taskRoleArn: env.FARGATE_TASK_ROLE_ARN,
        endpoint: env.FARGATE_ENDPOINT,
        region: env.FARGATE_REGION,
      }),
    },
  };
};

let loaded: Config | undefined;

/** The process's configuration, parsed on first use (cold start) and then reused. */
export const config = (): Config => (loaded ??= parseConfig(process.env));
