import { z } from 'zod';
import { clusterNameOf } from '../domain/arn';
import type { Cluster } from '../domain/model';
import { pageQuerySchema, resourceName, tagsSchema } from '../domain/validation';
import type { Deps } from '../deps';
import { ClusterNotFoundException } from '../errors';

export const createClusterInput = z
  .object({
    clusterName: resourceName('Cluster name').default('default'),
    tags: tagsSchema.optional(),
  })
  .strict();

export const listClustersInput = pageQuerySchema;

export const createCluster = async (deps: Deps, input: z.output<typeof createClusterInput>) => ({
  cluster: await deps.clusters.create(input.clusterName, input.tags, deps.clock.now()),
});

/** The ACTIVE cluster named by `cluster` (a name or ARN), or ClusterNotFoundException. */
export const requireActiveCluster = async (deps: Deps, cluster: string | undefined): Promise<Cluster> => {
  const found = await deps.clusters.get(clusterNameOf(cluster ?? 'default'));
  if (!found || found.status !== 'ACTIVE') throw new ClusterNotFoundException();
  return found;
};

export const describeCluster = async (deps: Deps, cluster: string) => ({
  cluster: await requireActiveCluster(deps, cluster),
});

export const listClusters = async (deps: Deps, input: z.output<typeof listClustersInput>) => {
  const page = await deps.clusters.list({ maxResults: input.maxResults ?? 100, nextToken: input.nextToken });
  return { clusterArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

export const deleteCluster = async (deps: Deps, cluster: string) => ({
  cluster: await deps.clusters.delete(clusterNameOf(cluster)),
});
