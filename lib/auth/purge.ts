import { toTask } from '../adapters/dynamodb/fleet-items';
import { datapointsPartition } from '../adapters/dynamodb/metrics-repository';
import { usagePartition } from '../adapters/dynamodb/usage-store';
import { keys } from '../adapters/dynamodb/table';
import { arns } from '../domain/arn';
import type { ClusterFleet, EpochMs } from '../domain/model';
import type { FleetResolver } from '../fleet/resolver';
import type { BackendRef } from '../fleet/backend';
import { log } from '../log';
import { TENANT_SORT_KEY, type TenantStore } from './tenant-store';

/** Passes over a tenant's partitions at most; the second normally finds nothing. */
const MAX_PASSES = 3;

type KnownClusters = Map<string, { clusterName: string; fleet?: ClusterFleet }>;

const keyOf = (item: Record<string, unknown>) => ({ PK: item.PK as string, SK: item.SK as string });

/**
 * One pass: stops the live tasks of every partition of the account, then deletes every item read.
 * `clusters` outlives the pass: a cluster's partition is visited again after its item is gone.
 */
const purgePass = async (
  tenants: TenantStore,
  fleets: FleetResolver,
  region: string,
  accountId: string,
  now: EpochMs,
  clusters: KnownClusters,
): Promise<number> => {
  const owned: Array<{ PK: string; SK: string }> = [];
  const metricIds: string[] = [];
  for await (const item of tenants.partitionItems(keys.account(accountId))) {
    if (item.SK === TENANT_SORT_KEY) continue;
    owned.push(keyOf(item));
    const sortKey = item.SK as string;
    if (sortKey.startsWith('METRIC#')) metricIds.push(sortKey.slice('METRIC#'.length));
    if (sortKey.startsWith('CLUSTER#')) {
      const cluster = item as { clusterName: string; fleet?: ClusterFleet };
      clusters.set(cluster.clusterName, cluster);
    }
  }
  for (const cluster of clusters.values()) {
    const live: Array<{ taskId: string; ref: BackendRef }> = [];
    for await (const item of tenants.partitionItems(keys.cluster(accountId, cluster.clusterName))) {
      owned.push(keyOf(item));
      // (An item of a commit cut short may be partial: only a task with its ARN can be decoded.)
      if (item.kind !== 'task' || typeof item.taskArn !== 'string') continue;
      // Most of a task item is packed (fleet-items.ts): its ref is read through the codec.
      const task = toTask(item);
      if (task.ref && task.lastStatus !== 'STOPPED') live.push({ taskId: task.taskId, ref: task.ref });
    }
    if (live.length === 0) continue;
    const backend = fleets.forCluster({ clusterArn: arns.cluster({ region, accountId }, cluster.clusterName), fleet: cluster.fleet });
    await backend
      .stop(
        live.map(({ taskId, ref }) => ({ taskId, ref, reason: 'Sandbox deleted', stopCode: 'UserInitiated' as const })),
        now,
      )
      .catch((error: unknown) => log.warn('tenant purge could not stop tasks', { accountId, error: error as Error }));
  }
  // The partitions beside the clusters': each custom metric's datapoints (CloudWatch PutMetricData),
  // and the cost meter's partition (its days, would-be Fargate costs and request-rate bucket).
  for (const partition of [...metricIds.map((id) => datapointsPartition(accountId, id)), usagePartition(accountId)]) {
    for await (const item of tenants.partitionItems(partition)) owned.push(keyOf(item));
  }
  await tenants.deleteItems(owned);
  return owned.length;
};

/**
 * Deletes a tenant and everything it owns: every item of its account partition and of each of its
 * clusters' partitions (clusters, services, events, tasks, task definitions, counters), after
 * stopping its live tasks on their backend. The tenant is suspended first, so its keys stop working
 * at once; the tenant item goes last, so that a purge cut short is found and finished by the next
 * sweep. Returns false when there is no such tenant.
 */
export const purgeTenant = async (
  tenants: TenantStore,
  fleets: FleetResolver,
  region: string,
  accountId: string,
  now: EpochMs,
): Promise<boolean> => {
  let tenant = await tenants.get(accountId);
  if (!tenant) return false;
  if (tenant.status === 'ACTIVE') tenant = await tenants.update(accountId, { status: 'SUSPENDED' });
  let deleted = 0;
  const clusters: KnownClusters = new Map();
  // A write that was under way when the tenant was suspended (a request already authenticated, a
  // reconciler commit of a service read before) can land after a pass read the partitions: the
  // next pass finds and deletes it. Once the services are gone, no commit can land any more.
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    const owned = await purgePass(tenants, fleets, region, accountId, now, clusters);
    if (owned === 0) break;
    deleted += owned;
  }
  await tenants.remove(tenant);
  log.info('tenant purged', { accountId, items: deleted });
  return true;
};
