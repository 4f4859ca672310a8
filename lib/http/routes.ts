import type * as z from 'zod';
import { registerTaskDefinitionSchema, validateTaskDefinition, type ValidatedTaskDefinition } from '../domain/task-definition';
import { createClusterRestInput, listClustersInput } from '../usecases/clusters';
import {
  describeTaskDefinitionQuery,
  listTaskDefinitionFamiliesInput,
  listTaskDefinitionsInput,
} from '../usecases/task-definitions';
import { createServiceInput, updateServiceInput } from '../domain/service';
import { deleteServiceQuery, listServicesQuery } from '../usecases/services';
import { launchContainerInstancesInput } from '../usecases/container-instances';
import { listTasksQuery, runTaskInput, stopTaskInput } from '../usecases/tasks';
import { usageQuery } from '../usecases/usage';
import { lazySchema } from '../domain/validation';
import { InvalidParameterException } from '../errors';
import { loadInput } from '../domain/load';
import { serviceMetricsQuery } from '../usecases/load';
import { simulatedGroupInput } from '../domain/capacity-provider';
import { spotInterruptionsInput } from '../usecases/spot-interruptions';
import { defineRoute } from './route';

/** Every REST route. serverless.yml declares the same routes; a test keeps the two in step. */
export const routes = {
  createCluster: defineRoute({
    operationId: 'CreateCluster',
    method: 'POST',
    path: '/v1/clusters',
    summary:
      'Create a cluster (idempotent; the name defaults to "default"). `fleet` chooses where its tasks run: ' +
      'the simulated fleet or real Fargate (unset fields take the stage defaults).',
    tag: 'Clusters',
    successStatus: 201,
    body: createClusterRestInput,
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
    body: registerTaskDefinitionSchema as unknown as () => z.ZodType<ValidatedTaskDefinition>,
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
  createService: defineRoute({
    operationId: 'CreateService',
    method: 'POST',
    path: '/v1/clusters/{cluster}/services',
    summary: 'Create a service that keeps desiredCount tasks of a task definition running (ECS CreateService).',
    tag: 'Services',
    successStatus: 201,
    body: lazySchema(() => createServiceInput().omit({ cluster: true })),
    refusal: InvalidParameterException,
    responds: 'service',
  }),
  listServices: defineRoute({
    operationId: 'ListServices',
    method: 'GET',
    path: '/v1/clusters/{cluster}/services',
    summary: "List the ARNs of the cluster's services.",
    tag: 'Services',
    successStatus: 200,
    query: listServicesQuery,
    refusal: InvalidParameterException,
    responds: 'serviceArns, nextToken',
  }),
  describeService: defineRoute({
    operationId: 'DescribeService',
    method: 'GET',
    path: '/v1/clusters/{cluster}/services/{service}',
    summary: 'Describe a service: counts, deployments and the last 100 events (newest first).',
    tag: 'Services',
    successStatus: 200,
    refusal: InvalidParameterException,
    responds: 'service',
  }),
  updateService: defineRoute({
    operationId: 'UpdateService',
    method: 'PATCH',
    path: '/v1/clusters/{cluster}/services/{service}',
    summary: 'Change desiredCount, the task definition (a new deployment), deployment settings, or force a new deployment.',
    tag: 'Services',
    successStatus: 200,
    body: updateServiceInput,
    refusal: InvalidParameterException,
    responds: 'service',
  }),
  deleteService: defineRoute({
    operationId: 'DeleteService',
    method: 'DELETE',
    path: '/v1/clusters/{cluster}/services/{service}',
    summary: 'Delete a service scaled to 0 (or any, with force=true): it drains (DRAINING) and becomes INACTIVE.',
    tag: 'Services',
    successStatus: 200,
    query: deleteServiceQuery,
    refusal: InvalidParameterException,
    responds: 'service',
  }),
  runTask: defineRoute({
    operationId: 'RunTask',
    method: 'POST',
    path: '/v1/clusters/{cluster}/tasks',
    summary: 'Start 1-10 standalone tasks (ECS RunTask); partial failures come back in failures.',
    tag: 'Tasks',
    successStatus: 201,
    body: lazySchema(() => runTaskInput().omit({ cluster: true })),
    refusal: InvalidParameterException,
    responds: 'tasks, failures',
  }),
  listTasks: defineRoute({
    operationId: 'ListTasks',
    method: 'GET',
    path: '/v1/clusters/{cluster}/tasks',
    summary: 'List task ARNs by serviceName, family, startedBy and desiredStatus (default RUNNING).',
    tag: 'Tasks',
    successStatus: 200,
    query: listTasksQuery,
    refusal: InvalidParameterException,
    responds: 'taskArns, nextToken',
  }),
  describeTask: defineRoute({
    operationId: 'DescribeTask',
    method: 'GET',
    path: '/v1/clusters/{cluster}/tasks/{taskId}',
    summary: 'Describe a task; stopped tasks stay visible for the retention period (default 24 h).',
    tag: 'Tasks',
    successStatus: 200,
    refusal: InvalidParameterException,
    responds: 'task',
  }),
  stopTask: defineRoute({
    operationId: 'StopTask',
    method: 'POST',
    path: '/v1/clusters/{cluster}/tasks/{taskId}/stop',
    summary: 'Stop a task (a service replaces it).',
    tag: 'Tasks',
    successStatus: 200,
    body: stopTaskInput,
    refusal: InvalidParameterException,
    responds: 'task',
  }),
  getUsage: defineRoute({
    operationId: 'GetUsage',
    method: 'GET',
    path: '/v1/usage',
    summary:
      "The caller's account's usage over the last `days` days (default 7, at most 31): requests, DynamoDB units and " +
      'Lambda time per day with their estimated USD, and what its tasks would have cost on real Fargate, per day, service and task.',
    tag: 'Usage',
    successStatus: 200,
    query: usageQuery,
    responds: 'accountId, from, to, days, total, fargate, prices',
  }),
  putServiceLoad: defineRoute({
    operationId: 'PutServiceLoad',
    method: 'PUT',
    path: '/v1/clusters/{cluster}/services/{service}/load',
    summary:
      "Set the service's simulated load: the CPU (and memory) percent one task would show carrying it all, so k RUNNING " +
      'tasks show about N/k each; shapes constant, step, ramp, sine and spike (docs/autoscaling.md).',
    tag: 'Services',
    successStatus: 200,
    body: loadInput,
    refusal: InvalidParameterException,
    responds: 'load, current',
  }),
  getServiceLoad: defineRoute({
    operationId: 'GetServiceLoad',
    method: 'GET',
    path: '/v1/clusters/{cluster}/services/{service}/load',
    summary: "The service's simulated load, what it is now, and what each RUNNING task shows.",
    tag: 'Services',
    successStatus: 200,
    refusal: InvalidParameterException,
    responds: 'load, current',
  }),
  getServiceMetrics: defineRoute({
    operationId: 'GetServiceMetrics',
    method: 'GET',
    path: '/v1/clusters/{cluster}/services/{service}/metrics',
    summary:
      "The service's AWS/ECS CPUUtilization (or MemoryUtilization, `metric`) over the last `minutes` complete one-minute " +
      'periods (default 30, at most 1440; metric minutes, 5 s each on the fast profile): average, minimum and maximum per period, ' +
      'the datapoints its target tracking alarms evaluate.',
    tag: 'Services',
    successStatus: 200,
    query: serviceMetricsQuery,
    refusal: InvalidParameterException,
    responds: 'metrics',
  }),
  getServiceScaling: defineRoute({
    operationId: 'GetServiceScaling',
    method: 'GET',
    path: '/v1/clusters/{cluster}/services/{service}/scaling',
    summary:
      "The service's auto scaling: its scalable target, policies, scheduled actions and recent activities, each " +
      'explained in plain words, and why it did not scale when it last did not.',
    tag: 'Services',
    successStatus: 200,
    refusal: InvalidParameterException,
    responds: 'scaling',
  }),
  launchContainerInstances: defineRoute({
    operationId: 'LaunchContainerInstances',
    method: 'POST',
    path: '/v1/clusters/{cluster}/container-instances',
    summary:
      'Launch 1-20 simulated EC2 instances of a type (t3.micro … m5.2xlarge) into the cluster: each registers as a ' +
      'container instance with its type\'s CPU, memory and ports, round-robin over the availability zones given (default a, b, c).',
    tag: 'Container instances',
    successStatus: 201,
    body: launchContainerInstancesInput,
    refusal: InvalidParameterException,
    responds: 'containerInstances',
  }),
  getCapacityProvider: defineRoute({
    operationId: 'GetCapacityProvider',
    method: 'GET',
    path: '/v1/capacity-providers/{capacityProvider}',
    summary:
      'An Auto Scaling group capacity provider with its simulated group (sizes, instance type, instances booting or in ' +
      'service) and the CapacityProviderReservation the capacity controller last computed.',
    tag: 'Capacity providers',
    successStatus: 200,
    refusal: InvalidParameterException,
    responds: 'capacityProvider, autoScalingGroup, capacityProviderReservation',
  }),
  putAutoScalingGroup: defineRoute({
    operationId: 'PutAutoScalingGroup',
    method: 'PUT',
    path: '/v1/capacity-providers/{capacityProvider}/auto-scaling-group',
    summary:
      "Set the provider's simulated Auto Scaling group (ecsbox has no EC2 API): instanceType (default t3.medium), minSize " +
      '(0), maxSize (10), desiredCapacity (managed scaling sets it when ENABLED). Instances boot for a minute (5 s fast) before registering.',
    tag: 'Capacity providers',
    successStatus: 200,
    body: simulatedGroupInput,
    refusal: InvalidParameterException,
    responds: 'capacityProvider, autoScalingGroup',
  }),
  interruptSpotTasks: defineRoute({
    operationId: 'InterruptSpotTasks',
    method: 'POST',
    path: '/v1/clusters/{cluster}/spot-interruptions',
    summary:
      "Interrupt FARGATE_SPOT tasks on purpose: `tasks` names them, else `count` (default 1) of the cluster's RUNNING Spot " +
      'tasks. Each gets the two-minute warning (10 s fast): desiredStatus STOPPED, stopCode SpotInterruption, then STOPPED.',
    tag: 'Tasks',
    successStatus: 200,
    body: spotInterruptionsInput,
    refusal: InvalidParameterException,
    responds: 'tasks, stopsAt',
  }),
};
