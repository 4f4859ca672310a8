import { join } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lib/node-sha256';
import { freePort } from '../../scripts/local/dynamodb-local';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';

/**
 * A local stack in hosted mode (ECSBOX_AUTH=sigv4), for end-to-end tests of tenants: it shares
 * the e2e DynamoDB Local (in a table of its own), and comes with clients that sign as issued keys.
 */
export interface Sandbox {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  expiresAt: string;
  endpoint: string;
  credentials: string;
  config: string;
}

export type AccessKey = Pick<Sandbox, 'accessKeyId' | 'secretAccessKey'>;

export interface Answer {
  status: number;
  body: any;
}

export interface HostedStack {
  stack: LocalStack;
  url: string;
  tableName: string;
  /** An unsigned request (JSON in and out). */
  call(method: string, path: string, init?: { body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  /** A request to /v1/admin/... with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Answer>;
  /** POST /v1/sandboxes, which must succeed. */
  newSandbox(): Promise<Sandbox>;
  /** An ECS SDK client signing with the key (no retries, so that refusals surface at once). */
  ecs(key: AccessKey): ECSClient;
  /** A REST request signed with the key (SigV4, service ecs), as a browser frontend would, at a chosen time. */
  signed(key: AccessKey, method: string, path: string, options?: { at?: Date; body?: string }): Promise<Answer>;
  stop(): Promise<void>;
}

export const HOSTED_ADMIN_TOKEN = 'e2e-admin-token-0123456789';

const answerOf = async (response: Response): Promise<Answer> => {
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

export const startHostedStack = async (tableName: string, environment: Record<string, string> = {}): Promise<HostedStack> => {
  const stack = await startLocalStack({
    httpPort: await freePort(),
    lambdaPort: await freePort(),
    dynamoDbEndpoint: process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT,
    tableName,
    logFile: join(process.cwd(), '.data', `e2e-${tableName}.log`),
    environment: {
      ECSBOX_AUTH: 'sigv4',
      ECSBOX_MASTER_KEY: 'e2e-master-key-0123456789abcdef0123456789',
      ECSBOX_ADMIN_TOKEN: HOSTED_ADMIN_TOKEN,
      ...environment,
    },
  });
  const url = stack.apiUrl;
  const call: HostedStack['call'] = async (method, path, init = {}) =>
    answerOf(
      await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
    );
  return {
    stack,
    url,
    tableName,
    call,
    admin: (method, path, body) => call(method, `/v1/admin${path}`, { body, headers: { authorization: `Bearer ${HOSTED_ADMIN_TOKEN}` } }),
    newSandbox: async () => {
      const answer = await call('POST', '/v1/sandboxes');
      if (answer.status !== 201) throw new Error(`POST /v1/sandboxes answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body as Sandbox;
    },
    ecs: (key) =>
      new ECSClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
        maxAttempts: 1,
      }),
    signed: async (key, method, path, { at = new Date(), body } = {}) => {
      const { hostname, port } = new URL(url);
      const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'ecs', sha256: NodeSha256 });
      const [pathname, query = ''] = path.split('?');
      const signed = await signer.sign(
        {
          method,
          protocol: 'http:',
          hostname,
          port: Number(port),
          path: pathname,
          query: Object.fromEntries(new URLSearchParams(query)),
          headers: { host: `${hostname}:${port}`, 'content-type': 'application/json' },
          body,
        },
        { signingDate: at },
      );
      return answerOf(await fetch(`${url}${path}`, { method, headers: signed.headers as Record<string, string>, body }));
    },
    stop: () => stack.stop(),
  };
};
