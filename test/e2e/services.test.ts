import { api, fargateTaskDefinition } from '../support/http';
import { eventually } from '../support/poll';
import { clusterTasksNow } from '../support/stack-tasks';
import { describeRefusals, type RefusalCase } from '../support/refusals';

const network = { awsvpcConfiguration: { subnets: ['subnet-0e2e'], assignPublicIp: 'ENABLED' } };

const setUp = async (cluster: string, family: string, containerOverrides: Record<string, unknown> = {}) => {
  expect((await api.post('/v1/clusters', { clusterName: cluster })).status).toBe(201);
  const registered = await api.post(
    '/v1/task-definitions',
    fargateTaskDefinition(family, { containerDefinitions: [{ name: 'web', image: 'nginx:1.27', ...containerOverrides }] }),
  );
  expect(registered.status).toBe(201);
  return registered.body.taskDefinition.taskDefinitionArn as string;
};

const service = async (cluster: string, name: string) => (await api.get(`/v1/clusters/${cluster}/services/${name}`)).body.service;

const steady = (cluster: string, name: string, runningCount: number, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const current = await service(cluster, name);
      return current.runningCount === runningCount &&
        current.pendingCount === 0 &&
        current.deployments[0].rolloutState === 'COMPLETED' &&
        current.deployments.every((deployment: { status: string }) => deployment.status !== 'ACTIVE')
        ? current
        : undefined;
    },
    { timeoutMs, what: `${name} to reach a steady state with ${runningCount} tasks` },
  );

describe('services over HTTP with the simulated fleet', () => {
  it('brings a service of 3 to 3 RUNNING tasks, woken at once rather than by the schedule', async () => {
    await setUp('e2e-svc', 'e2e-svc-web');
    const created = await api.post('/v1/clusters/e2e-svc/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: 'e2e-svc-web',
      desiredCount: 3,
      networkConfiguration: network,
    });
    expect(created.status).toBe(201);
    expect(created.body.service).toMatchObject({
      serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/e2e-svc/web',
      status: 'ACTIVE',
      desiredCount: 3,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 3 }],
    });
    // The schedule runs once a minute; the first launch comes from the wake-up after the write.
    const started = Date.now();
    await eventually(async () => ((await clusterTasksNow('e2e-svc')).length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'the first task launch',
    });
    expect(Date.now() - started).toBeLessThan(10_000);

    const done = await steady('e2e-svc', 'web', 3);
    expect(done.events.map((event: { message: string }) => event.message).slice(0, 2)).toEqual([
      '(service web) has reached a steady state.',
      `(service web) (deployment ${done.deployments[0].id}) deployment completed.`,
    ]);
    const listed = await api.get('/v1/clusters/e2e-svc/tasks?serviceName=web');
    expect(listed.body.taskArns).toHaveLength(3);
    const task = (await api.get(`/v1/clusters/e2e-svc/tasks/${listed.body.taskArns[0].split('/').pop()}`)).body.task;
    expect(task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'service:web',
      startedBy: done.deployments[0].id,
      containers: [{ name: 'web', image: 'nginx:1.27', lastStatus: 'RUNNING' }],
    });
    for (const field of ['createdAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt']) expect(typeof task[field]).toBe('string');
    const cluster = (await api.get('/v1/clusters/e2e-svc')).body.cluster;
    expect(cluster).toMatchObject({ activeServicesCount: 1, runningTasksCount: 3, pendingTasksCount: 0 });
  });

  it('rolls to a new revision within minimumHealthyPercent and maximumPercent at every observed moment', async () => {
    await setUp('e2e-roll', 'e2e-roll-web');
    await api.post('/v1/clusters/e2e-roll/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: 'e2e-roll-web',
      desiredCount: 4,
      networkConfiguration: network,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
    });
    await steady('e2e-roll', 'web', 4);
    const next = await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-roll-web', { containerDefinitions: [{ name: 'web', image: 'nginx:1.28' }] }));
    const updated = await api.patch('/v1/clusters/e2e-roll/services/web', { taskDefinition: next.body.taskDefinition.taskDefinitionArn });
    expect(updated.status).toBe(200);
    expect(updated.body.service.deployments.map((deployment: { status: string }) => deployment.status)).toEqual(['PRIMARY', 'ACTIVE']);

    const moments: Array<{ active: number; running: number }> = [];
    await eventually(
      async () => {
        const tasks = await clusterTasksNow('e2e-roll');
        const active = tasks.filter((task) => task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED');
        moments.push({ active: active.length, running: active.filter((task) => task.lastStatus === 'RUNNING').length });
        const current = await service('e2e-roll', 'web');
        return current.deployments[0].rolloutState === 'COMPLETED' && current.deployments.length === 1
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'the rolling deployment to complete' },
    );
    // Enough looks to have seen the rollout's middle (fewer under load: each look takes longer).
    expect(moments.length).toBeGreaterThan(5);
    // desiredCount 4: at most floor(150% × 4) = 6 tasks, at least ceil(50% × 4) = 2 healthy.
    for (const moment of moments) {
      expect(moment.active).toBeLessThanOrEqual(6);
      expect(moment.running).toBeGreaterThanOrEqual(2);
    }
    const running = (await clusterTasksNow('e2e-roll')).filter((task) => task.lastStatus === 'RUNNING');
    expect(running.map((task) => task.taskDefinitionArn)).toEqual(Array(4).fill(next.body.taskDefinition.taskDefinitionArn));
  });

  it('replaces a task that is stopped, and keeps the stopped one visible', async () => {
    await setUp('e2e-replace', 'e2e-replace-web');
    await api.post('/v1/clusters/e2e-replace/services', { launchType: 'FARGATE', serviceName: 'web', taskDefinition: 'e2e-replace-web', desiredCount: 2, networkConfiguration: network });
    await steady('e2e-replace', 'web', 2);
    const [victim] = (await api.get('/v1/clusters/e2e-replace/tasks?serviceName=web')).body.taskArns as string[];
    const stopped = await api.post(`/v1/clusters/e2e-replace/tasks/${victim.split('/').pop()}/stop`, { reason: 'chaos test' });
    expect(stopped.body.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'chaos test' });
    await eventually(
      async () => {
        const current = await service('e2e-replace', 'web');
        const listed = (await api.get('/v1/clusters/e2e-replace/tasks?serviceName=web')).body.taskArns as string[];
        const replaced = current.events.some((event: { message: string }) => /has started 1 tasks/.test(event.message));
        return replaced && current.runningCount === 2 && listed.length === 2 && !listed.includes(victim) ? true : undefined;
      },
      { what: 'a replacement task' },
    );
    const gone = await api.get(`/v1/clusters/e2e-replace/tasks/${victim.split('/').pop()}`);
    expect(gone.body.task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated' });
    expect((await api.get('/v1/clusters/e2e-replace/tasks?desiredStatus=STOPPED')).body.taskArns).toContain(victim);
  });

  it('fails a deployment with an unpullable image through the circuit breaker and rolls back', async () => {
    const good = await setUp('e2e-breaker', 'e2e-breaker-web');
    await api.post('/v1/clusters/e2e-breaker/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: good,
      desiredCount: 3,
      networkConfiguration: network,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await steady('e2e-breaker', 'web', 3);
    const bad = await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-breaker-web', { containerDefinitions: [{ name: 'web', image: 'nginx:does-not-exist' }] }));
    await api.patch('/v1/clusters/e2e-breaker/services/web', { taskDefinition: bad.body.taskDefinition.taskDefinitionArn });
    const rolledBack = await eventually(
      async () => {
        const current = await service('e2e-breaker', 'web');
        return current.taskDefinition === good && current.deployments[0].rolloutState === 'COMPLETED' && current.runningCount === 3
          ? current
          : undefined;
      },
      { timeoutMs: 45_000, what: 'the rollback to complete' },
    );
    // The failed deployment has no task left: ECS lists only the rollback, the PRIMARY.
    expect(rolledBack.deployments).toHaveLength(1);
    const messages = rolledBack.events.map((event: { message: string }) => event.message);
    expect(messages).toContainEqual(expect.stringMatching(/^\(service web\) \(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\.$/));
    expect(messages).toContainEqual(expect.stringMatching(/rolling back to deployment ecs-svc\/\d+\.$/));
    const stoppedArns = (await api.get('/v1/clusters/e2e-breaker/tasks?desiredStatus=STOPPED')).body.taskArns as string[];
    const stoppedTasks = await Promise.all(stoppedArns.map(async (arn) => (await api.get(`/v1/clusters/e2e-breaker/tasks/${arn.split('/').pop()}`)).body.task));
    expect(stoppedTasks.some((task) => task.stopCode === 'TaskFailedToStart' && /^CannotPullContainerError/.test(task.stoppedReason))).toBe(true);
  });

  it('reports a blocked deployment in ECS words and says why', async () => {
    const first = await setUp('e2e-blocked', 'e2e-blocked-web');
    await api.post('/v1/clusters/e2e-blocked/services', {
      launchType: 'FARGATE',
      serviceName: 'web',
      taskDefinition: first,
      desiredCount: 2,
      networkConfiguration: network,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 },
    });
    await steady('e2e-blocked', 'web', 2);
    await api.patch('/v1/clusters/e2e-blocked/services/web', { forceNewDeployment: true });
    const blocked = await eventually(async () => {
      const current = await service('e2e-blocked', 'web');
      return current.deployments[0].rolloutStateReason.startsWith('Blocked') ? current : undefined;
    }, { what: 'the blocked deployment to be reported' });
    expect(blocked.events[0].message).toBe(
      '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.',
    );
    // Lowering the minimum unblocks it.
    await api.patch('/v1/clusters/e2e-blocked/services/web', { deploymentConfiguration: { minimumHealthyPercent: 50 } });
    await steady('e2e-blocked', 'web', 2);
  });

  it('scales, and deletes only at 0 unless forced, draining to INACTIVE', async () => {
    await setUp('e2e-delete', 'e2e-delete-web');
    await api.post('/v1/clusters/e2e-delete/services', { launchType: 'FARGATE', serviceName: 'web', taskDefinition: 'e2e-delete-web', desiredCount: 1, networkConfiguration: network });
    await api.patch('/v1/clusters/e2e-delete/services/web', { desiredCount: 2 });
    await steady('e2e-delete', 'web', 2);
    const refused = await api.delete('/v1/clusters/e2e-delete/services/web');
    expect(refused).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException' } });
    expect((await api.delete('/v1/clusters/e2e-delete')).body.__type).toBe('ClusterContainsServicesException');
    const deleted = await api.delete('/v1/clusters/e2e-delete/services/web?force=true');
    expect(deleted.body.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    await eventually(async () => ((await service('e2e-delete', 'web')).status === 'INACTIVE' ? true : undefined), { what: 'INACTIVE' });
    expect((await api.get('/v1/clusters/e2e-delete/services')).body.serviceArns).toEqual([]);
    expect((await api.get('/v1/clusters/e2e-delete/tasks')).body.taskArns).toEqual([]);
    expect((await api.delete('/v1/clusters/e2e-delete')).body.cluster.status).toBe('INACTIVE');
  });
});

describe('standalone tasks and simulated failures over HTTP', () => {
  const runOne = async (cluster: string, family: string, container: Record<string, unknown>) => {
    await setUp(cluster, family, container);
    const ran = await api.post(`/v1/clusters/${cluster}/tasks`, { taskDefinition: family, launchType: 'FARGATE', networkConfiguration: network });
    expect(ran.status).toBe(201);
    expect(ran.body.failures).toEqual([]);
    return ran.body.tasks[0].taskArn.split('/').pop() as string;
  };
  const stoppedTask = (cluster: string, taskId: string) =>
    eventually(
      async () => {
        const task = (await api.get(`/v1/clusters/${cluster}/tasks/${taskId}`)).body.task;
        return task.lastStatus === 'STOPPED' ? task : undefined;
      },
      { what: `task ${taskId} to stop` },
    );

  it('runs tasks idempotently with a clientToken and refuses a reused token with other parameters', async () => {
    await setUp('e2e-run', 'e2e-run-web');
    const body = { taskDefinition: 'e2e-run-web', launchType: 'FARGATE', count: 2, clientToken: 'token-1', startedBy: 'me', networkConfiguration: network };
    const first = await api.post('/v1/clusters/e2e-run/tasks', body);
    expect(first.body.tasks).toHaveLength(2);
    expect(first.body.tasks[0]).toMatchObject({ group: 'family:e2e-run-web', startedBy: 'me', lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' });
    const again = await api.post('/v1/clusters/e2e-run/tasks', body);
    expect(again.body.tasks.map((task: { taskArn: string }) => task.taskArn)).toEqual(first.body.tasks.map((task: { taskArn: string }) => task.taskArn));
    expect(await api.post('/v1/clusters/e2e-run/tasks', { ...body, count: 3 })).toMatchObject({ status: 409, body: { __type: 'ConflictException' } });
    await eventually(async () => {
      const listed = (await api.get('/v1/clusters/e2e-run/tasks?startedBy=me')).body.taskArns as string[];
      const tasks = await Promise.all(listed.map(async (arn) => (await api.get(`/v1/clusters/e2e-run/tasks/${arn.split('/').pop()}`)).body.task));
      return tasks.length === 2 && tasks.every((task) => task.lastStatus === 'RUNNING') ? true : undefined;
    }, { what: 'both tasks RUNNING' });
  });

  it('an essential container that exits stops the task with its exit code', async () => {
    const taskId = await runOne('e2e-exit', 'e2e-exit-web', {
      environment: [{ name: 'ECSBOX_SIMULATE', value: 'exit' }, { name: 'ECSBOX_EXIT_AFTER', value: '5' }, { name: 'ECSBOX_EXIT_CODE', value: '3' }],
    });
    const task = await stoppedTask('e2e-exit', taskId);
    expect(task).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
    expect(task.containers[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 3 });
  });

  it('a container over its memory is killed with OutOfMemoryError', async () => {
    const taskId = await runOne('e2e-oom', 'e2e-oom-web', { environment: [{ name: 'ECSBOX_SIMULATE', value: 'oom' }, { name: 'ECSBOX_EXIT_AFTER', value: '5' }] });
    const task = await stoppedTask('e2e-oom', taskId);
    expect(task.stoppedReason).toBe('OutOfMemoryError: Container killed due to memory usage');
    expect(task.containers[0]).toMatchObject({ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' });
  });

  it('a service replaces a task whose health check fails', async () => {
    await setUp('e2e-health', 'e2e-health-web', {
      healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 5, retries: 1 },
      environment: [{ name: 'ECSBOX_SIMULATE', value: 'unhealthy' }],
    });
    await api.post('/v1/clusters/e2e-health/services', { launchType: 'FARGATE', serviceName: 'web', taskDefinition: 'e2e-health-web', desiredCount: 1, networkConfiguration: network });
    const stopped = await eventually(async () => {
      const arns = (await api.get('/v1/clusters/e2e-health/tasks?desiredStatus=STOPPED')).body.taskArns as string[];
      if (!arns.length) return undefined;
      return (await api.get(`/v1/clusters/e2e-health/tasks/${arns[0].split('/').pop()}`)).body.task;
    }, { what: 'an unhealthy task to be stopped', timeoutMs: 30_000 });
    expect(stopped).toMatchObject({ stoppedReason: 'Task failed container health checks', stopCode: 'ServiceSchedulerInitiated', healthStatus: 'UNHEALTHY' });
    const current = await service('e2e-health', 'web');
    expect(current.events.some((event: { message: string }) => event.message.includes('failed container health checks'))).toBe(true);
  });
});

describe('bad input to services and tasks', () => {
  beforeAll(async () => {
    await setUp('e2e-bad', 'e2e-bad-web');
    await api.post('/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 'exists', taskDefinition: 'e2e-bad-web', desiredCount: 0, networkConfiguration: network });
    // Let the reconciler finish with it, so that only the requests below could change anything.
    await eventually(async () => ((await service('e2e-bad', 'exists')).events.length ? true : undefined), { what: 'steady' });
  });

  const cases: RefusalCase[] = [
    ['unknown cluster', 'POST', '/v1/clusters/nope/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'e2e-bad-web', desiredCount: 1, networkConfiguration: network }, 404, 'ClusterNotFoundException', /Cluster/],
    ['unknown task definition', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'nope', desiredCount: 1, networkConfiguration: network }, 404, 'ClientException', /Unable to describe task definition/],
    ['negative desiredCount', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'e2e-bad-web', desiredCount: -1, networkConfiguration: network }, 400, 'InvalidParameterException', /desiredCount/],
    ['missing desiredCount', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'e2e-bad-web', networkConfiguration: network }, 400, 'InvalidParameterException', /desiredCount/],
    ['maximumPercent out of range', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'e2e-bad-web', desiredCount: 1, networkConfiguration: network, deploymentConfiguration: { maximumPercent: 500 } }, 400, 'InvalidParameterException', /maximumPercent/],
    ['no network for awsvpc', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 's', taskDefinition: 'e2e-bad-web', desiredCount: 1 }, 400, 'InvalidParameterException', /networkConfiguration/],
    ['a duplicate service', 'POST', '/v1/clusters/e2e-bad/services', { launchType: 'FARGATE', serviceName: 'exists', taskDefinition: 'e2e-bad-web', desiredCount: 1, networkConfiguration: network }, 400, 'InvalidParameterException', /idempotent/],
    ['unknown service', 'PATCH', '/v1/clusters/e2e-bad/services/nope', { desiredCount: 1 }, 404, 'ServiceNotFoundException', /Service/],
    ['an unknown update field', 'PATCH', '/v1/clusters/e2e-bad/services/exists', { desired: 1 }, 400, 'InvalidParameterException', /desired/],
    ['RunTask count 11', 'POST', '/v1/clusters/e2e-bad/tasks', { taskDefinition: 'e2e-bad-web', count: 11, networkConfiguration: network }, 400, 'InvalidParameterException', /count/],
    ['a long startedBy', 'POST', '/v1/clusters/e2e-bad/tasks', { taskDefinition: 'e2e-bad-web', startedBy: 'x'.repeat(37), networkConfiguration: network }, 400, 'InvalidParameterException', /startedBy/],
    ['an override of a missing container', 'POST', '/v1/clusters/e2e-bad/tasks', { taskDefinition: 'e2e-bad-web', launchType: 'FARGATE', networkConfiguration: network, overrides: { containerOverrides: [{ name: 'ghost' }] } }, 400, 'InvalidParameterException', /containerOverrides/],
    ['stopping an unknown task', 'POST', '/v1/clusters/e2e-bad/tasks/0123456789abcdef0123456789abcdef/stop', {}, 404, 'InvalidParameterException', /task was not found/],
    ['a bad desiredStatus', 'GET', '/v1/clusters/e2e-bad/tasks?desiredStatus=DONE', undefined, 400, 'InvalidParameterException', /desiredStatus/],
    ['a bad force flag', 'DELETE', '/v1/clusters/e2e-bad/services/exists?force=yes', undefined, 400, 'InvalidParameterException', /force/],
  ];

  describeRefusals(cases, ['e2e-bad']);
});
