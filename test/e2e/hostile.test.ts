import { apiUrl, api, fargateTaskDefinition, request } from '../support/http';
import { wireRequest, TARGET_PREFIX } from '../support/ecs-wire';
import { FIXTURE, generators, prng, type HostileCase, type HostileClass } from '../support/hostile-cases';
import { tableSnapshot } from '../support/table-snapshot';

/** Cases per class; HOSTILE_SEED reproduces (or varies) a run. */
const CASES: Record<HostileClass, number> = {
  'long identifiers': 900,
  'page tokens': 500,
  'deep nesting': 300,
  'media types and body shapes': 600,
  'foreign ARNs': 300,
  'framework errors': 40,
  'task-definition free-form members': 100,
  numbers: 100,
  'map keys': 100,
  'run-task overrides': 50,
  'simulation settings': 100,
  'container instances': 300,
  'ec2 tasks': 300,
  'ec2 services': 100,
  'capacity providers': 300,
};
/** Classes where accepting a case can be right (a map key such as "constructor" is plain data). */
const MAY_ACCEPT = new Set<HostileClass>(['map keys', 'simulation settings']);
const SEED = Number(process.env.HOSTILE_SEED ?? 20261130);
const CONCURRENCY = 6;

const send = async (hostile: HostileCase) => {
  const response = await fetch(`${apiUrl()}${hostile.path}`, { method: hostile.method, headers: hostile.headers, body: hostile.body });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text.slice(0, 200);
  }
  return { status: response.status, body };
};

const inPool = async <T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
};

const tokens = { taskDefinitions: '', families: '' };

beforeAll(async () => {
  expect((await api.post('/v1/clusters', { clusterName: FIXTURE.cluster })).status).toBe(201);
  for (let revision = 0; revision < 2; revision++) {
    expect((await api.post('/v1/task-definitions', fargateTaskDefinition(FIXTURE.family))).status).toBe(201);
  }
  expect((await api.post('/v1/task-definitions', fargateTaskDefinition(`${FIXTURE.family}-2`))).status).toBe(201);
  tokens.taskDefinitions = (await api.get(`/v1/task-definitions?familyPrefix=${FIXTURE.family}&maxResults=1`)).body.nextToken;
  tokens.families = (await api.get('/v1/task-definition-families?maxResults=1')).body.nextToken;
  expect(tokens.taskDefinitions).toEqual(expect.any(String));
  expect(tokens.families).toEqual(expect.any(String));
});

/**
 * A batch operation whose every identifier is reported in `failures` and nothing else done: ECS's
 * answer to bad identifiers in DeleteTaskDefinitions (200, each one echoed with a reason). The
 * table check below still proves nothing changed.
 */
const reportedAsFailures = (status: number, body: Record<string, unknown> | undefined): boolean =>
  status === 200 &&
  Array.isArray(body?.failures) &&
  body.failures.length > 0 &&
  Object.entries(body).every(([member, value]) => member === 'failures' || (Array.isArray(value) && value.length === 0));

describe.each(Object.keys(CASES) as HostileClass[])('hostile input: %s', (hostileClass) => {
  it(`${CASES[hostileClass]} generated cases (seed ${SEED}) on both faces: a 4xx with an ECS error name, never a 5xx, nothing stored`, async () => {
    const random = prng(SEED ^ hostileClass.length * 7919 ^ hostileClass.charCodeAt(0));
    const cases = Array.from({ length: CASES[hostileClass] }, () => generators[hostileClass](random, tokens));
    const before = await tableSnapshot([FIXTURE.cluster]);
    const answers = await inPool(cases, send);
    const wrong = cases.flatMap((hostile, index) => {
      const { status, body } = answers[index];
      const refused = status >= 400 && status < 500 && typeof body?.__type === 'string' && /^[A-Z]\w+$/.test(body.__type) && typeof body.message === 'string';
      const accepted = MAY_ACCEPT.has(hostileClass) && status >= 200 && status < 300;
      return refused || accepted || reportedAsFailures(status, body) ? [] : [`${hostile.name} → ${status} ${JSON.stringify(body).slice(0, 200)}`];
    });
    expect(wrong).toEqual([]);
    if (!MAY_ACCEPT.has(hostileClass)) expect(await tableSnapshot([FIXTURE.cluster])).toEqual(before);
  });
});

describe('hostile input: specific answers', () => {
  it('answers a forged or foreign nextToken with InvalidParameterException on both faces', async () => {
    const families = tokens.families;
    const rest = await api.get(`/v1/task-definitions?nextToken=${encodeURIComponent(families)}`);
    expect(rest).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException', message: expect.stringMatching(/nextToken/) } });
    const wire = await wireRequest(`${TARGET_PREFIX}ListTaskDefinitions`, { familyPrefix: FIXTURE.family, sort: 'DESC', nextToken: tokens.taskDefinitions });
    expect(wire).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException' } });
    // The token still pages the query it was issued for.
    const next = await api.get(`/v1/task-definitions?familyPrefix=${FIXTURE.family}&maxResults=1&nextToken=${encodeURIComponent(tokens.taskDefinitions)}`);
    expect(next.body.taskDefinitionArns).toEqual([expect.stringMatching(/hostile-web:2$/)]);
  });

  it('reports ARNs of another account or region as MISSING, and never finds them', async () => {
    const foreign = [`arn:aws:ecs:us-east-1:111111111111:cluster/${FIXTURE.cluster}`, `arn:aws:ecs:eu-west-1:000000000000:cluster/${FIXTURE.cluster}`];
    const described = await wireRequest(`${TARGET_PREFIX}DescribeClusters`, { clusters: [FIXTURE.cluster, ...foreign] });
    expect(described.status).toBe(200);
    expect(described.body.clusters.map((cluster: any) => cluster.clusterName)).toEqual([FIXTURE.cluster]);
    expect(described.body.failures).toEqual(foreign.map((arn) => ({ arn, reason: 'MISSING' })));
    expect(await api.get(`/v1/clusters/${encodeURIComponent(foreign[0])}`)).toMatchObject({ status: 404, body: { __type: 'ClusterNotFoundException' } });
  });

  it('creates nothing from a text/plain POST, and reads application/json with a charset', async () => {
    const plain = await request('POST', '/v1/clusters', JSON.stringify({ clusterName: 'csrf' }), { 'content-type': 'text/plain' });
    expect(plain).toMatchObject({ status: 415, body: { __type: 'ClientException', message: expect.stringMatching(/Content-Type/) } });
    const wire = await request('POST', '/', '{}', { 'content-type': 'text/plain', 'x-amz-target': `${TARGET_PREFIX}ListClusters` });
    expect(wire).toMatchObject({ status: 400, body: { __type: 'ClientException' } });
    expect((await api.get('/v1/clusters/csrf')).status).toBe(404);
    const charset = await request('POST', '/v1/clusters', { clusterName: FIXTURE.cluster }, { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(201);
  });

  it('allows only the configured origins (localhost by default), never "null"', async () => {
    const allowOrigin = async (origin: string) =>
      (await request('GET', '/v1/clusters', undefined, { origin })).headers.get('access-control-allow-origin');
    expect(await allowOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(await allowOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    for (const origin of ['null', 'https://evil.example', 'http://localhost.evil.example', 'http://evil.example:5173']) {
      expect(await allowOrigin(origin)).not.toBe(origin);
    }
    const preflight = await request('OPTIONS', '/v1/clusters', undefined, { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const refused = await request('OPTIONS', '/v1/clusters', undefined, { origin: 'null', 'access-control-request-method': 'POST' });
    expect(refused.headers.get('access-control-allow-origin')).not.toBe('null');
  });
});
