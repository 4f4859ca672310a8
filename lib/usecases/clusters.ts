import * as z from 'zod';
import { arns, clusterNameOf, parseArn, references } from '../domain/arn';
import type { Cluster } from '../domain/model';
import { lazySchema, pageQuerySchema, resourceName, tagsSchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import {
  ClusterContainsContainerInstancesException,
  ClusterContainsServicesException,
  ClusterContainsTasksException,
  ClusterNotFoundException,
  InvalidParameterException,
} from '../errors';
import type { ClusterActivity } from '../ports';
import { describedOrMissing } from './describe';
import { requireTagRoom } from './tag-quota';
import { capacityAttachments, providerChanges } from './capacity-providers';
import { capacityProviderStrategySchema, checkClusterCapacityProviders } from '../domain/capacity-provider';

/** ecsbox's per-cluster choice of fleet (REST only: ECS's CreateCluster has no such member). */
export const clusterFleetSchema = lazySchema(() =>
  z
    .object({
      backend: z.enum(['simulated', 'fargate']),
      fargate: z
        .object({
          cluster: z.string().min(1).max(2048).optional(),
          subnets: z.array(z.string().min(1).max(255)).min(1).max(16).optional(),
          securityGroups: z.array(z.string().min(1).max(255)).max(5).optional(),
          assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
          executionRoleArn: z.string().startsWith('arn:').max(2048).optional(),
          taskRoleArn: z.string().startsWith('arn:').max(2048).optional(),
          endpoint: z.url().optional(),
          region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

export const createClusterInput = lazySchema(() =>
  z
    .object({
      clusterName: resourceName().default('default'),
      tags: tagsSchema().optional(),
      settings: z
        .array(z.object({ name: z.literal('containerInsights'), value: z.enum(['enabled', 'disabled', 'enhanced']) }).strict())
        .max(1)
        .optional(),
      capacityProviders: z.array(z.string().min(1).max(255)).max(20).optional(),
      defaultCapacityProviderStrategy: capacityProviderStrategySchema().optional(),
    })
    .strict(),
);

export const createClusterRestInput = lazySchema(() =>
  createClusterInput().extend({ fleet: clusterFleetSchema().optional() }).strict(),
);

export const listClustersInput = pageQuerySchema;

export const describeClustersInput = lazySchema(() =>
  z
    .object({
      clusters: z.array(references.cluster()).max(100).optional(),
      include: z.array(z.enum(['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'])).optional(),
    })
    .strict(),
);

export const createCluster = async (deps: Deps, input: SchemaOutput<typeof createClusterRestInput>) => {
  // A Fargate cluster without a target would fail every launch later: refuse it now.
  if (input.fleet) deps.fleets.settingsFor(input.fleet);
  const capacityProviders = input.capacityProviders ?? [];
  const defaultCapacityProviderStrategy = checkClusterCapacityProviders(capacityProviders, input.defaultCapacityProviderStrategy);
  // Checked before the cluster exists: each Auto Scaling group provider exists and serves no other cluster.
  const attached = await providerChanges(deps, input.clusterName, capacityProviders, []);
  await requireTagRoom(deps, input.tags);
  const cluster = await deps.clusters.create(input.clusterName, input.tags, deps.clock.now(), input.fleet, {
    settings: input.settings,
    capacityProviders,
    defaultCapacityProviderStrategy,
  });
  if (attached.length === 0) return { cluster };
  await deps.capacityProviders.putClusterProviders({
    clusterName: cluster.clusterName,
    capacityProviders: cluster.capacityProviders,
    defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy,
    changedProviders: attached,
  });
  await deps.capacityTrigger.wake();
  return { cluster };
};

/** The ACTIVE cluster named by `cluster` (a name or ARN), or ClusterNotFoundException. */
export const requireActiveCluster = async (deps: Deps, cluster: string | undefined): Promise<Cluster> => {
  const name = clusterNameOf(deps.scope, cluster ?? 'default');
  const found = name === undefined ? undefined : await deps.clusters.get(name);
  if (!found || found.status !== 'ACTIVE') throw new ClusterNotFoundException();
  return found;
};

/** ECS's statistics, by launch type (services all run on Fargate). */
const statisticsOf = (cluster: Cluster, activity: ClusterActivity) =>
  Object.entries({
    runningEC2TasksCount: activity.runningEc2Tasks,
    runningFargateTasksCount: activity.runningTasks - activity.runningEc2Tasks,
    pendingEC2TasksCount: activity.pendingEc2Tasks,
    pendingFargateTasksCount: activity.pendingTasks - activity.pendingEc2Tasks,
    activeEC2ServiceCount: 0,
    activeFargateServiceCount: cluster.activeServicesCount,
    drainingEC2ServiceCount: 0,
    drainingFargateServiceCount: activity.drainingServices,
  }).map(([name, value]) => ({ name, value: String(value) }));

/** The cluster with its RUNNING and PENDING task counts (and statistics when asked), which live with the tasks. */
const withActivity = async (deps: Deps, cluster: Cluster, withStatistics = false): Promise<Cluster> => {
  const activity = await deps.clusters.activity(cluster.clusterName);
  return {
    ...cluster,
    runningTasksCount: activity.runningTasks,
    pendingTasksCount: activity.pendingTasks,
    ...(withStatistics ? { statistics: statisticsOf(cluster, activity) } : {}),
  };
};

export const describeCluster = async (deps: Deps, cluster: string) => ({
  cluster: await withActivity(deps, await requireActiveCluster(deps, cluster), true),
});

/**
 * ECS's DescribeClusters: each named cluster (by default "default"), deleted ones included as
 * INACTIVE; names that never existed come back in `failures` as MISSING, with the ARN they would
 * have. Settings, statistics and tags only when `include` asks for them, as ECS answers.
 */
export const describeClusters = async (deps: Deps, input: SchemaOutput<typeof describeClustersInput>) => {
  const include = new Set(input.include ?? []);
  const named = input.clusters ?? ['default'];
  const found = await Promise.all(
    named.map((reference) => {
      const name = clusterNameOf(deps.scope, reference);
      return name === undefined ? undefined : deps.clusters.get(name);
    }),
  );
  const counted = await Promise.all(found.map((cluster) => cluster && withActivity(deps, cluster, include.has('STATISTICS'))));
  const { items, failures } = describedOrMissing(
    named,
    counted,
    ({ settings, ...cluster }) => ({
      ...cluster,
      ...(include.has('SETTINGS') ? { settings } : {}),
      ...(include.has('ATTACHMENTS') ? { attachments: capacityAttachments(cluster as Cluster), attachmentsStatus: 'UPDATE_COMPLETE' } : {}),
    }),
    // A name that never existed is reported with the ARN it would have; an ARN as it was given.
    (reference) => (parseArn(reference) ? reference : arns.cluster(deps.scope, reference)),
    include.has('TAGS'),
  );
  return { clusters: items, failures };
};

export const listClusters = async (deps: Deps, input: SchemaOutput<typeof listClustersInput>) => {
  const page = await deps.clusters.list({ maxResults: input.maxResults ?? 100, nextToken: input.nextToken });
  return { clusterArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

/** ECS refuses to delete a cluster that still has services, or tasks that are not stopped. */
export const deleteCluster = async (deps: Deps, cluster: string) => {
  const found = await requireActiveCluster(deps, cluster);
  // Services first, as ECS reports them; the delete below checks them again, atomically.
  if (found.activeServicesCount > 0) throw new ClusterContainsServicesException();
  if (found.registeredContainerInstancesCount > 0) throw new ClusterContainsContainerInstancesException();
  const { runningTasks, pendingTasks } = await deps.clusters.activity(found.clusterName);
  if (runningTasks + pendingTasks > 0) throw new ClusterContainsTasksException();
  return { cluster: await deps.clusters.delete(found.clusterName) };
};
