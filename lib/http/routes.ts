import type { z } from 'zod';
import { registerTaskDefinitionSchema, validateTaskDefinition, type ValidatedTaskDefinition } from '../domain/task-definition';
import { createClusterInput, listClustersInput } from '../usecases/clusters';
import {
  describeTaskDefinitionQuery,
  listTaskDefinitionFamiliesInput,
  listTaskDefinitionsInput,
} from '../usecases/task-definitions';
import { defineRoute } from './route';

/** Every REST route. serverless.yml declares the same routes; a test keeps the two in step. */
export const routes = {
  createCluster: defineRoute({
    operationId: 'CreateCluster',
    method: 'POST',
    path: '/v1/clusters',
    summary: 'Create a cluster (idempotent; the name defaults to "default").',
    tag: 'Clusters',
    successStatus: 201,
    body: createClusterInput,
    responds: 'cluster',
  }),
  listClusters: defineRoute({
    operationId: 'ListClusters',
    method: 'GET',
    path: '/v1/clusters',
    summary: 'List the ARNs of ACTIVE clusters.',
    tag: 'Clusters',
    successStatus: 200,
    query: listClustersInput,
    responds: 'clusterArns, nextToken',
  }),
  describeCluster: defineRoute({
    operationId: 'DescribeCluster',
    method: 'GET',
    path: '/v1/clusters/{cluster}',
    summary: 'Describe a cluster, with its service and task counts.',
    tag: 'Clusters',
    successStatus: 200,
    responds: 'cluster',
  }),
  deleteCluster: defineRoute({
    operationId: 'DeleteCluster',
    method: 'DELETE',
    path: '/v1/clusters/{cluster}',
    summary: 'Delete a cluster; refused while it has services.',
    tag: 'Clusters',
    successStatus: 200,
    responds: 'cluster',
  }),
  registerTaskDefinition: defineRoute({
    operationId: 'RegisterTaskDefinition',
    method: 'POST',
    path: '/v1/task-definitions',
    summary: 'Register the next revision of a task definition family.',
    tag: 'Task definitions',
    successStatus: 201,
    // The schema documents the request; validateTaskDefinition checks it (size first) and normalises it.
    body: registerTaskDefinitionSchema as unknown as z.ZodType<ValidatedTaskDefinition>,
    parseBody: validateTaskDefinition,
    responds: 'taskDefinition, tags',
  }),
  describeTaskDefinition: defineRoute({
    operationId: 'DescribeTaskDefinition',
    method: 'GET',
    path: '/v1/task-definitions/{taskDefinition}',
    summary: 'Describe "family" (latest ACTIVE revision), "family:revision" or a URL-encoded ARN.',
    tag: 'Task definitions',
    successStatus: 200,
    query: describeTaskDefinitionQuery,
    responds: 'taskDefinition, tags',
  }),
  listTaskDefinitions: defineRoute({
    operationId: 'ListTaskDefinitions',
    method: 'GET',
    path: '/v1/task-definitions',
    summary: 'List task definition ARNs, by family and status, sorted by family and revision.',
    tag: 'Task definitions',
    successStatus: 200,
    query: listTaskDefinitionsInput,
    responds: 'taskDefinitionArns, nextToken',
  }),
  listTaskDefinitionFamilies: defineRoute({
    operationId: 'ListTaskDefinitionFamilies',
    method: 'GET',
    path: '/v1/task-definition-families',
    summary: 'List task definition families.',
    tag: 'Task definitions',
    successStatus: 200,
    query: listTaskDefinitionFamiliesInput,
    responds: 'families, nextToken',
  }),
  deregisterTaskDefinition: defineRoute({
    operationId: 'DeregisterTaskDefinition',
    method: 'DELETE',
    path: '/v1/task-definitions/{taskDefinition}',
    summary: 'Deregister "family:revision" (it becomes INACTIVE and stays describable).',
    tag: 'Task definitions',
    successStatus: 200,
    responds: 'taskDefinition',
  }),
};
