/**
 * npm run bench:overhead — what a request costs before any database work, and how the local stack
 * compares with moto, the in-memory ECS emulator many people use.
 *
 * 1. Framework cost: an unknown ECS operation (answered 400 UnknownOperationException before any
 *    DynamoDB call) through the local stack as `npm start` runs it, sequential calls on one
 *    keep-alive connection, 500 warm-up calls then BENCH_CALLS (default 1,000) measured. Split into
 *    where the time goes with the same client and calls against
 *      - a bare node:http server answering the same bytes (loopback HTTP, client and server), and
 *      - the ecs handler itself, invoked in this process with the event serverless-offline builds
 *        (the middy stack, routing, the error mapping), no HTTP at all;
 *    serverless-offline's own share is what remains.
 * 2. DescribeServices and RegisterTaskDefinition p50, ecsbox and moto (`python3 -m moto.server`),
 *    in the same run, with the same client and the same bodies, measured in turns of 100 calls (the
 *    other first in the next round) so that the machine's load weighs on both alike. moto is not a project dependency:
 *    without it this part is skipped (BENCH_MOTO=0 skips it too).
 *
 * Targets: the framework cost ≤ 1 ms; ecsbox's p50 within 1.2× of moto's.
 */
import { execFileSync, spawn } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { join } from 'node:path';
import { freePort } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const WARM_UP = 500;
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
// moto reads the region (and tells services apart) from the credential scope; nothing checks it.
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0';

/** An ECS JSON 1.1 client on one keep-alive connection (moto closes it after each answer). */
class EcsClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly port: number) {}

  send(operation: string, input: unknown): Promise<{ status: number; body: any }> {
    const payload = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': TARGET_PREFIX + operation,
            authorization: AUTHORIZATION,
            'content-length': Buffer.byteLength(payload),
          },
        },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => (text += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  close() {
    this.agent.destroy();
  }
}

type Percentiles = { p50: number; p99: number };

/** Sequential calls in a row: each block of the measured ones goes to one endpoint at a time. */
const BLOCK = 100;

/**
 * p50 and p99 in ms of each of `calls`, after a warm-up of each. The calls are measured in blocks of
 * BLOCK calls in turns (the first of each round goes last in the next), so that a change in the
 * machine's load during the run weighs on every one alike rather than on whichever was measured
 * then, while each still runs as a stream of back-to-back calls. Each throws on an unexpected answer.
 */
const percentilesInTurns = async (calls: ((index: number) => Promise<void>)[]): Promise<Percentiles[]> => {
  for (const once of calls) for (let index = 0; index < WARM_UP; index++) await once(-index - 1);
  const samples = calls.map((): number[] => []);
  for (let round = 0; round * BLOCK < CALLS; round++) {
    for (let turn = 0; turn < calls.length; turn++) {
      const which = (round + turn) % calls.length;
      for (let index = round * BLOCK; index < Math.min(CALLS, (round + 1) * BLOCK); index++) {
        const started = process.hrtime.bigint();
        await calls[which](index);
        samples[which].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
  }
  return samples.map((sorted) => {
    sorted.sort((a, b) => a - b);
    return { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.ceil(sorted.length * 0.99) - 1] };
  });
};

const p50p99 = async (once: (index: number) => Promise<void>): Promise<Percentiles> => (await percentilesInTurns([once]))[0];

const expecting = (client: EcsClient, operation: string, input: (index: number) => unknown, status: number) => async (index: number) => {
  const answer = await client.send(operation, input(index));
  if (answer.status !== status) throw new Error(`${operation} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
};

const taskDefinition = {
  family: 'bench-overhead',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
};

const service = {
  cluster: 'bench',
  serviceName: 'web',
  taskDefinition: 'bench-overhead',
  desiredCount: 2,
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
};

/** Creates the cluster, task definition and service DescribeServices and RegisterTaskDefinition are measured on. */
const prepare = async (client: EcsClient, serviceInput: object) => {
  for (const [operation, input] of [
    ['CreateCluster', { clusterName: 'bench' }],
    ['RegisterTaskDefinition', taskDefinition],
    ['CreateService', serviceInput],
  ] as const) {
    await expecting(client, operation, () => input, 200)(0);
  }
};

/**
 * DescribeServices and RegisterTaskDefinition p50 against ECS endpoints, each from an empty state
 * and measured in turns. The measured calls are the same for all; only the service's creation
 * differs (moto checks the subnet against its own EC2, so there it has no network configuration).
 */
const apiFigures = async (endpoints: { client: EcsClient; service: object }[]) => {
  for (const { client, service: serviceInput } of endpoints) await prepare(client, serviceInput);
  const describe = await percentilesInTurns(
    endpoints.map(({ client }) => expecting(client, 'DescribeServices', () => ({ cluster: 'bench', services: ['web'] }), 200)),
  );
  const register = await percentilesInTurns(endpoints.map(({ client }) => expecting(client, 'RegisterTaskDefinition', () => taskDefinition, 200)));
  return endpoints.map((_, index) => ({ describe: describe[index], register: register[index] }));
};

const startMoto = async () => {
  if (process.env.BENCH_MOTO === '0') return undefined;
  try {
    execFileSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' });
  } catch {
    console.log('moto is not installed (python3 -m moto.server): the comparison is skipped');
    return undefined;
  }
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const client = new EcsClient(port);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.send('ListClusters', {});
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`moto did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    client,
    stop: async () => {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
};

/** The ecs handler in this process, with the event serverless-offline gives it. */
const inProcessHandler = async (stack: { dynamoDbEndpoint: string; tableName: string }) => {
  Object.assign(process.env, {
    TABLE_NAME: stack.tableName,
    DYNAMODB_ENDPOINT: stack.dynamoDbEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOG_LEVEL: 'ERROR',
  });
  // The very bundle serverless-offline runs (it is there while the stack runs).
  const { handler } = require(join(process.cwd(), '.esbuild-local', '.build', 'functions', 'ecs.js')) as typeof import('../functions/ecs');
  const context = { functionName: 'ecs', awsRequestId: 'bench', getRemainingTimeInMillis: () => 29_000 } as any;
  const event = {
    version: '2.0',
    routeKey: 'POST /',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}NoSuchOperation`, authorization: AUTHORIZATION },
    requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' } },
    body: '{}',
    isBase64Encoded: false,
  } as any;
  return async () => {
    const result = await handler(structuredClone(event), context);
    if (result.statusCode !== 400) throw new Error(`the handler answered ${result.statusCode}`);
  };
};

/** A bare node:http server answering what the unknown operation answers. */
const bareServer = async () => {
  const body = JSON.stringify({ __type: 'UnknownOperationException', message: 'Unknown operation.' });
  const server = createServer((incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(body));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, stop: () => new Promise((resolve) => server.close(resolve)) };
};

const ms = (value: number) => value.toFixed(3);

const main = async () => {
  const stack = await startLocalStack({ httpPort: await freePort(), lambdaPort: await freePort() });
  const ecsbox = new EcsClient(Number(new URL(stack.apiUrl).port));
  const bare = await bareServer();
  const bareClient = new EcsClient(bare.port);
  const moto = await startMoto();
  try {
    const unknown = await p50p99(expecting(ecsbox, 'NoSuchOperation', () => ({}), 400));
    const http = await p50p99(expecting(bareClient, 'NoSuchOperation', () => ({}), 400));
    const handler = await p50p99(await inProcessHandler(stack));
    console.log(
      `framework: unknown_operation_p50_ms=${ms(unknown.p50)} p99_ms=${ms(unknown.p99)} = bare_http_p50_ms=${ms(http.p50)} + handler_p50_ms=${ms(handler.p50)} + serverless_offline_ms=${ms(unknown.p50 - http.p50 - handler.p50)} (target ≤ 1 ms)`,
    );
    const { networkConfiguration: _checkedByMotosEc2, launchType: _launchType, ...motoService } = service;
    const [ours, theirs] = await apiFigures([{ client: ecsbox, service }, ...(moto ? [{ client: moto.client, service: motoService }] : [])]);
    console.log(`ecsbox: describe_p50_ms=${ms(ours.describe.p50)} register_p50_ms=${ms(ours.register.p50)}`);
    if (theirs) {
      console.log(`moto: describe_p50_ms=${ms(theirs.describe.p50)} register_p50_ms=${ms(theirs.register.p50)}`);
      console.log(
        `versus moto: describe_ratio=${(ours.describe.p50 / theirs.describe.p50).toFixed(2)} register_ratio=${(ours.register.p50 / theirs.register.p50).toFixed(2)} (target ≤ 1.2)`,
      );
    }
    console.log(`load: ${execFileSync('uptime').toString().trim()}`);
  } finally {
    ecsbox.close();
    bareClient.close();
    await bare.stop();
    await moto?.stop();
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
