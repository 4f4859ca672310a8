import { TARGET_PREFIX } from './ecs-wire';
import { fargateTaskDefinition } from './fixtures';

/**
 * Hostile input, generated: seeded and reproducible (HOSTILE_SEED picks another seed). Each case is
 * one raw HTTP request on one API face; every class of input that once answered 5xx, or was
 * accepted when it must not be, has a generator here.
 */
export interface HostileCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type HostileClass =
  | 'long identifiers'
  | 'page tokens'
  | 'deep nesting'
  | 'media types and body shapes'
  | 'foreign ARNs'
  | 'framework errors'
  | 'task-definition free-form members'
  | 'numbers'
  | 'map keys'
  | 'run-task overrides'
  | 'simulation settings'
  | 'container instances'
  | 'ec2 tasks'
  | 'ec2 services'
  | 'capacity providers';

/** A small seeded PRNG (mulberry32): the same seed gives the same cases on every run. */
export const prng = (seed: number) => {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  return { next, int, pick };
};
export type Random = ReturnType<typeof prng>;

/** What the suite sets up first: a cluster and two revisions of a family, named here. */
export const FIXTURE = { cluster: 'hostile', family: 'hostile-web', account: '000000000000', region: 'us-east-1' };
const ARN = `arn:aws:ecs:${FIXTURE.region}:${FIXTURE.account}`;

const REST_JSON = { 'content-type': 'application/json' };
const ecs = (operation: string, body: unknown, name: string): HostileCase => ({
  name: `ECS ${operation}: ${name}`,
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}${operation}` },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const rest = (method: string, path: string, body: unknown, name: string, headers: Record<string, string> = REST_JSON): HostileCase => ({
  name: `REST ${method} ${path.slice(0, 60)}: ${name}`,
  method,
  path,
  headers,
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});

const alphabet = 'abcXYZ019_-';
const exotic = ['é', '€', '𝄞', ' ', '/', ':', '%', '#', '\u0000', '"', '\\', '\u202e'];
const text = (random: Random, length: number, pool = alphabet) =>
  Array.from({ length }, () => (random.next() < 0.1 ? random.pick(exotic) : pool[random.int(0, pool.length - 1)])).join('');

/** Names and ARNs past DynamoDB's key limits, in every kind of reference. */
const longIdentifier = (random: Random): string => {
  const long = text(random, random.int(256, 4000));
  return random.pick([
    long,
    `${ARN}:cluster/${long}`,
    `${ARN}:service/${FIXTURE.cluster}/${long}`,
    `${ARN}:task/${FIXTURE.cluster}/${long}`,
    `${ARN}:task-definition/${long}:1`,
    `${long}:1`,
    `${FIXTURE.family}:${'9'.repeat(random.int(11, 2000))}`,
    `${'𝄞'.repeat(random.int(256, 600))}`,
  ]);
};

const longIdentifierCase = (random: Random): HostileCase => {
  const id = longIdentifier(random);
  const path = encodeURIComponent(id);
  return random.pick([
    () => rest('GET', `/v1/clusters/${path}`, undefined, 'cluster'),
    () => rest('DELETE', `/v1/clusters/${path}`, undefined, 'cluster'),
    () => rest('GET', `/v1/clusters/${path}/services`, undefined, 'cluster'),
    () => rest('GET', `/v1/clusters/${FIXTURE.cluster}/services/${path}`, undefined, 'service'),
    () => rest('PATCH', `/v1/clusters/${FIXTURE.cluster}/services/${path}`, { desiredCount: 1 }, 'service'),
    () => rest('DELETE', `/v1/clusters/${FIXTURE.cluster}/services/${path}`, undefined, 'service'),
    () => rest('GET', `/v1/clusters/${FIXTURE.cluster}/tasks/${path}`, undefined, 'task'),
    () => rest('POST', `/v1/clusters/${FIXTURE.cluster}/tasks/${path}/stop`, {}, 'task'),
    () => rest('POST', `/v1/clusters/${path}/tasks`, { taskDefinition: FIXTURE.family }, 'cluster'),
    () => rest('POST', `/v1/clusters/${FIXTURE.cluster}/tasks`, { taskDefinition: id }, 'task definition'),
    () => rest('GET', `/v1/task-definitions/${path}`, undefined, 'task definition'),
    () => rest('DELETE', `/v1/task-definitions/${path}`, undefined, 'task definition'),
    () => ecs('DescribeClusters', { clusters: [FIXTURE.cluster, id] }, 'clusters[1]'),
    () => ecs('DeleteCluster', { cluster: id }, 'cluster'),
    () => ecs('DescribeServices', { cluster: FIXTURE.cluster, services: [id] }, 'services[0]'),
    () => ecs('DescribeServices', { cluster: id, services: ['x'] }, 'cluster'),
    () => ecs('UpdateService', { cluster: FIXTURE.cluster, service: id, desiredCount: 0 }, 'service'),
    () => ecs('DeleteService', { cluster: FIXTURE.cluster, service: id }, 'service'),
    () => ecs('DescribeTasks', { cluster: FIXTURE.cluster, tasks: [id] }, 'tasks[0]'),
    () => ecs('StopTask', { cluster: FIXTURE.cluster, task: id }, 'task'),
    () => ecs('ListTasks', { cluster: id }, 'cluster'),
    () => ecs('ListServices', { cluster: id }, 'cluster'),
    () => ecs('RunTask', { cluster: id, taskDefinition: FIXTURE.family }, 'cluster'),
    () => ecs('RunTask', { cluster: FIXTURE.cluster, taskDefinition: id }, 'taskDefinition'),
    () => ecs('CreateService', { launchType: 'FARGATE', cluster: id, serviceName: 's', taskDefinition: FIXTURE.family }, 'cluster'),
    () => ecs('DescribeTaskDefinition', { taskDefinition: id }, 'taskDefinition'),
    () => ecs('DeregisterTaskDefinition', { taskDefinition: id }, 'taskDefinition'),
    () => ecs('DeleteTaskDefinitions', { taskDefinitions: [id] }, 'taskDefinitions[0]'),
    () => ecs('ListTagsForResource', { resourceArn: id }, 'resourceArn'),
    () => ecs('TagResource', { resourceArn: `${ARN}:cluster/${id}`, tags: [{ key: 'k', value: 'v' }] }, 'resourceArn'),
  ])();
};

/** Forged, foreign and mangled page tokens; `tokens` are real ones the stack issued. */
const tokenCase = (random: Random, tokens: { taskDefinitions: string; families: string }): HostileCase => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const [payload, mac] = tokens.taskDefinitions.split('.');
  const partition = `A#${FIXTURE.account}`;
  const token = random.pick([
    () => tokens.families,
    () => b64({ PK: partition, SK: `TD#${FIXTURE.family}#0000000001`, extra: text(random, 5) }),
    () => b64({ PK: partition, SK: '' }),
    () => b64({ PK: partition, SK: 'x'.repeat(random.int(1025, 3000)) }),
    () => b64({ PK: partition, SK: `NOPE#${text(random, 8)}` }),
    () => `${b64({ PK: partition, SK: `TD#${FIXTURE.family}#0000000002` })}.${mac}`,
    () => `${payload}.${mac.slice(0, -2)}${random.pick(['AA', 'zz', '--'])}`,
    () => `${payload}.${mac}.${mac}`,
    () => text(random, random.int(1, 200)),
    () => `${payload}`,
  ])();
  const query = `nextToken=${encodeURIComponent(token)}&maxResults=1`;
  const families = [
    () => rest('GET', `/v1/task-definition-families?${query}`, undefined, 'nextToken'),
    () => ecs('ListTaskDefinitionFamilies', { nextToken: token }, 'nextToken'),
  ];
  // The families token is valid on the families list: elsewhere it is a token of another list.
  return random.pick([
    ...(token === tokens.families ? [] : families),
    () => rest('GET', `/v1/task-definitions?${query}`, undefined, 'nextToken'),
    () => rest('GET', `/v1/task-definitions?${query}&familyPrefix=other`, undefined, 'nextToken of another query'),
    () => rest('GET', `/v1/task-definitions?${query}&sort=DESC`, undefined, 'nextToken of another order'),
    () => rest('GET', `/v1/clusters?${query}`, undefined, 'nextToken'),
    () => rest('GET', `/v1/clusters/${FIXTURE.cluster}/services?${query}`, undefined, 'nextToken'),
    () => rest('GET', `/v1/clusters/${FIXTURE.cluster}/tasks?${query}`, undefined, 'nextToken'),
    () => ecs('ListTaskDefinitions', { nextToken: token, maxResults: 1 }, 'nextToken'),
    () => ecs('ListClusters', { nextToken: token }, 'nextToken'),
    () => ecs('ListServices', { cluster: FIXTURE.cluster, nextToken: token }, 'nextToken'),
    () => ecs('ListTasks', { cluster: FIXTURE.cluster, nextToken: token }, 'nextToken'),
  ])();
};

/** A value nested `depth` levels, built without recursion and serialised as text directly. */
const nested = (random: Random, depth: number, inner = '1') => {
  const kinds = Array.from({ length: depth }, () => (random.next() < 0.5 ? 'array' : 'object'));
  return kinds.map((kind) => (kind === 'array' ? '[' : '{"a":')).join('') + inner + kinds.reverse().map((kind) => (kind === 'array' ? ']' : '}')).join('');
};

const bodyCarriers = (random: Random, value: string): HostileCase =>
  random.pick([
    () => rest('POST', '/v1/clusters', `{"clusterName":"deep","tags":${value}}`, 'tags'),
    () => rest('POST', '/v1/task-definitions', `{"family":"deep","containerDefinitions":${value}}`, 'containerDefinitions'),
    () => rest('POST', `/v1/clusters/${FIXTURE.cluster}/tasks`, `{"taskDefinition":"${FIXTURE.family}","overrides":${value}}`, 'overrides'),
    () => rest('PATCH', `/v1/clusters/${FIXTURE.cluster}/services/nope`, `{"deploymentConfiguration":${value}}`, 'deploymentConfiguration'),
    () => rest('POST', `/v1/clusters/${FIXTURE.cluster}/services`, `{"serviceName":"deep","taskDefinition":"${FIXTURE.family}","networkConfiguration":${value}}`, 'networkConfiguration'),
    () => ecs('CreateCluster', `{"clusterName":"deep","settings":${value}}`, 'settings'),
    () => ecs('RegisterTaskDefinition', `{"family":"deep","volumes":${value},"containerDefinitions":[]}`, 'volumes'),
    () => ecs('DescribeClusters', `{"clusters":${value}}`, 'clusters'),
    () => ecs('RunTask', `{"cluster":"${FIXTURE.cluster}","taskDefinition":"${FIXTURE.family}","overrides":${value}}`, 'overrides'),
    () => ecs('ListTasks', value, 'the whole body'),
  ])();

const deepCase = (random: Random): HostileCase => bodyCarriers(random, nested(random, random.pick([40, 100, 1000, random.int(33, 12000)])));

/** Content types a browser sends cross-site without a preflight, or no JSON at all; and bodies that are not objects. */
const mediaCase = (random: Random): HostileCase => {
  const wrongType = random.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', '']);
  const create = JSON.stringify({ clusterName: `csrf-${random.int(0, 1e6)}` });
  return random.pick([
    () => rest('POST', '/v1/clusters', create, `Content-Type ${wrongType}`, wrongType ? { 'content-type': wrongType } : {}),
    () => rest('POST', `/v1/clusters/${FIXTURE.cluster}/tasks/abc/stop`, '{}', `Content-Type ${wrongType}`, wrongType ? { 'content-type': wrongType } : {}),
    () => rest('POST', '/v1/clusters', create, 'the ECS media type on REST', { 'content-type': 'application/x-amz-json-1.1' }),
    () => rest('POST', '/v1/task-definitions', JSON.stringify(fargateTaskDefinition('csrf')), `Content-Type ${wrongType}`, { 'content-type': wrongType || 'text/plain' }),
    () => ({ ...ecs('CreateCluster', create, `Content-Type ${wrongType}`), headers: { 'content-type': wrongType || 'text/plain', 'x-amz-target': `${TARGET_PREFIX}CreateCluster` } }),
    () => ({ ...ecs('CreateCluster', create, 'application/json on the ECS face'), headers: { 'content-type': 'application/json', 'x-amz-target': `${TARGET_PREFIX}CreateCluster` } }),
    () => rest(random.pick(['POST', 'PATCH']), random.pick(['/v1/clusters', `/v1/clusters/${FIXTURE.cluster}/services/x`, `/v1/clusters/${FIXTURE.cluster}/tasks`]), random.pick(['null', '[]', '[{}]', '1', '"x"', 'true', '{', '{"a":1}x', '\u0000']), 'a body that is not an object'),
    () => ecs('CreateCluster', random.pick(['null', '[]', '1', '"x"', '{', 'false']), 'a body that is not an object'),
  ])();
};

/** ARNs naming this stack's resources in another account or region. */
const foreignCase = (random: Random): HostileCase => {
  const region = random.pick(['us-west-2', 'eu-central-1', FIXTURE.region]);
  const account = region === FIXTURE.region ? random.pick(['111111111111', '123456789012']) : random.pick([FIXTURE.account, '111111111111']);
  const arn = `arn:aws:ecs:${region}:${account}`;
  const cluster = `${arn}:cluster/${FIXTURE.cluster}`;
  return random.pick([
    () => rest('GET', `/v1/clusters/${encodeURIComponent(cluster)}`, undefined, 'foreign cluster ARN'),
    () => rest('DELETE', `/v1/clusters/${encodeURIComponent(cluster)}`, undefined, 'foreign cluster ARN'),
    () => rest('POST', `/v1/clusters/${encodeURIComponent(cluster)}/tasks`, { taskDefinition: FIXTURE.family }, 'foreign cluster ARN'),
    () => rest('GET', `/v1/task-definitions/${encodeURIComponent(`${arn}:task-definition/${FIXTURE.family}:1`)}`, undefined, 'foreign task definition ARN'),
    () => rest('DELETE', `/v1/task-definitions/${encodeURIComponent(`${arn}:task-definition/${FIXTURE.family}:1`)}`, undefined, 'foreign task definition ARN'),
    () => ecs('DeleteCluster', { cluster }, 'foreign cluster ARN'),
    () => ecs('ListServices', { cluster }, 'foreign cluster ARN'),
    () => ecs('RunTask', { cluster: FIXTURE.cluster, taskDefinition: `${arn}:task-definition/${FIXTURE.family}:1` }, 'foreign task definition ARN'),
    () => ecs('DescribeTaskDefinition', { taskDefinition: `${arn}:task-definition/${FIXTURE.family}:1` }, 'foreign task definition ARN'),
    () => ecs('DeregisterTaskDefinition', { taskDefinition: `${arn}:task-definition/${FIXTURE.family}:1` }, 'foreign task definition ARN'),
    () => ecs('TagResource', { resourceArn: cluster, tags: [{ key: 'k', value: 'v' }] }, 'foreign cluster ARN'),
    () => ecs('StopTask', { cluster, task: 'abc' }, 'foreign cluster ARN'),
  ])();
};

/** What the HTTP framework answers before any handler runs, or what no route matches. */
const frameworkCase = (random: Random): HostileCase =>
  random.pick([
    () => rest('POST', '/v1/clusters', `{"clusterName":"big","tags":"${'x'.repeat(random.int(1_100_000, 1_300_000))}"}`, 'a body over 1 MiB'),
    () => ecs('ListClusters', `{"x":"${'x'.repeat(random.int(1_100_000, 1_300_000))}"}`, 'a body over 1 MiB'),
    () => rest('GET', `/v1/clusters/${random.pick(['%', '%E0%A4%A', '%zz', 'a%'])}`, undefined, 'malformed %-encoding'),
    () => rest('GET', `/v1/${text(random, random.int(1, 30), 'abcdefgh')}`, undefined, 'unknown route'),
    () => rest(random.pick(['PUT', 'PATCH', 'DELETE']), '/v1/clusters', '{}', 'wrong method'),
    () => rest(random.pick(['PUT', 'DELETE', 'GET']), '/v1/task-definitions/x/y/z', undefined, 'unknown route'),
    () => ({ ...ecs('ListClusters', {}, 'unknown operation'), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}${random.pick(['toString', '__proto__', 'Nope', ''])}` } }),
  ])();

// Classes whose fix belongs to other branches (h3: task definitions; h4: RunTask, simulated fleet).

const registerWith = (random: Random, container: Record<string, unknown>, extra: Record<string, unknown> = {}, name = 'free-form member') =>
  random.next() < 0.5
    ? rest('POST', '/v1/task-definitions', fargateTaskDefinition(`hostile-x${random.int(0, 9)}`, { containerDefinitions: [{ name: 'web', image: 'nginx', ...container }], ...extra }), name)
    : ecs('RegisterTaskDefinition', fargateTaskDefinition(`hostile-x${random.int(0, 9)}`, { containerDefinitions: [{ name: 'web', image: 'nginx', ...container }], ...extra }), name);

const freeFormCase = (random: Random): HostileCase => {
  const deep = JSON.parse(nested(random, random.int(25, 31), '"v"'));
  return random.pick([
    () => registerWith(random, { dockerLabels: { a: deep } }, {}, 'dockerLabels nested'),
    () => registerWith(random, { logConfiguration: { logDriver: 'awslogs', options: { a: deep } } }, {}, 'log options nested'),
    () => registerWith(random, {}, { volumes: [{ name: 'v', host: deep }] }, 'volumes nested'),
    () => registerWith(random, {}, { volumes: [{ name: 'v', efsVolumeConfiguration: { fileSystemId: deep } }] }, 'volumes nested'),
  ])();
};

const numberCase = (random: Random): HostileCase => {
  const number = random.pick(['1e20', '9e15', '1e309', '-1e309', '9007199254740993', '1e-400']);
  const carriers = [
    `{"family":"hostile-n","containerDefinitions":[{"name":"web","image":"nginx","cpu":${number}}]}`,
    `{"family":"hostile-n","containerDefinitions":[{"name":"web","image":"nginx","memory":${number}}]}`,
    `{"family":"hostile-n","volumes":[{"name":"v","host":{"x":${number}}}],"containerDefinitions":[{"name":"web","image":"nginx","memory":512}]}`,
    `{"family":"hostile-n","containerDefinitions":[{"name":"web","image":"nginx","memory":512,"healthCheck":{"command":["CMD","true"],"interval":${number}}}]}`,
  ];
  const body = random.pick(carriers);
  return random.next() < 0.5 ? rest('POST', '/v1/task-definitions', body, `number ${number}`) : ecs('RegisterTaskDefinition', body, `number ${number}`);
};

const mapKeyCase = (random: Random): HostileCase => {
  const key = random.pick(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']);
  return random.pick([
    () => registerWith(random, { dockerLabels: { [key]: 'x' } }, {}, `dockerLabels key ${key}`),
    () => registerWith(random, { logConfiguration: { logDriver: 'awslogs', options: { [key]: 'x' } } }, {}, `log option ${key}`),
    () => ecs('RegisterTaskDefinition', `{"family":"hostile-k","containerDefinitions":[{"name":"web","image":"nginx","memory":512,"dockerLabels":{"${key}":"x"}}]}`, `raw key ${key}`),
  ])();
};

const overridesCase = (random: Random): HostileCase => {
  const command = Array.from({ length: random.int(20, 60) }, () => 'x'.repeat(random.int(500, 1000)));
  const overrides = { containerOverrides: [{ name: 'web', command }] };
  return random.next() < 0.5
    ? rest('POST', `/v1/clusters/${FIXTURE.cluster}/tasks`, { taskDefinition: FIXTURE.family, launchType: 'FARGATE', overrides, networkConfiguration: NETWORK }, 'overrides over 8 KiB')
    : ecs('RunTask', { launchType: 'FARGATE', cluster: FIXTURE.cluster, taskDefinition: FIXTURE.family, overrides, networkConfiguration: NETWORK }, 'overrides over 8 KiB');
};

const simulationCase = (random: Random): HostileCase => {
  const setting = random.pick(['ECSBOX_EXIT_AFTER', 'ECSBOX_EXIT_CODE']);
  const value = random.pick(['1e15', '-1', 'NaN', 'Infinity', '9'.repeat(30), '1e309']);
  return registerWith(random, { memory: 512, environment: [{ name: setting, value }] }, {}, `${setting}=${value}`);
};

/** Pieces of the cluster query language, to build expressions near the valid ones. */
const QUERY_PIECES = ['attribute:ecs.instance-type', 'attribute:', 'ec2InstanceId', 'task:group', 'runningTasksCount', '==', '!=', '=~', '!~', 'in', '!in',
  'exists', '!exists', '>', '<=', '[', ']', ',', '(', ')', 'and', 'or', 'not', '!', '&&', '||', 't3.*', '*', '**', 'us-east-1a', '1', '2018-06-18', '__proto__', 'constructor'];

/**
 * An expression that cannot parse: random pieces and text (nested, long, exotic), always ending in
 * a dangling operator, so that whatever comes before it the parser refuses it.
 */
const badExpression = (random: Random) =>
  random.pick([
    () => `${Array.from({ length: random.int(0, 40) }, () => random.pick(QUERY_PIECES)).join(random.pick([' ', '']))} ==`,
    () => `${'('.repeat(random.int(30, 1500))}attribute:a exists${')'.repeat(random.int(0, 1500))}`,
    () => `attribute:${text(random, random.int(1, 30))} == ${'x'.repeat(random.int(1990, 5000))}`,
    () => `${text(random, random.int(1, 200))} ==`,
    () => `attribute:a =~ ${'*a'.repeat(random.int(50, 900))} ==`,
  ])();

const identityDocuments = (random: Random): unknown =>
  random.pick([
    () => text(random, random.int(0, 100)),
    () => JSON.stringify(nested(random, random.int(20, 2000))),
    () => JSON.stringify({ instanceId: random.pick(['i-1', 'i-' + 'f'.repeat(30), 12, null, '__proto__']), availabilityZone: 'us-east-1a', instanceType: 't3.micro' }),
    () => JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: random.pick(['', 'us-east-1', text(random, 20), 7]), instanceType: 't3.micro' }),
    () => JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: random.pick(['x9.mega', 't3.micro'.repeat(20), text(random, 10)]) }),
    () => random.pick(['null', '[]', '1e999', '"x"', '{"__proto__": {"instanceId": "i-0123456789abcdef0"}}']),
    () => 'x'.repeat(random.int(16_385, 40_000)),
  ])();

/** The container instance operations' inputs: filters, identity documents, attributes, launches; every one refused. */
const containerInstanceCase = (random: Random): HostileCase => {
  const cluster = FIXTURE.cluster;
  const instance = random.pick(['f'.repeat(32), `${ARN}:container-instance/${cluster}/${'0'.repeat(32)}`, text(random, random.int(1, 40))]);
  const attribute = () => ({
    name: random.pick(['stack', text(random, random.int(0, 200)), 'a'.repeat(129), '__proto__', 'ecs.instance-type']),
    value: random.pick([undefined, 'v', ` lead`, 'x'.repeat(129), text(random, 20), 12]),
    targetId: random.pick([instance, undefined, 'f'.repeat(32)]),
    ...(random.next() < 0.2 ? { targetType: random.pick(['cluster', 'container-instance', '']) } : {}),
  });
  return random.pick([
    () => ecs('ListContainerInstances', { cluster, filter: badExpression(random) }, 'filter'),
    () => ecs('ListContainerInstances', { cluster, status: random.pick(['INACTIVE', 'active', '', 'DRAINING '])}, 'status'),
    () => rest('POST', `/v1/clusters/${cluster}/container-instances`, { instanceType: random.pick(['x9.mega', '', 'T3.MICRO', 3]), count: random.pick([1, 0, -1, 21, 1e20, 1.5, '2']) }, 'launch'),
    () => rest('POST', `/v1/clusters/${cluster}/container-instances`, { instanceType: 't3.micro', availabilityZones: random.pick([[], ['us-east-1'], [text(random, 12)], Array(7).fill('us-east-1a')]) }, 'zones'),
    () => ecs('RegisterContainerInstance', { cluster, instanceIdentityDocument: identityDocuments(random) }, 'identity document'),
    () => ecs('RegisterContainerInstance', { cluster, instanceIdentityDocument: JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 'x1.huge' }), totalResources: random.pick([[], [{ name: 'CPU', integerValue: -1 }], [{ name: 'CPU', integerValue: 1024 }], [{ name: 'CPU', integerValue: 1024 }, { name: 'MEMORY', integerValue: 1e12 }], [{ name: 'PORTS', stringSetValue: ['99999'] }]]) }, 'resources'),
    () => ecs('PutAttributes', { cluster, attributes: Array.from({ length: random.int(0, 12) }, attribute) }, 'attributes'),
    () => ecs('DeleteAttributes', { cluster, attributes: Array.from({ length: random.int(0, 12) }, attribute) }, 'attributes'),
    () => ecs('ListAttributes', { cluster, targetType: random.pick(['container-instance', 'cluster']), attributeValue: 'v', ...(random.next() < 0.3 ? { attributeName: text(random, 200) } : {}) }, 'attribute value without name'),
    () => ecs('UpdateContainerInstancesState', { cluster, containerInstances: random.pick([[], Array(11).fill(instance), [instance]]), status: random.pick(['INACTIVE', 'REGISTERING', 'drain']) }, 'state'),
    () => ecs('DeregisterContainerInstance', { cluster, containerInstance: instance, force: random.pick([true, 'yes']) }, 'deregister'),
    () => ecs('DescribeContainerInstances', { cluster, containerInstances: random.pick([[], Array(101).fill(instance), [text(random, 300)]]), include: random.pick([undefined, ['TAGS'], ['HEALTH']]) }, 'describe'),
  ])();
};

/**
 * Capacity provider operations and their REST routes with one certain defect each (a reserved or
 * malformed name, an out-of-range or misordered setting, an unknown provider, a strategy breaking
 * a rule): every one refused before anything is written.
 */
const capacityProviderCase = (random: Random): HostileCase => {
  const cluster = FIXTURE.cluster;
  const missing = random.pick(['no-such-provider', `${ARN}:capacity-provider/no-such`, text(random, random.int(1, 40)).replace(/^(aws|ecs|fargate)/i, 'p')]);
  const badName = random.pick(['aws-cp', 'ECS1', 'fargate_more', 'FARGATE', '', 'a'.repeat(256), text(random, random.int(1, 30)) + ' ', '__proto__ x', 7]);
  const badScaling = random.pick<Record<string, unknown>>([
    { status: 'ENABLED', targetCapacity: random.pick([0, 101, -5, 1.5, '50', 1e20, null]) },
    { status: random.pick(['on', 'enabled', '', 1]) },
    { status: 'ENABLED', minimumScalingStepSize: random.int(6, 10_000), maximumScalingStepSize: random.int(1, 5) },
    { status: 'ENABLED', minimumScalingStepSize: random.pick([0, 10_001, -1, '1']) },
    { status: 'ENABLED', instanceWarmupPeriod: random.pick([-1, 10_001, 1.5, '300']) },
    { status: 'ENABLED', [text(random, random.int(1, 12)) + '_x']: 1 },
  ]);
  const badProvider = random.pick<Record<string, unknown>>([
    { autoScalingGroupArn: random.pick(['', 'arn:aws:autoscaling:us-east-1:1:autoScalingGroup', 'a b', 'x'.repeat(1601), 'arn:aws:ec2:us-east-1:000000000000:instance/i-1', 12]) },
    { autoScalingGroupArn: 'asg-hostile', managedScaling: badScaling },
    { autoScalingGroupArn: 'asg-hostile', managedScaling: { status: 'DISABLED' }, managedTerminationProtection: 'ENABLED' },
    { autoScalingGroupArn: 'asg-hostile', managedTerminationProtection: random.pick(['on', '', 1]) },
    { managedScaling: { status: 'ENABLED' } },
  ]);
  const badStrategy = random.pick<unknown[]>([
    [{ capacityProvider: 'FARGATE', weight: random.pick([-1, 1001, 1.5, '1']) }],
    [{ capacityProvider: 'FARGATE', base: random.pick([-1, 100_001, '1']) }],
    [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 2 }],
    [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'FARGATE' }],
    [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'FARGATE_SPOT' }],
    [{ capacityProvider: missing, weight: 1 }],
    Array(21).fill({ capacityProvider: 'FARGATE' }),
  ]);
  return random.pick([
    () => ecs('CreateCapacityProvider', { name: badName, autoScalingGroupProvider: { autoScalingGroupArn: 'asg-hostile' } }, 'name'),
    () => ecs('CreateCapacityProvider', { name: 'hostile-cp', autoScalingGroupProvider: badProvider }, 'autoScalingGroupProvider'),
    () => ecs('UpdateCapacityProvider', { name: random.pick([missing, 'FARGATE_SPOT']), autoScalingGroupProvider: random.pick([{}, { managedScaling: { status: 'ENABLED' } }]) }, 'unknown provider'),
    () => ecs('UpdateCapacityProvider', { name: 'hostile-cp', autoScalingGroupProvider: { managedScaling: badScaling } }, 'managedScaling'),
    () => ecs('DeleteCapacityProvider', { capacityProvider: random.pick([missing, 'FARGATE', 12, '']) }, 'delete'),
    () => ecs('DescribeCapacityProviders', random.pick<Record<string, unknown>>([
      { maxResults: random.pick([0, 11, -1, '5', 1.5]) },
      { nextToken: random.pick([text(random, random.int(1, 100)), 'x'.repeat(513)]) },
      { include: [random.pick(['TAG', 'tags', ''])] },
      { capacityProviders: Array(101).fill('FARGATE') },
      { capacityProviders: ['FARGATE'], maxResults: 1 },
    ]), 'describe'),
    () => ecs('PutClusterCapacityProviders', { cluster, capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: badStrategy }, 'strategy'),
    () => ecs('PutClusterCapacityProviders', { cluster, capacityProviders: random.pick([[missing], ['FARGATE', 'FARGATE'], Array(21).fill('FARGATE')]), defaultCapacityProviderStrategy: [] }, 'providers'),
    () => ecs('PutClusterCapacityProviders', { cluster, capacityProviders: ['FARGATE'] }, 'no strategy'),
    () => ecs('CreateCluster', { clusterName: `hostile-cp-${random.int(0, 9)}`, capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: badStrategy }, 'cluster strategy'),
    () => ecs('CreateCluster', { clusterName: `hostile-cp-${random.int(0, 9)}`, capacityProviders: [missing] }, 'cluster providers'),
    () => rest('PUT', `/v1/capacity-providers/${encodeURIComponent(missing)}/auto-scaling-group`, { maxSize: random.int(0, 100) }, 'unknown group'),
    () => rest('PUT', `/v1/capacity-providers/FARGATE/auto-scaling-group`, { instanceType: random.pick(['x9.mega', 't3.medium']), minSize: random.pick([-1, 101, 3]), maxSize: random.pick([2, 1e9]) }, 'group sizes'),
    () => rest('GET', `/v1/capacity-providers/${encodeURIComponent(missing)}`, undefined, 'unknown provider'),
    () => rest('POST', `/v1/clusters/${cluster}/spot-interruptions`, random.pick<unknown>([
      { count: random.pick([0, 101, -1, '1', 1.5]) },
      { tasks: random.pick([[], ['f'.repeat(32)], [text(random, 50)], Array(101).fill('f'.repeat(32))]) },
      { count: 1, tasks: ['f'.repeat(32)] },
      { everything: true },
    ]), 'spot interruptions'),
  ])();
};

export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

/**
 * StartTask and RunTask on container instances: bad instance references, strategies, constraints,
 * launch types and network members. The fixture cluster has no instance, so a request that gets
 * past validation can only answer failures: never a task, never a 5xx.
 */
const ec2TaskCase = (random: Random): HostileCase => {
  const cluster = FIXTURE.cluster;
  const instance = () =>
    random.pick([
      'f'.repeat(32),
      `${ARN}:container-instance/${cluster}/${'0'.repeat(32)}`,
      `arn:aws:ecs:eu-west-1:111111111111:container-instance/${cluster}/${'a'.repeat(32)}`,
      text(random, random.int(1, 40)),
      'x'.repeat(random.int(2049, 5000)),
      '__proto__',
      '',
    ]);
  const strategy = () =>
    random.pick([
      { type: random.pick(['binpack', 'spread', 'random', 'BINPACK', 'pack', '']), field: random.pick([undefined, 'cpu', 'memory', 'disk', '', 'instanceId', text(random, 300)]) },
      { type: 'spread' },
      { type: 'binpack', field: 12 },
      { type: 'random', field: 'cpu', extra: true },
    ]);
  const constraint = () =>
    random.pick([
      { type: 'memberOf' },
      { type: 'memberOf', expression: badExpression(random) },
      { type: 'distinctInstance', expression: 'attribute:a exists' },
      { type: random.pick(['member', 'DISTINCT', '']) },
      { type: 'memberOf', expression: 'x'.repeat(random.int(2001, 4000)) },
    ]);
  const list = <T>(make: () => T, max: number) => Array.from({ length: random.int(1, max) }, make);
  return random.pick([
    () => ecs('StartTask', { cluster, taskDefinition: FIXTURE.family, containerInstances: random.pick([[], list(instance, 12)]), networkConfiguration: NETWORK }, 'containerInstances'),
    () => ecs('StartTask', { cluster, taskDefinition: random.pick([text(random, 40), `${FIXTURE.family}:99`, '']), containerInstances: [instance()] }, 'taskDefinition'),
    () => ecs('StartTask', { cluster, taskDefinition: FIXTURE.family, containerInstances: [instance()], group: random.pick(['', 'g'.repeat(256)]), startedBy: random.pick(['', 's'.repeat(37)]) }, 'group and startedBy'),
    () => ecs('StartTask', { cluster, taskDefinition: FIXTURE.family, containerInstances: [instance()] }, 'awsvpc without a network'),
    () => ecs('StartTask', { cluster, taskDefinition: FIXTURE.family, containerInstances: [instance()], placementStrategy: [strategy()] }, 'unknown member'),
    () => ecs('RunTask', { cluster, taskDefinition: FIXTURE.family, launchType: 'EC2', networkConfiguration: NETWORK, placementStrategy: list(strategy, 7) }, 'placementStrategy'),
    () => ecs('RunTask', { cluster, taskDefinition: FIXTURE.family, networkConfiguration: NETWORK, placementConstraints: list(constraint, 12) }, 'placementConstraints'),
    () => ecs('RunTask', { cluster, taskDefinition: FIXTURE.family, networkConfiguration: NETWORK, launchType: random.pick(['EXTERNAL', 'ec2', 'MANAGED_INSTANCES', '', 3]) }, 'launchType'),
    () => ecs('RunTask', { cluster, taskDefinition: FIXTURE.family, launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }], networkConfiguration: NETWORK }, 'launchType with a strategy'),
    () => rest('POST', `/v1/clusters/${cluster}/tasks`, { taskDefinition: FIXTURE.family, launchType: 'EC2', placementStrategy: list(strategy, 7), placementConstraints: list(constraint, 12), networkConfiguration: NETWORK }, 'placement'),
    () => ecs('ListTasks', { cluster, containerInstance: random.pick(['x'.repeat(random.int(2049, 5000)), 'f'.repeat(32)]), launchType: random.pick(['ec2', 'MARS', '', 3]) }, 'filters'),
  ])();
};

/**
 * CreateService on container instances: placement lists over ECS's limits or with members no
 * strategy or constraint takes, and the DAEMON scheduling strategy against ECS's rules. Every case
 * is refused before anything is stored, on both faces.
 */
const ec2ServiceCase = (random: Random): HostileCase => {
  const badStrategy = () =>
    random.pick([
      { type: random.pick(['BINPACK', 'pack', '', 'spread ', 3]), field: 'cpu' },
      { type: 'binpack', field: random.pick(['disk', '', 'instanceId', text(random, 300), undefined]) },
      { type: 'spread', field: random.pick([undefined, '']) },
      { type: 'random', extra: true },
    ]);
  const badConstraint = () =>
    random.pick([
      { type: 'memberOf' },
      { type: 'memberOf', expression: badExpression(random) },
      { type: 'distinctInstance', expression: 'attribute:a exists' },
      { type: random.pick(['member', 'DISTINCT', '']) },
    ]);
  const ok = { type: 'distinctInstance' };
  const base = { serviceName: `hostile-${text(random, 8, 'abcdefghij')}`, taskDefinition: FIXTURE.family };
  const input = random.pick([
    () => ({ ...base, launchType: 'EC2', desiredCount: 1, placementStrategy: Array.from({ length: random.int(6, 9) }, () => ({ type: 'random' })) }),
    () => ({ ...base, launchType: 'EC2', desiredCount: 1, placementStrategy: [{ type: 'random' }, badStrategy()] }),
    () => ({ ...base, launchType: 'EC2', desiredCount: 1, placementConstraints: [ok, badConstraint()] }),
    () => ({ ...base, launchType: 'EC2', desiredCount: 1, placementConstraints: Array.from({ length: random.int(11, 14) }, () => ok) }),
    () => ({ ...base, schedulingStrategy: 'DAEMON', desiredCount: random.int(0, 5) }),
    () => ({ ...base, schedulingStrategy: 'DAEMON', launchType: 'FARGATE' }),
    () => ({ ...base, schedulingStrategy: 'DAEMON', placementStrategy: [{ type: 'random' }] }),
    () => ({ ...base, launchType: 'FARGATE', desiredCount: 1, placementConstraints: [ok] }),
    () => ({ ...base, desiredCount: 1, schedulingStrategy: random.pick(['daemon', 'REPLICAS', '', 3]) }),
    () => ({ ...base, desiredCount: 1, launchType: random.pick(['EXTERNAL', 'ec2', 'MANAGED_INSTANCES', '']) }),
  ])();
  return random.int(0, 1) === 0
    ? ecs('CreateService', { cluster: FIXTURE.cluster, networkConfiguration: NETWORK, ...input }, 'create service')
    : rest('POST', `/v1/clusters/${FIXTURE.cluster}/services`, { networkConfiguration: NETWORK, ...input }, 'create service');
};

export const generators: Record<HostileClass, (random: Random, tokens: { taskDefinitions: string; families: string }) => HostileCase> = {
  'long identifiers': longIdentifierCase,
  'page tokens': tokenCase,
  'deep nesting': deepCase,
  'media types and body shapes': mediaCase,
  'foreign ARNs': foreignCase,
  'framework errors': frameworkCase,
  'task-definition free-form members': freeFormCase,
  numbers: numberCase,
  'map keys': mapKeyCase,
  'run-task overrides': overridesCase,
  'simulation settings': simulationCase,
  'container instances': containerInstanceCase,
  'ec2 tasks': ec2TaskCase,
  'ec2 services': ec2ServiceCase,
  'capacity providers': capacityProviderCase,
};
