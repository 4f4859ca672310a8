import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { api, fargateTaskDefinition } from '../support/http';
import { eventually } from '../support/poll';
import { clusterTasksNow } from '../support/stack-tasks';

/**
 * Four reconciler invocations started together, again and again, through the Lambda invoke API
 * of the local stack, while a service rolls to a new revision: at no observed moment do they
 * exceed the deployment's bounds, and no task slot is ever launched twice.
 */
describe('concurrent reconcilers over the Lambda invoke API', () => {
  const lambda = new LambdaClient({
    endpoint: process.env.ECSBOX_TEST_LAMBDA_URL,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  afterAll(() => lambda.destroy());

  const reconcilers = () =>
    Promise.all(
      Array.from({ length: 4 }, () =>
        lambda.send(new InvokeCommand({ FunctionName: 'ecsbox-local-reconciler', Payload: '{"source":"test"}' })),
      ),
    );

  it('never exceed the bounds or duplicate a task', async () => {
    await api.post('/v1/clusters', { clusterName: 'e2e-race' });
    await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-race-web'));
    await api.post('/v1/clusters/e2e-race/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: 'e2e-race-web',
      desiredCount: 4,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-race'] } },
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
    });
    // The first deployment settles (under racing reconcilers too) before the rolling one starts.
    await eventually(
      async () => {
        await reconcilers();
        const { service } = (await api.get('/v1/clusters/e2e-race/services/web')).body;
        return service.runningCount === 4 && service.deployments[0].rolloutState === 'COMPLETED' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 0, what: 'the first deployment to complete' },
    );
    const second = await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-race-web', { cpu: '512', memory: '1024' }));
    await api.patch('/v1/clusters/e2e-race/services/web', { taskDefinition: second.body.taskDefinition.taskDefinitionArn });

    let watching = true;
    const moments: number[][] = [];
    const watcher = (async () => {
      while (watching) {
        const tasks = await clusterTasksNow('e2e-race');
        const active = tasks.filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED');
        moments.push([active.length, active.filter((task) => task.lastStatus === 'RUNNING').length]);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const done = await eventually(
      async () => {
        await reconcilers();
        const { service } = (await api.get('/v1/clusters/e2e-race/services/web')).body;
        return service.taskDefinition === second.body.taskDefinition.taskDefinitionArn &&
          service.runningCount === 4 &&
          service.deployments[0].rolloutState === 'COMPLETED' &&
          service.deployments.length === 1
          ? service
          : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 0, what: 'the rolling deployment to complete' },
    );
    watching = false;
    await watcher;

    // desiredCount 4: at most floor(150% × 4) = 6 tasks, and, once the first 4 ran, at least
    // ceil(50% × 4) = 2 of them RUNNING.
    const afterRampUp = moments.slice(moments.findIndex(([, running]) => running === 4));
    expect(afterRampUp.length).toBeGreaterThan(5);
    for (const [active, running] of moments) expect(active).toBeLessThanOrEqual(6);
    for (const [, running] of afterRampUp) expect(running).toBeGreaterThanOrEqual(2);

    // Every task ever launched is one of the service's 8 slots (4 + 4): none was launched twice.
    const tasks = await clusterTasksNow('e2e-race');
    expect(tasks).toHaveLength(8);
    expect(new Set(tasks.map((task) => task.taskId)).size).toBe(8);
    expect(tasks.filter((task) => task.lastStatus === 'RUNNING').map((task) => task.taskDefinitionArn)).toEqual(
      Array(4).fill(second.body.taskDefinition.taskDefinitionArn),
    );
    expect(done.deployments[0].runningCount).toBe(4);
  });
});
