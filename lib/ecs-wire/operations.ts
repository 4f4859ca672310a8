import * as z from 'zod';
import type { Cluster } from '../domain/model';
import { validateTaskDefinition } from '../domain/task-definition';
import { parseInput } from '../domain/validation';
import type { Deps } from '../deps';
import {
  createCluster,
  createClusterInput,
  deleteCluster,
  describeClusters,
  describeClustersInput,
  listClusters,
  listClustersInput,
} from '../usecases/clusters';
import {
  listTagsForResource,
  listTagsForResourceInput,
  tagResource,
  tagResourceInput,
  untagResource,
  untagResourceInput,
} from '../usecases/tags';
import {
  deleteTaskDefinitions,
  deleteTaskDefinitionsInput,
  deregisterTaskDefinition,
  describeTaskDefinition,
  listTaskDefinitionFamilies,
  listTaskDefinitionFamiliesInput,
  listTaskDefinitions,
  listTaskDefinitionsInput,
  registerTaskDefinition,
} from '../usecases/task-definitions';
import { createServiceInput, updateServiceInput } from '../domain/service';
import { createService, deleteService, describeServices, listServices, updateService } from '../usecases/services';
import { describeTasks, listTasks, runTask, runTaskInput, stopTask } from '../usecases/tasks';

/**
 * One ECS API operation on the wire: the schema of its JSON input (ECS's member names) and the
 * use case that answers it, with its result shaped as ECS's output structure. Timestamps stay
 * epoch milliseconds here; lib/ecs-wire/serve.ts renders them.
 */
export interface EcsOperation<Input = unknown> {
  parse(body: unknown): Input;
  run(deps: Deps, input: Input): Promise<object>;
}

const operation = <S extends z.ZodType>(
  input: S,
  run: (deps: Deps, input: z.output<S>) => Promise<object>,
): EcsOperation<z.output<S>> => ({ parse: (body) => parseInput(input, body), run });

/** Members every ECS operation shares: the optional cluster (name or ARN), a resource name or ARN, paging. */
const cluster = z.string().min(1).max(2048).optional();
const name = z.string().min(1).max(2048);
const pageInput = z.object({ maxResults: z.number().int().min(1).max(100).optional(), nextToken: z.string().min(1).optional() });

/** ECS's Cluster structure has no creation time nor fleet choice; ecsbox keeps them for the REST API. */
const ecsCluster = ({ createdAt: _createdAt, fleet: _fleet, ...cluster }: Cluster) => cluster;

const singleCluster = async (result: Promise<{ cluster: Cluster }>) => ({ cluster: ecsCluster((await result).cluster) });

/**
 * Every operation served at POST /, by the name after "AmazonEC2ContainerServiceV20141113." in
 * X-Amz-Target. Each entry is type-checked where it is built (its parse feeds its run); the table
 * only pairs names with them, hence `any`.
 */
export const operations: Record<string, EcsOperation<any>> = {
  CreateCluster: operation(createClusterInput, (deps, input) => singleCluster(createCluster(deps, input))),
  DescribeClusters: operation(describeClustersInput, async (deps, input) => {
    const { clusters, failures } = await describeClusters(deps, input);
    return { clusters: clusters.map(ecsCluster), failures };
  }),
  ListClusters: operation(listClustersInput, listClusters),
  DeleteCluster: operation(z.object({ cluster: z.string().min(1) }).strict(), (deps, input) =>
    singleCluster(deleteCluster(deps, input.cluster)),
  ),

  // Parsed as the REST API parses it: the 64 KiB limit first, then the schema and ECS's rules.
  RegisterTaskDefinition: { parse: validateTaskDefinition, run: registerTaskDefinition },
  DescribeTaskDefinition: operation(
    z.object({ taskDefinition: z.string().min(1), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeTaskDefinition(deps, input.taskDefinition, input.include?.includes('TAGS') ?? false),
  ),
  ListTaskDefinitions: operation(listTaskDefinitionsInput, listTaskDefinitions),
  ListTaskDefinitionFamilies: operation(listTaskDefinitionFamiliesInput, listTaskDefinitionFamilies),
  DeregisterTaskDefinition: operation(z.object({ taskDefinition: z.string().min(1) }).strict(), (deps, input) =>
    deregisterTaskDefinition(deps, input.taskDefinition),
  ),
  DeleteTaskDefinitions: operation(deleteTaskDefinitionsInput, deleteTaskDefinitions),

  CreateService: operation(createServiceInput, createService),
  UpdateService: operation(updateServiceInput.extend({ cluster, service: name }).strict(), (deps, { cluster, service, ...input }) =>
    updateService(deps, cluster, service, input),
  ),
  DescribeServices: operation(
    z.object({ cluster, services: z.array(name).min(1), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeServices(deps, input.cluster, input.services, input.include?.includes('TAGS')),
  ),
  ListServices: operation(
    pageInput.extend({ cluster, launchType: z.literal('FARGATE').optional(), schedulingStrategy: z.literal('REPLICA').optional() }).strict(),
    (deps, input) => listServices(deps, input.cluster, input),
  ),
  DeleteService: operation(z.object({ cluster, service: name, force: z.boolean().optional() }).strict(), (deps, input) =>
    deleteService(deps, input.cluster, input.service, input.force ?? false),
  ),

  RunTask: operation(runTaskInput, runTask),
  StopTask: operation(z.object({ cluster, task: name, reason: z.string().max(255).optional() }).strict(), (deps, input) =>
    stopTask(deps, input.cluster, input.task, input.reason),
  ),
  DescribeTasks: operation(
    z.object({ cluster, tasks: z.array(name).min(1), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeTasks(deps, input.cluster, input.tasks, input.include?.includes('TAGS')),
  ),
  ListTasks: operation(
    pageInput
      .extend({
        cluster,
        serviceName: z.string().min(1).max(255).optional(),
        family: z.string().min(1).max(255).optional(),
        startedBy: z.string().min(1).max(36).optional(),
        desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
        launchType: z.literal('FARGATE').optional(),
        containerInstance: z.string().optional(),
      })
      .strict(),
    (deps, input) =>
      listTasks(deps, input.cluster, { ...input, desiredStatus: input.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING' }),
  ),

  TagResource: operation(tagResourceInput, tagResource),
  UntagResource: operation(untagResourceInput, untagResource),
  ListTagsForResource: operation(listTagsForResourceInput, listTagsForResource),
};
