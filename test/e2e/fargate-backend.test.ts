import { api, apiUrl, fargateTaskDefinition } from '../support/http';
import { eventually } from '../support/poll';

/**
 * A cluster whose fleet is "fargate" runs its tasks through the Fargate adapter. Its target here is
 * ecsbox's own ECS endpoint (the `endpoint` setting, as for an emulator), whose cluster "fargate-real"
 * runs them on the simulated fleet: the whole path, over real HTTP, through the real SDK.
 */
describe('a cluster on the Fargate backend', () => {
  const network = { awsvpcConfiguration: { subnets: ['subnet-ecsbox'] } };

  it('refuses a Fargate cluster without a target', async () => {
    const refused = await api.post('/v1/clusters', { clusterName: 'e2e-fargate-bad', fleet: { backend: 'fargate' } });
    expect(refused).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException', message: expect.stringMatching(/fleet\.fargate/) } });
    expect((await api.get('/v1/clusters/e2e-fargate-bad')).status).toBe(404);
  });

  it('runs a service as real ECS tasks in the target cluster, and stops them there', async () => {
    await api.post('/v1/clusters', { clusterName: 'fargate-real' });
    const created = await api.post('/v1/clusters', {
      clusterName: 'e2e-fargate',
      fleet: {
        backend: 'fargate',
        fargate: { cluster: 'fargate-real', subnets: ['subnet-target'], assignPublicIp: 'ENABLED', endpoint: apiUrl() },
      },
    });
    expect(created.body.cluster.fleet).toMatchObject({ backend: 'fargate', fargate: { cluster: 'fargate-real' } });
    await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-fargate-web'));
    await api.post('/v1/clusters/e2e-fargate/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: 'e2e-fargate-web',
      desiredCount: 2,
      networkConfiguration: network,
    });
    const steady = await eventually(
      async () => {
        const { service } = (await api.get('/v1/clusters/e2e-fargate/services/web')).body;
        return service.runningCount === 2 && service.deployments[0].rolloutState === 'COMPLETED' ? service : undefined;
      },
      { timeoutMs: 40_000, what: 'the service to run 2 tasks on the Fargate backend' },
    );
    expect(steady.events[0].message).toBe('(service web) has reached a steady state.');

    // The "real" ECS side: two tasks in the target cluster, started by ecsbox's slots, in a family
    // scoped by the ecsbox account.
    const realArns = (await api.get('/v1/clusters/fargate-real/tasks')).body.taskArns as string[];
    expect(realArns).toHaveLength(2);
    const real = await Promise.all(realArns.map(async (arn) => (await api.get(`/v1/clusters/fargate-real/tasks/${arn.split('/').pop()}`)).body.task));
    for (const task of real) {
      expect(task.startedBy).toMatch(/^ecsbox-[0-9a-f]{29}$/);
      expect(task.taskDefinitionArn).toMatch(/:task-definition\/ecsbox-000000000000-e2e-fargate-web-1-[0-9a-f]{12}:1$/);
      expect(task.lastStatus).toBe('RUNNING');
    }

    // Stopping the ecsbox task stops the ECS task, and the service replaces it.
    const [ours] = (await api.get('/v1/clusters/e2e-fargate/tasks?serviceName=web')).body.taskArns as string[];
    await api.post(`/v1/clusters/e2e-fargate/tasks/${ours.split('/').pop()}/stop`, { reason: 'testing the Fargate path' });
    await eventually(
      async () => {
        const stopped = (await api.get('/v1/clusters/fargate-real/tasks?desiredStatus=STOPPED')).body.taskArns as string[];
        const running = (await api.get('/v1/clusters/fargate-real/tasks')).body.taskArns as string[];
        return stopped.length === 1 && running.length === 2 ? true : undefined;
      },
      { timeoutMs: 40_000, what: 'the ECS task to stop and a replacement to start' },
    );
    const { task: stoppedOurs } = (await api.get(`/v1/clusters/e2e-fargate/tasks/${ours.split('/').pop()}`)).body;
    expect(stoppedOurs).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'testing the Fargate path' });
  });
});
