import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  ListClustersCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { freePort } from '../../scripts/local/dynamodb-local';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack';
import { fargateTaskDefinition } from '../support/fixtures';
import { join } from 'node:path';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const network = { awsvpcConfiguration: { subnets: ['subnet-0e2e'] } };
const ACCOUNT = 'A#000000000000';

/**
 * A second local stack in the sandbox quota profile (as hosted mode runs it), on the shared
 * DynamoDB Local with its own table, with a few quotas lowered: every quota is refused over HTTP
 * with ECS's error through the real SDK, and stores nothing; the request rate is throttled; and
 * GET /v1/usage follows the work done.
 */
describe('the sandbox quotas over HTTP', () => {
  let stack: LocalStack;
  let ecs: ECSClient;
  let dynamo: DynamoDBClient;

  beforeAll(async () => {
    stack = await startLocalStack({
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      dynamoDbEndpoint: process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT,
      tableName: `sandbox-${randomUUID()}`,
      logFile: join(process.cwd(), '.data', 'e2e-sandbox-stack.log'),
      environment: {
        ECSBOX_QUOTAS: 'sandbox',
        ECSBOX_MAX_CLUSTERS: '2',
        ECSBOX_MAX_RUNNING_TASKS: '2',
        ECSBOX_MAX_REQUESTS_PER_SECOND: '5',
        ECSBOX_REQUEST_BURST: '25',
        ECSBOX_RECONCILE_SCHEDULE: 'false',
      },
    });
    // One attempt: the SDK would retry a throttled call, which is what the test looks at.
    ecs = new ECSClient({ endpoint: stack.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
    dynamo = new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: 'us-east-1', credentials });
  }, 120_000);
  afterAll(async () => {
    ecs?.destroy();
    dynamo?.destroy();
    await stack?.stop();
  });

  /** The account's items and those of the named clusters (never the usage partition, which counts every request). */
  const snapshot = async (clusters: string[]) => {
    const partitions = new Set([ACCOUNT, ...clusters.map((cluster) => `${ACCOUNT}#C#${cluster}`)]);
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true }));
    return Items.filter((item) => partitions.has(item.PK?.S ?? ''))
      .map((item) => JSON.stringify(item, Object.keys(item).sort()))
      .sort();
  };

  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('accepted');
      },
      (error: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => ({
        name: error.name,
        message: error.message,
        status: error.$metadata.httpStatusCode,
      }),
    );

  it('refuses each quota with ECS’s error and stores nothing; throttles; meters', async () => {
    const usage = async () => (await (await fetch(`${stack.apiUrl}/v1/usage?days=1`)).json()) as any;
    await ecs.send(new CreateClusterCommand({ clusterName: 'a' }));
    await ecs.send(new CreateClusterCommand({ clusterName: 'b' }));
    await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('web') as never));
    await ecs.send(new CreateServiceCommand({ launchType: 'FARGATE', cluster: 'b', serviceName: 's', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network }));
    const before = await snapshot(['a', 'c']);

    expect(await refusal(ecs.send(new CreateClusterCommand({ clusterName: 'c' })))).toEqual({
      name: 'ClientException',
      message: 'The maximum number of clusters (2) for this account has been reached. Delete unused clusters and try again.',
      status: 400,
    });
    const tasksRefusal = {
      name: 'LimitExceededException',
      message:
        "The maximum number of running tasks (2) for this account has been reached. Lower a service's desired count or stop tasks, and try again.",
      status: 400,
    };
    expect(await refusal(ecs.send(new RunTaskCommand({ launchType: 'FARGATE', cluster: 'a', taskDefinition: 'web', networkConfiguration: network })))).toEqual(tasksRefusal);
    expect(await refusal(ecs.send(new UpdateServiceCommand({ cluster: 'b', service: 's', desiredCount: 3 })))).toEqual(tasksRefusal);
    const tags = Array.from({ length: 21 }, (_, index) => ({ key: `k${index}`, value: 'v' }));
    expect(await refusal(ecs.send(new CreateClusterCommand({ clusterName: 'a', tags })))).toEqual({
      name: 'InvalidParameterException',
      message: 'A resource can have at most 20 tags.',
      status: 400,
    });
    expect(await snapshot(['a', 'c'])).toEqual(before);
    expect((await ecs.send(new DescribeServicesCommand({ cluster: 'b', services: ['s'] }))).services?.[0].desiredCount).toBe(2);

    const metered = await usage();
    expect(metered.total.requests).toBeGreaterThanOrEqual(8);
    expect(metered.total.dynamoDb.writeUnits).toBeGreaterThan(0);
    expect(metered.total.usd.total).toBeGreaterThan(0);

    // Past the burst, the account's requests are refused until the bucket refills. Twice the burst
    // and more: a loaded machine answering them over seconds refills the bucket meanwhile.
    const answers = await Promise.all(
      Array.from({ length: 80 }, () => refusal(ecs.send(new ListClustersCommand({}))).catch(() => ({ name: 'accepted' }))),
    );
    const throttled = answers.filter((answer) => answer.name === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toEqual({ name: 'ThrottlingException', message: 'Rate exceeded', status: 400 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const later = await usage();
    expect(later.total.requests).toBeGreaterThan(metered.total.requests + 20);
  }, 60_000);
});
