import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local/dynamodb-local';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { fargateTaskDefinition } from '../support/fixtures';
import { eventually } from '../support/poll';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const network = { awsvpcConfiguration: { subnets: ['subnet-0e2e'] } };
const DEADLINE_MS = 1_000;

/**
 * The local stack under faults, on its own DynamoDB Local with persisted data and a fault proxy in
 * between: a frozen DynamoDB, a failing asynchronous invocation, and a crash and restart. The
 * schedule is off, so only the stack's own wake-ups move the reconciler.
 */
describe('the local stack under faults', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'ecsbox-faults-'));
  const logFile = join(process.cwd(), '.data', 'e2e-faults-stack.log');
  let dynamo: DynamoDbLocal;
  let proxy: FaultProxy;
  let stack: LocalStack;
  let ecs: ECSClient;

  /** The stack; DynamoDB calls get `deadlineMs` (short for the frozen tests, the default otherwise). */
  const start = async (deadlineMs?: number) => {
    dynamo = await startDynamoDbLocal({ dataDirectory });
    proxy = await startFaultProxy(dynamo.endpoint);
    stack = await startLocalStack({
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      dynamoDbEndpoint: proxy.endpoint,
      logFile,
      environment: {
        ECSBOX_RECONCILE_SCHEDULE: 'false',
        ...(deadlineMs ? { DYNAMODB_DEADLINE_MS: String(deadlineMs) } : {}),
      },
    });
    // The SDK's own retry (3 attempts) of a retryable 5xx, as every ECS client does.
    ecs = new ECSClient({ endpoint: stack.apiUrl, region: 'us-east-1', credentials, maxAttempts: 3 });
  };
  const stop = async () => {
    ecs?.destroy();
    proxy?.resume();
    await stack?.stop();
    await proxy?.close();
    await dynamo?.stop();
  };

  beforeAll(async () => {
    await start(DEADLINE_MS);
    await ecs.send(new CreateClusterCommand({ clusterName: 'faults' }));
    await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('faults-web') as never));
  }, 120_000);
  afterAll(async () => {
    await stop();
    rmSync(dataDirectory, { recursive: true, force: true });
  });
  afterEach(() => proxy.resume());

  const services = async (cluster: string) => (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];

  it('listens on 127.0.0.1 only: API, Lambda invoke port and DynamoDB Local', () => {
    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter(Boolean);
    for (const url of [stack.apiUrl, stack.lambdaUrl, dynamo.endpoint]) {
      const port = new URL(url).port;
      const addresses = listening.filter((address) => address.endsWith(`:${port}`));
      expect({ url, addresses }).toEqual({ url, addresses: [expect.stringMatching(/^(\[::ffff:)?127\.0\.0\.1\]?:\d+$/)] });
    }
  });

  it('answers a write frozen in DynamoDB with a retryable ServerException, and the SDK retry leaves one service', async () => {
    // The first attempt's write is held past its deadline and lands after the answer.
    proxy.pauseAt('TransactWriteItems');
    const resumed = new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 1.5)).then(() => proxy.resume());
    const started = Date.now();
    const created = await ecs.send(
      new CreateServiceCommand({
        launchType: 'FARGATE',
        cluster: 'faults',
        serviceName: 'frozen',
        taskDefinition: 'faults-web',
        desiredCount: 0,
        networkConfiguration: network,
        clientToken: 'frozen-1',
      }),
    );
    await resumed;
    console.log(`CreateService through a frozen DynamoDB: ${created.$metadata.attempts} attempts, ${Date.now() - started} ms`);
    expect(created.$metadata.attempts).toBeGreaterThan(1);
    expect(created.service?.serviceName).toBe('frozen');
    expect((await services('faults')).filter((arn) => arn.endsWith('/frozen'))).toHaveLength(1);
  });

  it('answers ServerException with Retry-After when the outcome is unknown', async () => {
    proxy.pause();
    const answer = await fetch(stack.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateCluster' },
      body: JSON.stringify({ clusterName: 'unknown-outcome' }),
    });
    proxy.resume();
    expect(answer.status).toBe(500);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(await answer.json()).toMatchObject({ __type: 'ServerException' });
  });

  it('keeps answering after an asynchronous reconciler invocation fails', async () => {
    proxy.pause();
    const lambda = new LambdaClient({ endpoint: stack.lambdaUrl, region: 'us-east-1', credentials });
    await lambda.send(new InvokeCommand({ FunctionName: 'ecsbox-local-reconciler', InvocationType: 'Event', Payload: '{}' }));
    lambda.destroy();
    // The reconciler cannot reach DynamoDB: its invocation fails after the call's deadline.
    await eventually(async () => (readFileSync(logFile, 'utf8').includes('an asynchronous invocation failed') ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the reconciler invocation to fail',
    });
    proxy.resume();
    expect((await fetch(`${stack.apiUrl}/v1/openapi.json`)).status).toBe(200);
  });

  it('resumes a converging service at once after a crash and restart with persisted data', async () => {
    await ecs.send(
      new CreateServiceCommand({ launchType: 'FARGATE', cluster: 'faults', serviceName: 'restarted', taskDefinition: 'faults-web', desiredCount: 2, networkConfiguration: network }),
    );
    // Nothing converges before the crash: DynamoDB freezes, then everything is killed.
    proxy.pause();
    await stop();
    // A restarted DynamoDB Local answers its first calls slowly: the default deadline here.
    await start();
    const started = Date.now();
    await eventually(
      async () => {
        const { services: [service] = [] } = await ecs.send(new DescribeServicesCommand({ cluster: 'faults', services: ['restarted'] }));
        return service?.runningCount === 2 ? service : undefined;
      },
      { timeoutMs: 30_000, what: 'the restarted service to reach 2 running tasks' },
    );
    console.log(`after the restart the service converged in ${Date.now() - started} ms (the schedule is off)`);
  }, 120_000);
});
