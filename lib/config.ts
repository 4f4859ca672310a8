import * as z from 'zod';
import { ECS_LIMITS, type ResourceLimits } from './domain/limits';
import type { ClusterFleet } from './domain/model';

/**
 * Configuration, read from the environment and checked once per cold start. A bad value stops
 * the function at start-up with a message naming the variable, rather than failing a request.
 */
const optional = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Browser origins a local frontend is served from: any port of localhost or 127.0.0.1. */
export const LOCAL_CORS_ORIGINS = 'http://localhost:*,http://127.0.0.1:*';

/** The key that signs page tokens on the local stack and in tests, where nothing is secret. */
const LOCAL_PAGE_TOKEN_SECRET = 'ecsbox-local-page-token-secret';

const configSchema = z.object({
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
  /** ECS's quotas (docs/limits.md); tests lower them to reach them cheaply. */
  ECSBOX_MAX_CLUSTERS: z.coerce.number().int().min(1).default(ECS_LIMITS.clustersPerAccount),
  ECSBOX_MAX_SERVICES_PER_CLUSTER: z.coerce.number().int().min(1).default(ECS_LIMITS.servicesPerCluster),
  ECSBOX_MAX_REVISIONS_PER_FAMILY: z.coerce.number().int().min(1).default(ECS_LIMITS.revisionsPerFamily),
});

const list = (value: string | undefined) =>
  value ? value.split(',').map((entry) => entry.trim()).filter(Boolean) : undefined;

/** Drops unset members, so that defaults merge cleanly under a cluster's own settings. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined && entry !== '')) as T;

export interface Config {
  tableName: string;
  region: string;
  accountId: string;
  dynamoDbEndpoint?: string;
  dynamoDbDeadlineMs?: number;
  corsOrigins: string[];
  pageTokenSecret: string;
  taskRetentionMs: number;
  fleetProfile: 'fast' | 'realistic';
  reconcilerFunctionName?: string;
  lambdaEndpoint?: string;
  reconcileShards: number;
  reconcileResyncMs: number;
  fleetDefaults: ClusterFleet;
  limits: ResourceLimits;
}

export const parseConfig = (environment: NodeJS.ProcessEnv): Config => {
  const result = configSchema.safeParse(environment);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const env = result.data;
  return {
    tableName: env.TABLE_NAME,
    region: env.AWS_REGION,
    accountId: env.ECSBOX_ACCOUNT_ID,
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT,
    dynamoDbDeadlineMs: env.DYNAMODB_DEADLINE_MS,
    corsOrigins: env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    pageTokenSecret: env.PAGE_TOKEN_SECRET ?? LOCAL_PAGE_TOKEN_SECRET,
    taskRetentionMs: env.TASK_RETENTION_HOURS * 3_600_000,
    fleetProfile: env.FLEET_PROFILE,
    reconcilerFunctionName: env.RECONCILER_FUNCTION_NAME,
    lambdaEndpoint: env.LAMBDA_ENDPOINT,
    reconcileShards: env.RECONCILE_SHARDS,
    reconcileResyncMs: env.RECONCILE_RESYNC_MINUTES * 60_000,
    limits: {
      clustersPerAccount: env.ECSBOX_MAX_CLUSTERS,
      servicesPerCluster: env.ECSBOX_MAX_SERVICES_PER_CLUSTER,
      revisionsPerFamily: env.ECSBOX_MAX_REVISIONS_PER_FAMILY,
    },
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
