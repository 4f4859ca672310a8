import * as sdk from '@aws-sdk/client-ecs';
import { operations } from '../../lib/protocols/ecs/operations';
import { routes } from '../../lib/http/routes';
import { DELETE_FAILURE } from '../../lib/usecases/task-definitions';
import { identityDocument } from '../support/ec2';
import { fargateTaskDefinition } from '../support/fixtures';
import { startHostedStack, type AccessKey, type HostedStack, type Sandbox } from '../support/hosted';
import { eventually } from '../support/poll';
import { tableSnapshot } from '../support/table-snapshot';

/**
 * The isolation matrix (issue 11, OWASP API1): tenant B aims every REST route and every ECS
 * operation at tenant A's clusters, task definitions, services and tasks, by name, by ARN, in
 * mixed batches and with A's page tokens. The matrix is generated from the route registry and the
 * operation table: an entry without a recipe here fails the test. Every attempt must see "not
 * found" and leave A's items exactly as they were; the same calls made as A must then find A's
 * items, so that the matrix cannot pass by finding nothing for anyone.
 */
const TABLE = 'ecsbox-isolation-e2e';
const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

/** A's resources (the targets), B's own (for mixed batches), and A's page tokens. */
interface World {
  a: Sandbox;
  b: Sandbox;
  clusterArn: string;
  definitionArn: string;
  serviceArn: string;
  serviceTaskArn: string;
  taskArn: string;
  taskId: string;
  tokens: { clusters: string; definitions: string; families: string; services: string; tasks: string };
  containerInstanceArn: string;
  /** A's capacity provider "iso-cp" (attached to no cluster: the capacity controller leaves it alone). */
  capacityProviderArn: string;
  own: { clusterArn: string; serviceArn: string; taskArn: string };
}

type Request =
  | { face: 'ecs'; operation: string; input: Record<string, unknown> }
  | { face: 'rest'; route: keyof typeof routes; params?: Record<string, string>; query?: Record<string, string>; body?: unknown };

type Outcome = { ok: true; body: any } | { ok: false; name: string; message: string };

/**
 * What B must see: not found (an error naming a missing resource), a list without A's items, a
 * batch whose A entries are MISSING failures, A's page token refused, or a resource of B's own.
 */
type Expectation = 'notFound' | 'noneOfA' | 'missing' | 'tokenRefused' | 'ownCopy';

interface Case {
  label: string;
  expect: Expectation;
  request: (world: World) => Request;
  /** The same call made as A, when B's names B's own resources too (undefined: the same request). */
  asA?: (world: World) => Request;
  /** Writes when A makes it: A's calls run in rank order after the reads (deletes last). */
  rank?: number;
  /** Creates a same-named resource of B's, which would shadow A's names: run after the others. */
  last?: boolean;
  /** What shows A's items in a list whose entries name no account (default: A's account id). */
  markOfA?: string;
}

const NOT_FOUND_NAMES = new Set([
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'TaskNotFoundException',
  'TaskDefinitionNotFoundException',
  'ResourceNotFoundException',
  'TargetNotFoundException',
]);
const MISSING_REASONS = new Set(['MISSING', DELETE_FAILURE.missing]);

const isNotFound = (outcome: Outcome) =>
  !outcome.ok &&
  (NOT_FOUND_NAMES.has(outcome.name) ||
    (['ClientException', 'InvalidParameterException'].includes(outcome.name) &&
      /not found|does not exist|Unable to describe task definition/i.test(outcome.message)));

/** The answer without its failures (which echo the references asked for). */
const found = (body: any) => JSON.stringify({ ...body, failures: undefined });
const failuresOf = (body: any): Array<{ arn?: string; reason: string }> => body.failures ?? [];

const blocked = ({ expect: expectation, markOfA }: Case, outcome: Outcome, world: World): boolean => {
  if (expectation === 'notFound') return isNotFound(outcome);
  if (expectation === 'tokenRefused') return !outcome.ok && outcome.name === 'InvalidParameterException';
  if (!outcome.ok) return false;
  const leaks = found(outcome.body).includes(markOfA ?? world.a.accountId);
  if (expectation === 'noneOfA') return !leaks;
  if (expectation === 'ownCopy') return !leaks && found(outcome.body).includes(world.b.accountId);
  const failures = failuresOf(outcome.body);
  return !leaks && failures.length > 0 && failures.every((failure) => MISSING_REASONS.has(failure.reason));
};

/** A's own call resolves A's items: a list or batch shows them, a lookup is not "not found". */
const allowed = ({ expect: expectation, markOfA }: Case, outcome: Outcome, world: World): boolean => {
  if (expectation === 'notFound') return !isNotFound(outcome);
  if (!outcome.ok) return false;
  if (expectation === 'missing') {
    // Only B's references (named by B's ARN) may be missing for A.
    const missesOwn = failuresOf(outcome.body).some((failure) => MISSING_REASONS.has(failure.reason) && !failure.arn?.includes(world.b.accountId));
    return !missesOwn && (found(outcome.body).includes(world.a.accountId) || failuresOf(outcome.body).length > 0);
  }
  return expectation === 'tokenRefused' || found(outcome.body).includes(markOfA ?? world.a.accountId);
};

// --- recipes: one per operation and per route ---------------------------------------------------

const ecsCall = (operation: string, input: Record<string, unknown>): Request => ({ face: 'ecs', operation, input });
const restCall = (route: keyof typeof routes, parts: Omit<Extract<Request, { face: 'rest' }>, 'face' | 'route'>): Request => ({ face: 'rest', route, ...parts });
const ecs = (operation: string, input: (world: World) => Record<string, unknown>) => (world: World) => ecsCall(operation, input(world));
const rest = (route: keyof typeof routes, parts: (world: World) => Parameters<typeof restCall>[1]) => (world: World) => restCall(route, parts(world));

/** A's cluster by name and by ARN. */
const clusterRefs = (world: World) => [
  ['name', 'iso'],
  ['ARN', world.clusterArn],
] as const;
const each = <T,>(labels: string[], build: (index: number) => T) => labels.map((_, index) => build(index));

/** The four kinds of A's resource that take tags, by ARN. */
const taggable = ['cluster', 'task definition', 'service', 'task'] as const;
const taggableArn = (world: World, kind: (typeof taggable)[number]) =>
  ({ cluster: world.clusterArn, 'task definition': world.definitionArn, service: world.serviceArn, task: world.taskArn })[kind];

/** One case per way of naming A's cluster. */
const byCluster = (label: string, expectation: Expectation, build: (cluster: string, world: World) => Request, rank?: number): Case[] =>
  ['name', 'ARN'].map((how, index) => ({
    label: `${label} (cluster by ${how})`,
    expect: expectation,
    request: (world) => build(clusterRefs(world)[index][1], world),
    rank,
  }));

/** A case in B's own cluster; A makes the same call in A's cluster. */
const inOwnCluster = (label: string, expectation: Expectation, build: (cluster: string, world: World) => Request, rank?: number): Case => ({
  label,
  expect: expectation,
  request: (world) => build(world.own.clusterArn, world),
  asA: (world) => build(world.clusterArn, world),
  rank,
});

const ecsRecipes: Record<string, Case[]> = {
  CreateCluster: [{ label: "CreateCluster with A's cluster name makes B's own", expect: 'ownCopy', request: ecs('CreateCluster', () => ({ clusterName: 'iso' })), last: true, rank: 1 }],
  DescribeClusters: [
    {
      label: "DescribeClusters mixing B's cluster with A's by name and ARN",
      expect: 'missing',
      request: ecs('DescribeClusters', (world) => ({ clusters: [world.own.clusterArn, 'iso', world.clusterArn] })),
    },
  ],
  ListClusters: [
    { label: 'ListClusters', expect: 'noneOfA', request: ecs('ListClusters', () => ({})) },
    { label: "ListClusters with A's nextToken", expect: 'tokenRefused', request: ecs('ListClusters', (world) => ({ maxResults: 1, nextToken: world.tokens.clusters })) },
  ],
  DeleteCluster: byCluster('DeleteCluster', 'notFound', (cluster) => ecsCall('DeleteCluster', { cluster }), 5),
  RegisterTaskDefinition: [
    { label: "RegisterTaskDefinition of A's family makes B's own", expect: 'ownCopy', request: ecs('RegisterTaskDefinition', () => fargateTaskDefinition('web')), last: true, rank: 1 },
  ],
  DescribeTaskDefinition: ['web', 'web:1', 'ARN'].map((how) => ({
    label: `DescribeTaskDefinition by ${how}`,
    expect: 'notFound' as const,
    request: ecs('DescribeTaskDefinition', (world) => ({ taskDefinition: how === 'ARN' ? world.definitionArn : how, include: ['TAGS'] })),
  })),
  ListTaskDefinitions: [
    { label: 'ListTaskDefinitions', expect: 'noneOfA', request: ecs('ListTaskDefinitions', () => ({})) },
    { label: "ListTaskDefinitions of A's family", expect: 'noneOfA', request: ecs('ListTaskDefinitions', () => ({ familyPrefix: 'web' })) },
    { label: "ListTaskDefinitions with A's nextToken", expect: 'tokenRefused', request: ecs('ListTaskDefinitions', (world) => ({ maxResults: 1, nextToken: world.tokens.definitions })) },
  ],
  ListTaskDefinitionFamilies: [
    // Families are bare names: web-2 is A's alone (B registers a "web" of its own at the end).
    { label: 'ListTaskDefinitionFamilies', expect: 'noneOfA', request: ecs('ListTaskDefinitionFamilies', () => ({})), markOfA: '"web-2"' },
    {
      label: "ListTaskDefinitionFamilies with A's nextToken",
      expect: 'tokenRefused',
      request: ecs('ListTaskDefinitionFamilies', (world) => ({ maxResults: 1, nextToken: world.tokens.families })),
    },
  ],
  DeregisterTaskDefinition: ['web:1', 'ARN'].map((how) => ({
    label: `DeregisterTaskDefinition by ${how}`,
    expect: 'notFound' as const,
    request: ecs('DeregisterTaskDefinition', (world) => ({ taskDefinition: how === 'ARN' ? world.definitionArn : how })),
    rank: 3,
  })),
  DeleteTaskDefinitions: [
    {
      label: "DeleteTaskDefinitions of A's revision by ARN and family:revision",
      expect: 'missing',
      request: ecs('DeleteTaskDefinitions', (world) => ({ taskDefinitions: [world.definitionArn, 'web:2'] })),
      rank: 4,
    },
  ],
  CreateService: [
    ...byCluster('CreateService in A\'s cluster', 'notFound', (cluster, world) =>
      ecsCall('CreateService', { launchType: 'FARGATE', cluster, serviceName: 'intruder', taskDefinition: world.definitionArn, desiredCount: 0, networkConfiguration: network }), 1),
    inOwnCluster("CreateService in B's cluster from A's task definition", 'notFound', (cluster, world) =>
      ecsCall('CreateService', { launchType: 'FARGATE', cluster, serviceName: 'borrowed', taskDefinition: world.definitionArn, desiredCount: 0, networkConfiguration: network }), 1),
  ],
  UpdateService: [
    ...byCluster('UpdateService by name', 'notFound', (cluster) => ecsCall('UpdateService', { cluster, service: 'svc', desiredCount: 2 }), 1),
    ...byCluster('UpdateService by ARN', 'notFound', (cluster, world) => ecsCall('UpdateService', { cluster, service: world.serviceArn, desiredCount: 2 }), 1),
  ],
  DescribeServices: [
    inOwnCluster("DescribeServices in B's cluster mixing B's and A's service ARNs", 'missing', (cluster, world) =>
      ecsCall('DescribeServices', { cluster, services: [world.own.serviceArn, world.serviceArn], include: ['TAGS'] })),
    ...byCluster('DescribeServices', 'notFound', (cluster, world) => ecsCall('DescribeServices', { cluster, services: ['svc', world.serviceArn] })),
  ],
  ListServices: [
    ...byCluster('ListServices', 'notFound', (cluster) => ecsCall('ListServices', { cluster })),
    inOwnCluster("ListServices with A's nextToken", 'tokenRefused', (cluster, world) =>
      ecsCall('ListServices', { cluster, maxResults: 1, nextToken: world.tokens.services })),
  ],
  DeleteService: [
    ...byCluster('DeleteService by name', 'notFound', (cluster) => ecsCall('DeleteService', { cluster, service: 'svc', force: true }), 6),
    ...byCluster('DeleteService by ARN', 'notFound', (cluster, world) => ecsCall('DeleteService', { cluster, service: world.serviceArn, force: true }), 6),
  ],
  RunTask: [
    ...byCluster("RunTask in A's cluster", 'notFound', (cluster, world) =>
      ecsCall('RunTask', { launchType: 'FARGATE', cluster, taskDefinition: world.definitionArn, networkConfiguration: network }), 1),
    inOwnCluster("RunTask in B's cluster from A's task definition", 'notFound', (cluster, world) =>
      ecsCall('RunTask', { launchType: 'FARGATE', cluster, taskDefinition: world.definitionArn, networkConfiguration: network }), 1),
  ],
  StopTask: [
    ...byCluster('StopTask by id', 'notFound', (cluster, world) => ecsCall('StopTask', { cluster, task: world.taskId, reason: 'intruder' }), 2),
    ...byCluster('StopTask by ARN', 'notFound', (cluster, world) => ecsCall('StopTask', { cluster, task: world.taskArn, reason: 'intruder' }), 2),
  ],
  DescribeTasks: [
    inOwnCluster("DescribeTasks in B's cluster mixing B's and A's task ARNs", 'missing', (cluster, world) =>
      ecsCall('DescribeTasks', { cluster, tasks: [world.own.taskArn, world.taskArn, world.serviceTaskArn], include: ['TAGS'] })),
    ...byCluster('DescribeTasks', 'notFound', (cluster, world) => ecsCall('DescribeTasks', { cluster, tasks: [world.taskId, world.serviceTaskArn] })),
  ],
  ListTasks: [
    ...byCluster('ListTasks', 'notFound', (cluster) => ecsCall('ListTasks', { cluster })),
    ...byCluster("ListTasks of A's service", 'notFound', (cluster) => ecsCall('ListTasks', { cluster, serviceName: 'svc' })),
    inOwnCluster("ListTasks with A's nextToken", 'tokenRefused', (cluster, world) =>
      ecsCall('ListTasks', { cluster, maxResults: 1, nextToken: world.tokens.tasks })),
  ],
  TagResource: taggable.map((kind) => ({
    label: `TagResource on A's ${kind}`,
    expect: 'notFound' as const,
    request: ecs('TagResource', (world) => ({ resourceArn: taggableArn(world, kind), tags: [{ key: 'intruder', value: 'b' }] })),
    rank: 1,
  })),
  UntagResource: taggable.map((kind) => ({
    label: `UntagResource on A's ${kind}`,
    expect: 'notFound' as const,
    request: ecs('UntagResource', (world) => ({ resourceArn: taggableArn(world, kind), tagKeys: ['owner'] })),
    rank: 1,
  })),
  ListTagsForResource: taggable.map((kind) => ({
    label: `ListTagsForResource on A's ${kind}`,
    expect: 'notFound' as const,
    request: ecs('ListTagsForResource', (world) => ({ resourceArn: taggableArn(world, kind) })),
  })),
  StartTask: byCluster("StartTask on A's instance in A's cluster", 'notFound', (cluster, world) =>
    ecsCall('StartTask', { cluster, taskDefinition: world.definitionArn, containerInstances: [world.containerInstanceArn], networkConfiguration: network }), 1),
  RegisterContainerInstance: byCluster("RegisterContainerInstance into A's cluster", 'notFound', (cluster) =>
    ecsCall('RegisterContainerInstance', { cluster, instanceIdentityDocument: identityDocument('i-0b0b0b0b0b0b0b0b0', 't3.micro', 'us-east-1a') }), 1),
  // Once only (cluster by ARN): A's mirrored call deregisters the instance, and a second would not find it.
  DeregisterContainerInstance: [
    {
      label: "DeregisterContainerInstance of A's instance (cluster by ARN)",
      expect: 'notFound',
      request: ecs('DeregisterContainerInstance', (world) => ({ cluster: world.clusterArn, containerInstance: world.containerInstanceArn, force: true })),
      rank: 5,
    },
  ],
  DescribeContainerInstances: [
    inOwnCluster("DescribeContainerInstances in B's cluster naming A's instance", 'missing', (cluster, world) =>
      ecsCall('DescribeContainerInstances', { cluster, containerInstances: [world.containerInstanceArn] })),
    ...byCluster('DescribeContainerInstances', 'notFound', (cluster, world) => ecsCall('DescribeContainerInstances', { cluster, containerInstances: [world.containerInstanceArn] })),
  ],
  ListContainerInstances: byCluster('ListContainerInstances', 'notFound', (cluster) => ecsCall('ListContainerInstances', { cluster })),
  UpdateContainerInstancesState: byCluster("UpdateContainerInstancesState of A's instance", 'notFound', (cluster, world) =>
    ecsCall('UpdateContainerInstancesState', { cluster, containerInstances: [world.containerInstanceArn], status: 'DRAINING' }), 2),
  PutAttributes: byCluster("PutAttributes on A's instance", 'notFound', (cluster, world) =>
    ecsCall('PutAttributes', { cluster, attributes: [{ name: 'intruder', value: 'b', targetType: 'container-instance', targetId: world.containerInstanceArn }] }), 1),
  DeleteAttributes: byCluster("DeleteAttributes on A's instance", 'notFound', (cluster, world) =>
    ecsCall('DeleteAttributes', { cluster, attributes: [{ name: 'stack', targetType: 'container-instance', targetId: world.containerInstanceArn }] }), 1),
  ListAttributes: byCluster('ListAttributes', 'notFound', (cluster) => ecsCall('ListAttributes', { cluster, targetType: 'container-instance' })),
  CreateCapacityProvider: [
    {
      label: "CreateCapacityProvider with A's provider name and group makes B's own",
      expect: 'ownCopy',
      request: ecs('CreateCapacityProvider', () => ({ name: 'iso-cp', autoScalingGroupProvider: { autoScalingGroupArn: 'iso-asg' } })),
      asA: ecs('CreateCapacityProvider', () => ({ name: 'iso-cp-2', autoScalingGroupProvider: { autoScalingGroupArn: 'iso-asg-2' } })),
      last: true,
      rank: 1,
    },
  ],
  DescribeCapacityProviders: [
    { label: 'DescribeCapacityProviders', expect: 'noneOfA', request: ecs('DescribeCapacityProviders', () => ({ include: ['TAGS'] })) },
    {
      label: "DescribeCapacityProviders naming A's provider by name and ARN",
      expect: 'missing',
      request: ecs('DescribeCapacityProviders', (world) => ({ capacityProviders: ['iso-cp', world.capacityProviderArn] })),
    },
  ],
  UpdateCapacityProvider: ['name', 'ARN'].map((how) => ({
    label: `UpdateCapacityProvider of A's provider by ${how}`,
    expect: 'notFound' as const,
    request: ecs('UpdateCapacityProvider', (world) => ({
      name: how === 'ARN' ? world.capacityProviderArn : 'iso-cp',
      autoScalingGroupProvider: { managedScaling: { status: 'ENABLED', targetCapacity: 50 } },
    })),
    rank: 1,
  })),
  // Once only: A's mirrored call is refused while the provider is attached to A's iso-2 (rank 1).
  DeleteCapacityProvider: [
    { label: "DeleteCapacityProvider of A's provider", expect: 'notFound', request: ecs('DeleteCapacityProvider', (world) => ({ capacityProvider: world.capacityProviderArn })), rank: 5 },
  ],
  PutClusterCapacityProviders: [
    ...byCluster("PutClusterCapacityProviders on A's cluster", 'notFound', (cluster) =>
      ecsCall('PutClusterCapacityProviders', { cluster, capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] }), 1),
    {
      label: "PutClusterCapacityProviders attaching A's provider to B's cluster",
      expect: 'notFound',
      request: ecs('PutClusterCapacityProviders', (world) => ({ cluster: world.own.clusterArn, capacityProviders: ['iso-cp'], defaultCapacityProviderStrategy: [] })),
      asA: ecs('PutClusterCapacityProviders', () => ({ cluster: 'iso-2', capacityProviders: ['iso-cp'], defaultCapacityProviderStrategy: [] })),
      rank: 1,
    },
  ],
};

const restRecipes: Record<keyof typeof routes, Case[]> = {
  createCluster: [{ label: "POST /v1/clusters with A's cluster name makes B's own", expect: 'ownCopy', request: rest('createCluster', () => ({ body: { clusterName: 'iso' } })), last: true, rank: 1 }],
  listClusters: [
    { label: 'GET /v1/clusters', expect: 'noneOfA', request: rest('listClusters', () => ({})) },
    { label: "GET /v1/clusters with A's nextToken", expect: 'tokenRefused', request: rest('listClusters', (world) => ({ query: { maxResults: '1', nextToken: world.tokens.clusters } })) },
  ],
  describeCluster: byCluster('GET /v1/clusters/{cluster}', 'notFound', (cluster) => restCall('describeCluster', { params: { cluster } })),
  deleteCluster: byCluster('DELETE /v1/clusters/{cluster}', 'notFound', (cluster) => restCall('deleteCluster', { params: { cluster } }), 5),
  registerTaskDefinition: [
    { label: "POST /v1/task-definitions of A's family makes B's own", expect: 'ownCopy', request: rest('registerTaskDefinition', () => ({ body: fargateTaskDefinition('web') })), last: true, rank: 1 },
  ],
  describeTaskDefinition: ['web', 'web:1', 'ARN'].map((how) => ({
    label: `GET /v1/task-definitions/{taskDefinition} by ${how}`,
    expect: 'notFound' as const,
    request: rest('describeTaskDefinition', (world) => ({ params: { taskDefinition: how === 'ARN' ? world.definitionArn : how } })),
  })),
  listTaskDefinitions: [
    { label: 'GET /v1/task-definitions', expect: 'noneOfA', request: rest('listTaskDefinitions', () => ({ query: { familyPrefix: 'web' } })) },
    { label: "GET /v1/task-definitions with A's nextToken", expect: 'tokenRefused', request: rest('listTaskDefinitions', (world) => ({ query: { maxResults: '1', nextToken: world.tokens.definitions } })) },
  ],
  listTaskDefinitionFamilies: [
    { label: 'GET /v1/task-definition-families', expect: 'noneOfA', request: rest('listTaskDefinitionFamilies', () => ({})), markOfA: '"web-2"' },
    {
      label: "GET /v1/task-definition-families with A's nextToken",
      expect: 'tokenRefused',
      request: rest('listTaskDefinitionFamilies', (world) => ({ query: { maxResults: '1', nextToken: world.tokens.families } })),
    },
  ],
  deregisterTaskDefinition: ['web:1', 'ARN'].map((how) => ({
    label: `DELETE /v1/task-definitions/{taskDefinition} by ${how}`,
    expect: 'notFound' as const,
    request: rest('deregisterTaskDefinition', (world) => ({ params: { taskDefinition: how === 'ARN' ? world.definitionArn : how } })),
    rank: 3,
  })),
  createService: byCluster('POST /v1/clusters/{cluster}/services', 'notFound', (cluster, world) =>
    restCall('createService', { params: { cluster }, body: { serviceName: 'intruder-rest', taskDefinition: world.definitionArn, desiredCount: 0, launchType: 'FARGATE', networkConfiguration: network } }), 1),
  listServices: [
    ...byCluster('GET /v1/clusters/{cluster}/services', 'notFound', (cluster) => restCall('listServices', { params: { cluster } })),
    inOwnCluster("GET /v1/clusters/{cluster}/services with A's nextToken", 'tokenRefused', (cluster, world) =>
      restCall('listServices', { params: { cluster }, query: { maxResults: '1', nextToken: world.tokens.services } })),
  ],
  describeService: [
    ...byCluster('GET /v1/clusters/{cluster}/services/{service}', 'notFound', (cluster) => restCall('describeService', { params: { cluster, service: 'svc' } })),
    inOwnCluster("GET /v1/clusters/{cluster}/services/{service} of A's service ARN in B's cluster", 'notFound', (cluster, world) =>
      restCall('describeService', { params: { cluster, service: world.serviceArn } })),
  ],
  updateService: byCluster('PATCH /v1/clusters/{cluster}/services/{service}', 'notFound', (cluster) =>
    restCall('updateService', { params: { cluster, service: 'svc' }, body: { desiredCount: 2 } }), 1),
  deleteService: byCluster('DELETE /v1/clusters/{cluster}/services/{service}', 'notFound', (cluster) =>
    restCall('deleteService', { params: { cluster, service: 'svc' }, query: { force: 'true' } }), 6),
  runTask: [
    ...byCluster('POST /v1/clusters/{cluster}/tasks', 'notFound', (cluster, world) =>
      restCall('runTask', { params: { cluster }, body: { taskDefinition: world.definitionArn, networkConfiguration: network } }), 1),
    inOwnCluster("POST /v1/clusters/{cluster}/tasks in B's cluster from A's task definition", 'notFound', (cluster, world) =>
      restCall('runTask', { params: { cluster }, body: { taskDefinition: world.definitionArn, networkConfiguration: network } }), 1),
  ],
  listTasks: [
    ...byCluster('GET /v1/clusters/{cluster}/tasks', 'notFound', (cluster) => restCall('listTasks', { params: { cluster } })),
    inOwnCluster("GET /v1/clusters/{cluster}/tasks with A's nextToken", 'tokenRefused', (cluster, world) =>
      restCall('listTasks', { params: { cluster }, query: { maxResults: '1', nextToken: world.tokens.tasks } })),
  ],
  describeTask: [
    ...byCluster('GET /v1/clusters/{cluster}/tasks/{taskId}', 'notFound', (cluster, world) => restCall('describeTask', { params: { cluster, taskId: world.taskId } })),
    inOwnCluster("GET /v1/clusters/{cluster}/tasks/{taskId} of A's task in B's cluster", 'notFound', (cluster, world) =>
      restCall('describeTask', { params: { cluster, taskId: world.taskId } })),
  ],
  stopTask: byCluster('POST /v1/clusters/{cluster}/tasks/{taskId}/stop', 'notFound', (cluster, world) =>
    restCall('stopTask', { params: { cluster, taskId: world.taskId }, body: { reason: 'intruder' } }), 2),
  getUsage: [{ label: 'GET /v1/usage', expect: 'noneOfA', request: rest('getUsage', () => ({})) }],
  putServiceLoad: byCluster("PUT /v1/clusters/{cluster}/services/{service}/load of A's service", 'notFound', (cluster) =>
    restCall('putServiceLoad', { params: { cluster, service: 'svc' }, body: { cpuUtilization: 90 } }), 1),
  getServiceLoad: byCluster('GET /v1/clusters/{cluster}/services/{service}/load', 'notFound', (cluster) => restCall('getServiceLoad', { params: { cluster, service: 'svc' } })),
  getServiceMetrics: byCluster('GET /v1/clusters/{cluster}/services/{service}/metrics', 'notFound', (cluster) =>
    restCall('getServiceMetrics', { params: { cluster, service: 'svc' }, query: { minutes: '60' } })),
  getServiceScaling: byCluster('GET /v1/clusters/{cluster}/services/{service}/scaling', 'notFound', (cluster) =>
    restCall('getServiceScaling', { params: { cluster, service: 'svc' } })),
  launchContainerInstances: byCluster("POST /v1/clusters/{cluster}/container-instances into A's cluster", 'notFound', (cluster) =>
    restCall('launchContainerInstances', { params: { cluster }, body: { instanceType: 't3.micro', count: 1 } }), 1),
  getCapacityProvider: ['name', 'ARN'].map((how) => ({
    label: `GET /v1/capacity-providers/{capacityProvider} by ${how}`,
    expect: 'notFound' as const,
    request: rest('getCapacityProvider', (world) => ({ params: { capacityProvider: how === 'ARN' ? world.capacityProviderArn : 'iso-cp' } })),
  })),
  putAutoScalingGroup: [
    {
      label: "PUT /v1/capacity-providers/{capacityProvider}/auto-scaling-group of A's provider",
      expect: 'notFound',
      request: rest('putAutoScalingGroup', () => ({ params: { capacityProvider: 'iso-cp' }, body: { maxSize: 3 } })),
      rank: 1,
    },
  ],
  interruptSpotTasks: byCluster("POST /v1/clusters/{cluster}/spot-interruptions in A's cluster", 'notFound', (cluster) =>
    restCall('interruptSpotTasks', { params: { cluster }, body: { count: 1 } }), 2),
};

// --- running a request as a tenant ----------------------------------------------------------------

let hosted: HostedStack;
let world: World;
const clients = new Map<string, sdk.ECSClient>();

const clientOf = (key: AccessKey) => {
  let client = clients.get(key.accessKeyId);
  if (!client) clients.set(key.accessKeyId, (client = hosted.ecs(key)));
  return client;
};

const send = async (key: AccessKey, request: Request): Promise<Outcome> => {
  if (request.face === 'ecs') {
    const Command = (sdk as unknown as Record<string, new (input: object) => sdk.ListClustersCommand>)[`${request.operation}Command`];
    try {
      const { $metadata: _metadata, ...body } = await clientOf(key).send(new Command(request.input));
      return { ok: true, body };
    } catch (error) {
      const { name, message } = error as Error;
      return { ok: false, name, message };
    }
  }
  const route = routes[request.route];
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params?.[name] ?? ''));
  const query = request.query ? `?${new URLSearchParams(request.query)}` : '';
  const body = request.body === undefined ? (route.method === 'POST' || route.method === 'PATCH' ? '{}' : undefined) : JSON.stringify(request.body);
  const answer = await hosted.signed(key, route.method, `${path}${query}`, { body });
  if (answer.status === route.successStatus) return { ok: true, body: answer.body };
  if (answer.status >= 500) throw new Error(`${route.method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { ok: false, name: answer.body?.__type, message: answer.body?.message };
};

/** Runs `jobs` a few at a time: concurrent, without flooding the two-core machine. */
const inBatches = async <T, R>(items: T[], run: (item: T) => Promise<R>, size = 8): Promise<R[]> => {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(run))));
  return results;
};

const ok = async (key: AccessKey, request: Request) => {
  const outcome = await send(key, request);
  if (!outcome.ok) throw new Error(`setup ${JSON.stringify(request)} failed: ${outcome.name}: ${outcome.message}`);
  return outcome.body;
};

const snapshotOfA = () => tableSnapshot(['iso', 'iso-2'], { accountId: world.a.accountId, tableName: TABLE });

/** Waits until the reconciler has nothing left to write for A (two snapshots a second apart agree). */
const settledSnapshot = () =>
  eventually(
    async () => {
      const first = await snapshotOfA();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const second = await snapshotOfA();
      return JSON.stringify(first) === JSON.stringify(second) ? second : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 0, what: "A's items to settle" },
  );

const setUp = async (): Promise<World> => {
  const [a, b] = [await hosted.newSandbox(), await hosted.newSandbox()];
  const asA = (operation: string, input: Record<string, unknown>) => ok(a, { face: 'ecs', operation, input });
  const asB = (operation: string, input: Record<string, unknown>) => ok(b, { face: 'ecs', operation, input });
  const tags = [{ key: 'owner', value: 'a' }];
  const [{ cluster }] = await Promise.all([
    asA('CreateCluster', { clusterName: 'iso', tags }),
    asA('CreateCluster', { clusterName: 'iso-2' }),
    asB('CreateCluster', { clusterName: 'b-own' }),
    asB('RegisterTaskDefinition', fargateTaskDefinition('b-web')),
  ]);
  const { taskDefinition } = await asA('RegisterTaskDefinition', { ...fargateTaskDefinition('web'), tags });
  await asA('RegisterTaskDefinition', fargateTaskDefinition('web'));
  await asA('RegisterTaskDefinition', fargateTaskDefinition('web-2'));
  const [{ service }, , { tasks }, own] = await Promise.all([
    asA('CreateService', { launchType: 'FARGATE', cluster: 'iso', serviceName: 'svc', taskDefinition: 'web:1', desiredCount: 2, networkConfiguration: network, tags, propagateTags: 'SERVICE' }),
    asA('CreateService', { launchType: 'FARGATE', cluster: 'iso', serviceName: 'svc-2', taskDefinition: 'web:1', desiredCount: 0, networkConfiguration: network }),
    asA('RunTask', { launchType: 'FARGATE', cluster: 'iso', taskDefinition: 'web:1', networkConfiguration: network, startedBy: 'standalone', tags }),
    Promise.all([
      asB('CreateService', { launchType: 'FARGATE', cluster: 'b-own', serviceName: 'b-svc', taskDefinition: 'b-web:1', desiredCount: 0, networkConfiguration: network }),
      asB('RunTask', { launchType: 'FARGATE', cluster: 'b-own', taskDefinition: 'b-web:1', networkConfiguration: network }),
    ]),
  ]);
  const taskArn: string = tasks[0].taskArn;
  const { capacityProvider } = await asA('CreateCapacityProvider', { name: 'iso-cp', autoScalingGroupProvider: { autoScalingGroupArn: 'iso-asg' }, tags });
  const { containerInstances } = await ok(a, {
    face: 'rest',
    route: 'launchContainerInstances',
    params: { cluster: 'iso' },
    body: { instanceType: 't3.micro', count: 1 },
  });
  await ok(a, { face: 'ecs', operation: 'PutAttributes', input: { cluster: 'iso', attributes: [{ name: 'stack', value: 'blue', targetId: containerInstances[0].containerInstanceArn }] } });
  // The service's tasks running, and the standalone one too.
  const serviceTaskArn = await eventually(
    async () => {
      const { taskArns } = await asA('ListTasks', { cluster: 'iso', serviceName: 'svc' });
      if (taskArns.length !== 2) return undefined;
      const described = await asA('DescribeTasks', { cluster: 'iso', tasks: [...taskArns, taskArn] });
      return described.tasks.every((task: sdk.Task) => task.lastStatus === 'RUNNING') ? (taskArns[0] as string) : undefined;
    },
    { what: "A's tasks running" },
  );
  const tokens = {
    clusters: (await asA('ListClusters', { maxResults: 1 })).nextToken,
    definitions: (await asA('ListTaskDefinitions', { maxResults: 1 })).nextToken,
    families: (await asA('ListTaskDefinitionFamilies', { maxResults: 1 })).nextToken,
    services: (await asA('ListServices', { cluster: 'iso', maxResults: 1 })).nextToken,
    tasks: (await asA('ListTasks', { cluster: 'iso', maxResults: 1 })).nextToken,
  };
  for (const [list, token] of Object.entries(tokens)) if (!token) throw new Error(`A's ${list} list gave no nextToken`);
  return {
    a,
    b,
    clusterArn: cluster.clusterArn,
    definitionArn: taskDefinition.taskDefinitionArn,
    serviceArn: service.serviceArn,
    serviceTaskArn,
    taskArn,
    taskId: taskArn.split('/').pop()!,
    tokens,
    containerInstanceArn: containerInstances[0].containerInstanceArn,
    capacityProviderArn: capacityProvider.capacityProviderArn,
    own: { clusterArn: own[0].service.clusterArn, serviceArn: own[0].service.serviceArn, taskArn: own[1].tasks[0].taskArn },
  };
};

beforeAll(async () => {
  // The matrix sends a few hundred calls per tenant in seconds: the sandbox's request rate (its own
  // test is sandbox-quotas) would only throttle them, so it is raised here.
  hosted = await startHostedStack(TABLE, { ECSBOX_MAX_REQUESTS_PER_SECOND: '1000', ECSBOX_REQUEST_BURST: '1000' });
  world = await setUp();
}, 120_000);

afterAll(async () => {
  for (const client of clients.values()) client.destroy();
  await hosted?.stop();
});

const allCases = [...Object.values(ecsRecipes), ...Object.values(restRecipes)].flat();

describe('tenant isolation (every route and operation, generated)', () => {
  it('has a recipe for every ECS operation and every REST route, and none for ones that are gone', () => {
    expect(Object.keys(operations).filter((name) => !ecsRecipes[name]?.length)).toEqual([]);
    expect(Object.keys(ecsRecipes).filter((name) => !(name in operations))).toEqual([]);
    expect(Object.keys(routes).filter((name) => !restRecipes[name as keyof typeof routes]?.length)).toEqual([]);
    expect(Object.keys(restRecipes).filter((name) => !(name in routes))).toEqual([]);
    // Every recipe calls what it is filed under (a copied recipe must not cover another entry).
    for (const [name, cases] of Object.entries({ ...ecsRecipes, ...restRecipes })) {
      for (const request of cases.map((entry) => entry.request(world))) {
        expect(request.face === 'ecs' ? request.operation : request.route).toBe(name);
      }
    }
  });

  it("B's every attempt on A's resources sees not found and changes nothing; the same calls as A find them", async () => {
    const before = await settledSnapshot();
    const judged = async (entry: Case) => ({ entry, outcome: await send(world.b, entry.request(world)) });
    const outcomes = [
      ...(await inBatches(allCases.filter((entry) => !entry.last), judged)),
      ...(await inBatches(allCases.filter((entry) => entry.last), judged)),
    ];
    const leaks = outcomes.filter(({ entry, outcome }) => !blocked(entry, outcome, world)).map(({ entry, outcome }) => `${entry.label}: ${JSON.stringify(outcome)}`);
    expect(leaks).toEqual([]);
    expect(await snapshotOfA()).toEqual(before);

    // The reverse: reads first, together, then A's writes one by one, deletes last.
    const reads = allCases.filter((entry) => entry.rank === undefined);
    const writes = allCases.filter((entry) => entry.rank !== undefined).sort((x, y) => x.rank! - y.rank!);
    const asA = async (entry: Case) => ({ entry, outcome: await send(world.a, (entry.asA ?? entry.request)(world)) });
    const mirrored = [...(await inBatches(reads, asA)), ...(await inBatches(writes, asA, 1))];
    const vacuous = mirrored.filter(({ entry, outcome }) => !allowed(entry, outcome, world)).map(({ entry, outcome }) => `${entry.label}: ${JSON.stringify(outcome)}`);
    expect(vacuous).toEqual([]);
  });
});
