import * as z from 'zod';
import { arns, clusterNameOf } from '../domain/arn';
import type { Cluster } from '../domain/model';
import { pageQuerySchema, resourceName, tagsSchema } from '../domain/validation';
import type { Deps } from '../deps';
import { ClusterContainsServicesException, ClusterContainsTasksException, ClusterNotFoundException } from '../errors';
import { describedOrMissing } from './describe';

/** ecsbox's per-cluster choice of fleet (REST only: ECS's CreateCluster has no such member). */
export const clusterFleetSchema = z
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
  .strict();

export const createClusterInput = z
  .object({
    clusterName: resourceName('Cluster name').default('default'),
    tags: tagsSchema.optional(),
  })
  .strict();

export const createClusterRestInput = createClusterInput.extend({ fleet: clusterFleetSchema.optional() }).strict();

export const listClustersInput = pageQuerySchema;

export const describeClustersInput = z
  .object({
    clusters: z.array(z.string().min(1)).max(100).optional(),
    include: z.array(z.enum(['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'])).optional(),
  })
  .strict();

export const createCluster = async (deps: Deps, input: z.output<typeof createClusterRestInput>) => {
  // A Fargate cluster without a target would fail every launch later: refuse it now.
  if (input.fleet) deps.fleets.settingsFor(input.fleet);
  return { cluster: await deps.clusters.create(input.clusterName, input.tags, deps.clock.now(), input.fleet) };
};

/** The ACTIVE cluster named by `cluster` (a name or ARN), or ClusterNotFoundException. */
export const requireActiveCluster = async (deps: Deps, cluster: string | undefined): Promise<Cluster> => {
  const found = await deps.clusters.get(clusterNameOf(cluster ?? 'default'));
  if (!found || found.status !== 'ACTIVE') throw new ClusterNotFoundException();
  return found;
};

/** The cluster with its RUNNING and PENDING task counts, which live with the tasks. */
const withTaskCounts = async (deps: Deps, cluster: Cluster): Promise<Cluster> => {
  const { running, pending } = await deps.tasks.countActive(cluster.clusterName, deps.clock.now());
  return { ...cluster, runningTasksCount: running, pendingTasksCount: pending };
};

export const describeCluster = async (deps: Deps, cluster: string) => ({
  cluster: await withTaskCounts(deps, await requireActiveCluster(deps, cluster)),
});

/**
 * ECS's DescribeClusters: each named cluster (by default "default"), deleted ones included as
 * INACTIVE; names that never existed come back in `failures` as MISSING, with the ARN they would
 * have. Tags only with include TAGS; ecsbox keeps none of the other optional details.
 */
export const describeClusters = async (deps: Deps, input: z.output<typeof describeClustersInput>) => {
  const names = (input.clusters ?? ['default']).map(clusterNameOf);
  const found = await Promise.all(names.map((name) => deps.clusters.get(name)));
  const counted = await Promise.all(found.map((cluster) => cluster && withTaskCounts(deps, cluster)));
  const { items, failures } = describedOrMissing(
    names,
    counted,
    (cluster) => cluster,
    (name) => arns.cluster(deps.scope, name),
    input.include?.includes('TAGS') ?? false,
  );
  return { clusters: items, failures };
};

export const listClusters = async (deps: Deps, input: z.output<typeof listClustersInput>) => {
  const page = await deps.clusters.list({ maxResults: input.maxResults ?? 100, nextToken: input.nextToken });
  return { clusterArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

/** ECS refuses to delete a cluster that still has services, or tasks that are not stopped. */
export const deleteCluster = async (deps: Deps, cluster: string) => {
  const found = await requireActiveCluster(deps, cluster);
  // Services first, as ECS reports them; the delete below checks them again, atomically.
  if (found.activeServicesCount > 0) throw new ClusterContainsServicesException();
  const { running, pending } = await deps.tasks.countActive(found.clusterName, deps.clock.now());
  if (running + pending > 0) throw new ClusterContainsTasksException();
  return { cluster: await deps.clusters.delete(found.clusterName) };
};
