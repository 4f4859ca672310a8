/**
 * npm run bench:api — latency of DescribeServices and RegisterTaskDefinition over the ECS wire
 * endpoint of the local stack that `npm start` runs (serverless-offline + DynamoDB Local):
 * sequential calls on one keep-alive connection, 1,000 of each after a warm-up. Every answer,
 * setup and warm-up included, is checked (a wrong one stops the benchmark), and every
 * registration is really persisted: the benchmark reads the last revision back at the end.
 *
 * Targets on this machine: p50 ≤ 5 ms and p99 ≤ 15 ms for both.
 */
import { Agent, request } from 'node:http';
import { freePort } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const WARM_UP = 500;
const TARGET = 'AmazonEC2ContainerServiceV20141113.';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const call = (port: number, operation: string, body: unknown): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `${TARGET}${operation}`,
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

/**
 * Every answer, setup and warm-up included, must be the right one: a benchmark of refusals or of
 * a half-built setup would measure nothing. `check` says what is wrong with a 200 answer, if anything.
 */
type AnswerCheck = (body: any) => string | undefined;

const expectAnswer = (operation: string, answer: { status: number; body: any }, check: AnswerCheck) => {
  const problem = answer.status === 200 ? check(answer.body) : `status ${answer.status}`;
  if (problem) throw new Error(`${operation} answered wrongly (${problem}): ${JSON.stringify(answer.body).slice(0, 500)}`);
  return answer.body;
};

const checkedCall = async (port: number, operation: string, body: unknown, check: AnswerCheck) =>
  expectAnswer(operation, await call(port, operation, body), check);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const measure = async (port: number, operation: string, body: () => unknown, check: AnswerCheck) => {
  for (let index = 0; index < WARM_UP; index++) await checkedCall(port, operation, body(), check);
  const samples: number[] = [];
  for (let index = 0; index < CALLS; index++) {
    const started = process.hrtime.bigint();
    const answer = await call(port, operation, body());
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    expectAnswer(operation, answer, check);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
};

const main = async () => {
  const port = await freePort();
  const stack = await startLocalStack({ httpPort: port, lambdaPort: await freePort() });
  try {
    const taskDefinition = {
      family: 'bench-api',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
    };
    await checkedCall(port, 'CreateCluster', { clusterName: 'bench' }, (body) =>
      body.cluster?.status === 'ACTIVE' && body.cluster.clusterName === 'bench' ? undefined : 'no ACTIVE cluster bench',
    );
    // Revisions are numbered 1, 2, 3...: each registration must answer the next one.
    let revision = 0;
    const nextRevision: AnswerCheck = (body) =>
      body.taskDefinition?.family === 'bench-api' && body.taskDefinition.revision === ++revision
        ? undefined
        : `expected bench-api:${revision}`;
    await checkedCall(port, 'RegisterTaskDefinition', taskDefinition, nextRevision);
    await checkedCall(
      port,
      'CreateService',
      {
        launchType: 'FARGATE',
        cluster: 'bench',
        serviceName: 'web',
        taskDefinition: 'bench-api',
        desiredCount: 2,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-bench'] } },
      },
      (body) => (body.service?.status === 'ACTIVE' && body.service.desiredCount === 2 ? undefined : 'no ACTIVE service web'),
    );
    // The service measured is the one described: 2 tasks running, as the reconciler brings them up.
    const settled = Date.now() + 60_000;
    for (;;) {
      const answer = await call(port, 'DescribeServices', { cluster: 'bench', services: ['web'] });
      if (answer.body.services?.[0]?.runningCount === 2) break;
      if (Date.now() > settled) throw new Error(`the bench service never ran 2 tasks: ${JSON.stringify(answer.body).slice(0, 500)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const describe = await measure(port, 'DescribeServices', () => ({ cluster: 'bench', services: ['web'] }), (body) =>
      body.services?.length === 1 && body.services[0].serviceName === 'web' && body.services[0].runningCount === 2 && body.failures?.length === 0
        ? undefined
        : 'expected service web with 2 running tasks',
    );
    const register = await measure(port, 'RegisterTaskDefinition', () => taskDefinition, nextRevision);
    const latest = await call(port, 'DescribeTaskDefinition', { taskDefinition: 'bench-api' });
    const expected = 1 + WARM_UP + CALLS;
    if (latest.body.taskDefinition?.revision !== expected) {
      throw new Error(`expected revision ${expected} to be stored, found ${latest.body.taskDefinition?.revision}`);
    }
    console.log(`persisted: bench-api has ${latest.body.taskDefinition.revision} revisions in DynamoDB Local`);
    const format = (value: number) => value.toFixed(2);
    console.log(
      `api: describe_p50_ms=${format(describe.p50)} describe_p99_ms=${format(describe.p99)} register_p50_ms=${format(register.p50)} register_p99_ms=${format(register.p99)}`,
    );
  } finally {
    agent.destroy();
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
