import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ECS_RETRY, FargateFleet } from '../../lib/fleet/fargate';

/**
 * The Fargate adapter leaves retrying to the SDK's standard retry strategy (ECS_RETRY, as the
 * resolver configures every ECSClient): checked over real HTTP against a tiny ECS that answers
 * ThrottlingException before it answers.
 */
describe('ECS calls of the Fargate adapter, retried by the SDK', () => {
  let server: Server;
  let throttleFirst = 0;
  const calls: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const target = String(request.headers['x-amz-target']).split('.').pop()!;
        calls.push(target);
        response.setHeader('content-type', 'application/x-amz-json-1.1');
        if (throttleFirst > 0) {
          throttleFirst -= 1;
          response.statusCode = 400;
          response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        response.end(JSON.stringify({ tasks: [], failures: [] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('retries a throttled call with back-off and gives the answer that follows', async () => {
    const client = new ECSClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      ...ECS_RETRY,
    });
    const fleet = new FargateFleet(client, { cluster: 'c', subnets: ['subnet-1'], familyPrefix: 'ecsbox-000000000000-' });
    throttleFirst = 2;
    calls.length = 0;
    const ref = { kind: 'fargate' as const, taskArn: 'arn:aws:ecs:us-east-1:1:task/c/t', cluster: 'c' };
    // The task is not known yet (created just now): left out, after DescribeTasks answered.
    expect(await fleet.observe([{ taskId: 't', ref, createdAt: Date.now() }], Date.now())).toEqual([]);
    expect(calls).toEqual(['DescribeTasks', 'DescribeTasks', 'DescribeTasks']);
    client.destroy();
  });
});
