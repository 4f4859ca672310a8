import * as z from 'zod';
import type { ClusterFleet } from './domain/model';

/**
 * Configuration, read from the environment and checked once per cold start. A bad value stops
 * the function at start-up with a message naming the variable, rather than failing a request.
 */
const optional = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const configSchema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  ECSBOX_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').default('000000000000'),
  /** DynamoDB Local's address; unset in AWS. */
  DYNAMODB_ENDPOINT: optional,
  /** Comma-separated origins allowed by CORS on the REST API. */
  CORS_ORIGINS: z.string().default('*'),
  /** How long stopped tasks stay visible (ECS keeps them about an hour). */
  TASK_RETENTION_HOURS: z.coerce.number().positive().default(24),
  FLEET_PROFILE: z.enum(['fast', 'realistic']).default('realistic'),
  /** The reconciler function, invoked asynchronously after every desired-state change. */
  RECONCILER_FUNCTION_NAME: optional,
  /** serverless-offline's Lambda endpoint; unset in AWS. */
  LAMBDA_ENDPOINT: optional,
  /** Number of reconcile shards (each has its own lease). */
  RECONCILE_SHARDS: z.coerce.number().int().min(1).max(64).default(1),
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
  corsOrigins: string[];
  taskRetentionMs: number;
  fleetProfile: 'fast' | 'realistic';
  reconcilerFunctionName?: string;
  lambdaEndpoint?: string;
  reconcileShards: number;
  fleetDefaults: ClusterFleet;
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
    corsOrigins: env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    taskRetentionMs: env.TASK_RETENTION_HOURS * 3_600_000,
    fleetProfile: env.FLEET_PROFILE,
    reconcilerFunctionName: env.RECONCILER_FUNCTION_NAME,
    lambdaEndpoint: env.LAMBDA_ENDPOINT,
    reconcileShards: env.RECONCILE_SHARDS,
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
