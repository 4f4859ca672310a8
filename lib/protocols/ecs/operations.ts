import * as z from 'zod';
import { operation, type ProtocolTable, type WireOperation } from '../operation';
import { presentEcs } from '../../http/present';
import { references } from '../../domain/arn';
import type { Cluster } from '../../domain/model';
import { registerTaskDefinitionSchema, validateTaskDefinition } from '../../domain/task-definition';
import type { Deps } from '../../deps';
import { InvalidParameterException } from '../../errors';
import {
  createCluster,
  createClusterInput,
  deleteCluster,
  describeClusters,
  describeClustersInput,
  listClusters,
  listClustersInput,
} from '../../usecases/clusters';
import {
  listTagsForResource,
  listTagsForResourceInput,
  tagResource,
  tagResourceInput,
  untagResource,
  untagResourceInput,
} from '../../usecases/tags';
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
} from '../../usecases/task-definitions';
import { createServiceInput, updateServiceInput } from '../../domain/service';
import { createService, deleteService, describeServices, listServices, listServicesQuery, updateService } from '../../usecases/services';
import { describeTasks, listTasks, listTasksQuery, runTask, runTaskInput, startTask, startTaskInput, stopTask } from '../../usecases/tasks';
import {
  deleteAttributes,
  deleteAttributesInput,
  deregisterContainerInstance,
  deregisterContainerInstanceInput,
  describeContainerInstances,
  describeContainerInstancesInput,
  listAttributes,
  listAttributesInput,
  listContainerInstances,
  listContainerInstancesQuery,
  putAttributes,
  putAttributesInput,
  registerContainerInstance,
  registerContainerInstanceInput,
  updateContainerInstancesState,
  updateContainerInstancesStateInput,
} from '../../usecases/container-instances';
import {
  createCapacityProvider,
  deleteCapacityProvider,
  deleteCapacityProviderInput,
  describeCapacityProviders,
  describeCapacityProvidersInput,
  putClusterCapacityProviders,
  putClusterCapacityProvidersInput,
  updateCapacityProvider,
} from '../../usecases/capacity-providers';
import { createCapacityProviderInput, updateCapacityProviderInput } from '../../domain/capacity-provider';

const invalidParameter = InvalidParameterException;

/** Members every ECS operation shares: the optional cluster (name or ARN) and paging. */
const cluster = () => references.cluster().optional();
/** ECS's maxResults is a JSON number (the REST query's is coerced from text). */
const maxResults = () => z.number().int().min(1).max(100).optional();

/** ECS's Cluster structure has no creation time nor fleet choice; ecsbox keeps them for the REST API. */
const ecsCluster = ({ createdAt: _createdAt, fleet: _fleet, ...cluster }: Omit<Cluster, 'settings'> & Partial<Cluster>) => cluster;

const singleCluster = async (result: Promise<{ cluster: Cluster }>) => ({ cluster: ecsCluster((await result).cluster) });

/**
 * Every ECS operation, by the name after "AmazonEC2ContainerServiceV20141113." in X-Amz-Target.
 * Each entry is type-checked where it is built (its parse feeds its run); the table only pairs
 * names with them, hence `any`.
 */
export const operations: Record<string, WireOperation<any>> = {
  CreateCluster: operation(createClusterInput, (deps, input) => singleCluster(createCluster(deps, input))),
  DescribeClusters: operation(describeClustersInput, async (deps, input) => {
    const { clusters, failures } = await describeClusters(deps, input);
    return { clusters: clusters.map(ecsCluster), failures };
  }),
  ListClusters: operation(listClustersInput, listClusters),
  DeleteCluster: operation(() => z.object({ cluster: references.cluster() }).strict(), (deps, input) =>
    singleCluster(deleteCluster(deps, input.cluster)),
  ),

  // Parsed as the REST API parses it: the 64 KiB limit first, then the schema and ECS's rules.
  RegisterTaskDefinition: { input: registerTaskDefinitionSchema, parse: validateTaskDefinition, run: registerTaskDefinition },
  DescribeTaskDefinition: operation(
    () => z.object({ taskDefinition: references.taskDefinition(), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeTaskDefinition(deps, input.taskDefinition, input.include?.includes('TAGS') ?? false),
  ),
  ListTaskDefinitions: operation(listTaskDefinitionsInput, listTaskDefinitions),
  ListTaskDefinitionFamilies: operation(listTaskDefinitionFamiliesInput, listTaskDefinitionFamilies),
  DeregisterTaskDefinition: operation(() => z.object({ taskDefinition: references.taskDefinition() }).strict(), (deps, input) =>
    deregisterTaskDefinition(deps, input.taskDefinition),
  ),
  DeleteTaskDefinitions: operation(deleteTaskDefinitionsInput, deleteTaskDefinitions),

  CreateService: operation(createServiceInput, createService, invalidParameter),
  UpdateService: operation(() => updateServiceInput().extend({ cluster: cluster(), service: references.service() }).strict(), (deps, { cluster, service, ...input }) =>
    updateService(deps, cluster, service, input), invalidParameter,
  ),
  DescribeServices: operation(
    () => z.object({ cluster: cluster(), services: z.array(references.service()).min(1), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeServices(deps, input.cluster, input.services, input.include?.includes('TAGS')),
    invalidParameter,
  ),
  ListServices: operation(() => listServicesQuery().extend({ cluster: cluster(), maxResults: maxResults() }).strict(), (deps, { cluster, ...input }) =>
    listServices(deps, cluster, input),
    invalidParameter,
  ),
  DeleteService: operation(() => z.object({ cluster: cluster(), service: references.service(), force: z.boolean().optional() }).strict(), (deps, input) =>
    deleteService(deps, input.cluster, input.service, input.force ?? false), invalidParameter,
  ),

  RunTask: operation(runTaskInput, runTask, invalidParameter),
  StartTask: operation(startTaskInput, startTask, invalidParameter),
  StopTask: operation(() => z.object({ cluster: cluster(), task: references.task(), reason: z.string().max(255).optional() }).strict(), (deps, input) =>
    stopTask(deps, input.cluster, input.task, input.reason), invalidParameter,
  ),
  // An empty list is refused after the cluster check, as ECS does (describeTasks).
  DescribeTasks: operation(
    () => z.object({ cluster: cluster(), tasks: z.array(references.task()), include: z.array(z.literal('TAGS')).optional() }).strict(),
    (deps, input) => describeTasks(deps, input.cluster, input.tasks, input.include?.includes('TAGS')),
    invalidParameter,
  ),
  ListTasks: operation(() => listTasksQuery().extend({ cluster: cluster(), maxResults: maxResults() }).strict(), (deps, { cluster, ...input }) =>
    listTasks(deps, cluster, input),
    invalidParameter,
  ),

  RegisterContainerInstance: operation(registerContainerInstanceInput, registerContainerInstance, invalidParameter),
  DeregisterContainerInstance: operation(deregisterContainerInstanceInput, deregisterContainerInstance, invalidParameter),
  DescribeContainerInstances: operation(describeContainerInstancesInput, describeContainerInstances, invalidParameter),
  ListContainerInstances: operation(
    () => listContainerInstancesQuery().extend({ cluster: cluster(), maxResults: maxResults() }).strict(),
    (deps, { cluster, ...input }) => listContainerInstances(deps, cluster, input),
    invalidParameter,
  ),
  UpdateContainerInstancesState: operation(updateContainerInstancesStateInput, updateContainerInstancesState, invalidParameter),
  PutAttributes: operation(putAttributesInput, putAttributes, invalidParameter),
  DeleteAttributes: operation(deleteAttributesInput, deleteAttributes, invalidParameter),
  ListAttributes: operation(listAttributesInput, listAttributes, invalidParameter),

  CreateCapacityProvider: operation(createCapacityProviderInput, createCapacityProvider, invalidParameter),
  UpdateCapacityProvider: operation(updateCapacityProviderInput, updateCapacityProvider, invalidParameter),
  DeleteCapacityProvider: operation(deleteCapacityProviderInput, deleteCapacityProvider, invalidParameter),
  DescribeCapacityProviders: operation(describeCapacityProvidersInput, describeCapacityProviders, invalidParameter),
  PutClusterCapacityProviders: operation(putClusterCapacityProvidersInput, (deps, input) =>
    singleCluster(putClusterCapacityProviders(deps, input)), invalidParameter,
  ),

  TagResource: operation(tagResourceInput, tagResource, invalidParameter),
  UntagResource: operation(untagResourceInput, untagResource, invalidParameter),
  ListTagsForResource: operation(listTagsForResourceInput, listTagsForResource, invalidParameter),
};

/** ECS's protocol: AWS JSON 1.1, its errors under ECS's own names. */
export const ecsProtocol: ProtocolTable = {
  targetPrefix: 'AmazonEC2ContainerServiceV20141113.',
  jsonVersion: '1.1',
  operations,
  present: presentEcs,
};
