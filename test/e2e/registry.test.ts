import { api, fargateTaskDefinition, request } from '../support/http';
import { describeRefusals, type RefusalCase } from '../support/refusals';

describe('clusters over HTTP', () => {
  it('creates, describes, lists and deletes a cluster; CreateCluster is idempotent', async () => {
    const created = await api.post('/v1/clusters', { clusterName: 'e2e-registry' });
    expect(created.status).toBe(201);
    expect(created.body.cluster).toMatchObject({
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/e2e-registry',
      clusterName: 'e2e-registry',
      status: 'ACTIVE',
      activeServicesCount: 0,
      runningTasksCount: 0,
      pendingTasksCount: 0,
    });
    expect(new Date(created.body.cluster.createdAt).toISOString()).toBe(created.body.cluster.createdAt);
    expect((await api.post('/v1/clusters', { clusterName: 'e2e-registry' })).body).toEqual(created.body);

    const described = await api.get('/v1/clusters/e2e-registry');
    expect(described.status).toBe(200);
    expect(described.body.cluster.clusterName).toBe('e2e-registry');
    const byArn = await api.get(`/v1/clusters/${encodeURIComponent(created.body.cluster.clusterArn)}`);
    expect(byArn.body.cluster.clusterName).toBe('e2e-registry');

    expect((await api.get('/v1/clusters')).body.clusterArns).toContain(created.body.cluster.clusterArn);
    expect((await api.delete('/v1/clusters/e2e-registry')).body.cluster.status).toBe('INACTIVE');
    expect(await api.get('/v1/clusters/e2e-registry')).toMatchObject({
      status: 404,
      body: { __type: 'ClusterNotFoundException' },
    });
  });

  it('defaults the name to "default"', async () => {
    const created = await api.post('/v1/clusters', {});
    expect(created.body.cluster.clusterName).toBe('default');
  });
});

describe('task definitions over HTTP', () => {
  it('registers revisions and describes them by family, family:revision and ARN', async () => {
    const first = await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-web'));
    expect(first.status).toBe(201);
    expect(first.body.taskDefinition).toMatchObject({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/e2e-web:1',
      family: 'e2e-web',
      revision: 1,
      status: 'ACTIVE',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }],
    });
    expect(typeof first.body.taskDefinition.registeredAt).toBe('string');
    const second = await api.post('/v1/task-definitions', fargateTaskDefinition('e2e-web', { cpu: '1 vCPU', memory: '2 GB' }));
    expect(second.body.taskDefinition).toMatchObject({ revision: 2, cpu: '1024', memory: '2048' });

    expect((await api.get('/v1/task-definitions/e2e-web')).body.taskDefinition.revision).toBe(2);
    expect((await api.get('/v1/task-definitions/e2e-web:1')).body.taskDefinition.revision).toBe(1);
    const arn = encodeURIComponent(first.body.taskDefinition.taskDefinitionArn);
    expect((await api.get(`/v1/task-definitions/${arn}`)).body.taskDefinition.revision).toBe(1);

    const deregistered = await api.delete('/v1/task-definitions/e2e-web:2');
    expect(deregistered.body.taskDefinition).toMatchObject({ status: 'INACTIVE', revision: 2 });
    expect((await api.get('/v1/task-definitions/e2e-web')).body.taskDefinition.revision).toBe(1);
    expect((await api.get('/v1/task-definitions/e2e-web:2')).body.taskDefinition.status).toBe('INACTIVE');

    const listed = await api.get('/v1/task-definitions?familyPrefix=e2e-web&sort=DESC');
    expect(listed.body).toEqual({ taskDefinitionArns: ['arn:aws:ecs:us-east-1:000000000000:task-definition/e2e-web:1'] });
    const inactive = await api.get('/v1/task-definitions?familyPrefix=e2e-web&status=INACTIVE');
    expect(inactive.body.taskDefinitionArns).toEqual(['arn:aws:ecs:us-east-1:000000000000:task-definition/e2e-web:2']);
    const families = await api.get('/v1/task-definition-families?familyPrefix=e2e-');
    expect(families.body.families).toContain('e2e-web');

    const paged = await api.get('/v1/task-definitions?maxResults=1');
    expect(paged.body.taskDefinitionArns).toHaveLength(1);
    expect(typeof paged.body.nextToken).toBe('string');
  });

  it('gives 20 concurrent registrations over HTTP distinct consecutive revisions', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api.post('/v1/task-definitions', fargateTaskDefinition('e2e-burst'))),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    const revisions = answers.map((answer) => answer.body.taskDefinition.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it('answers unknown task definitions with 404 ClientException', async () => {
    expect(await api.get('/v1/task-definitions/nope:3')).toMatchObject({
      status: 404,
      body: { __type: 'ClientException', message: 'Unable to describe task definition.' },
    });
  });
});

describe('bad input', () => {
  const cases: RefusalCase[] = [
    ['malformed JSON', 'POST', '/v1/task-definitions', '{"family": ', 400, 'SerializationException', /JSON/],
    ['a JSON array', 'POST', '/v1/clusters', '[]', 400, 'ClientException', /./],
    ['a bad family', 'POST', '/v1/task-definitions', fargateTaskDefinition('bad family!'), 400, 'ClientException', /[Ff]amily/],
    ['a bad Fargate size', 'POST', '/v1/task-definitions', fargateTaskDefinition('e2e-bad', { memory: '999' }), 400, 'ClientException', /memory/],
    ['no containers', 'POST', '/v1/task-definitions', fargateTaskDefinition('e2e-bad', { containerDefinitions: [] }), 400, 'ClientException', /containerDefinitions/],
    ['a wrong type', 'POST', '/v1/task-definitions', fargateTaskDefinition('e2e-bad', { cpu: 256 }), 400, 'ClientException', /cpu/],
    [
      'a document over 64 KiB',
      'POST',
      '/v1/task-definitions',
      fargateTaskDefinition('e2e-bad', {
        containerDefinitions: [
          { name: 'web', image: 'nginx:1.27', environment: [{ name: 'BIG', value: 'x'.repeat(70_000) }] },
        ],
      }),
      400,
      'ClientException',
      /64 KiB/,
    ],
    ['a body over 1 MiB', 'POST', '/v1/clusters', JSON.stringify({ clusterName: 'x'.repeat(1_100_000) }), 400, 'SerializationException', /exceeds/],
    ['a bad cluster name', 'POST', '/v1/clusters', { clusterName: 'no spaces' }, 400, 'ClientException', /clusterName/],
    ['an unknown field', 'POST', '/v1/clusters', { clusterName: 'ok', colour: 'red' }, 400, 'ClientException', /colour/],
    ['a bad maxResults', 'GET', '/v1/clusters?maxResults=500', undefined, 400, 'ClientException', /maxResults/],
    ['a forged nextToken', 'GET', '/v1/task-definitions?nextToken=Zm9v', undefined, 400, 'InvalidParameterException', /nextToken/],
    ['a bad status', 'GET', '/v1/task-definitions?status=GONE', undefined, 400, 'ClientException', /status/],
    ['deregister without revision', 'DELETE', '/v1/task-definitions/e2e-web', undefined, 400, 'ClientException', /revision/],
    ['deregister an unknown family', 'DELETE', `/v1/task-definitions/${encodeURIComponent('arn:aws:ecs:us-east-1:000000000000:task-definition/never:1')}`, undefined, 404, 'ClientException', /does not exist/],
    ['a bad revision', 'GET', '/v1/task-definitions/web:abc', undefined, 400, 'ClientException', /revision/i],
    ['an unknown route', 'GET', '/v1/nothing-here', undefined, 404, 'ResourceNotFoundException', /nothing-here/],
    ['an unknown method', 'PUT', '/v1/clusters', { clusterName: 'x' }, 404, 'ResourceNotFoundException', /PUT/],
  ];

  describeRefusals(cases, ['e2e-registry']);
});

describe('for frontends', () => {
  it('serves an OpenAPI 3.1 document with every route', async () => {
    const answer = await api.get('/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining(['/v1/clusters', '/v1/clusters/{cluster}', '/v1/task-definitions', '/v1/task-definitions/{taskDefinition}']),
    );
    const register = answer.body.paths['/v1/task-definitions'].post;
    expect(register.requestBody.content['application/json'].schema.properties.family).toBeDefined();
  });

  it('answers CORS preflight requests', async () => {
    const answer = await request('OPTIONS', '/v1/clusters', undefined, {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
    });
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers.get('access-control-allow-origin')).toBeTruthy();
  });
});
