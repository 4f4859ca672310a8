import { api, fargateTaskDefinition, request } from '../support/http';

const network = { awsvpcConfiguration: { subnets: ['subnet-0e2e'] } };
const TARGET = 'AmazonEC2ContainerServiceV20141113.';

const ecsCall = (operation: string, body: unknown) =>
  request('POST', '/', body, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}${operation}` });

/** Identical calls racing with one clientToken, over HTTP, as retrying clients send them. */
describe('identical concurrent calls with one clientToken', () => {
  beforeAll(async () => {
    expect((await api.post('/v1/clusters', { clusterName: 'e2e-idem' })).status).toBe(201);
    expect((await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-idem-web'))).status).toBe(201);
  });

  it('answers all 50 identical CreateService calls with the one service', async () => {
    const body = {
      cluster: 'e2e-idem',
      serviceName: 'web',
      taskDefinition: 'e2e-idem-web',
      desiredCount: 0,
      launchType: 'FARGATE',
      networkConfiguration: network,
      clientToken: 'one-token',
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => ecsCall('CreateService', body)));
    const failed = answers.filter((answer) => answer.status !== 200).map((answer) => answer.body);
    expect(failed).toEqual([]);
    expect(new Set(answers.map((answer) => answer.body.service.serviceArn)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.body.service.createdAt)).size).toBe(1);
    const listed = await ecsCall('ListServices', { cluster: 'e2e-idem' });
    expect(listed.body.serviceArns).toEqual([answers[0].body.service.serviceArn]);
  });

  it('answers 100 identical RunTask calls with the same task, each within a bound', async () => {
    const body = { cluster: 'e2e-idem', taskDefinition: 'e2e-idem-web', launchType: 'FARGATE', networkConfiguration: network, clientToken: 'run-once' };
    const started = Date.now();
    const timings: number[] = [];
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const answer = await ecsCall('RunTask', body);
        timings.push(Date.now() - started);
        return answer;
      }),
    );
    const slowest = Math.max(...timings);
    console.log(`100 concurrent RunTask calls with one clientToken: slowest answered after ${slowest} ms`);
    expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.body.tasks.map((task: { taskArn: string }) => task.taskArn).join()))).toEqual(
      new Set([answers[0].body.tasks[0].taskArn]),
    );
    // Generous for a shared 2-core machine (without the bounded back-off the slowest took 20 s).
    expect(slowest).toBeLessThan(12_000);
  });
});
