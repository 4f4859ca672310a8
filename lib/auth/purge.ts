import { keys } from '../adapters/dynamodb/table';
import { arns } from '../domain/arn';
import type { ClusterFleet, EpochMs } from '../domain/model';
import type { FleetResolver } from '../fleet/resolver';
import type { BackendRef } from '../fleet/backend';
import { log } from '../log';
import { TENANT_SORT_KEY, type TenantStore } from './tenant-store';

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
  const owned: Array<{ PK: string; SK: string }> = [];
  const clusters: Array<{ clusterName: string; fleet?: ClusterFleet }> = [];
  for await (const item of tenants.partitionItems(keys.account(accountId))) {
    if (item.SK === TENANT_SORT_KEY) continue;
    owned.push({ PK: item.PK as string, SK: item.SK as string });
    if ((item.SK as string).startsWith('CLUSTER#')) clusters.push(item as { clusterName: string; fleet?: ClusterFleet });
  }
  for (const cluster of clusters) {
    const live: Array<{ taskId: string; ref: BackendRef }> = [];
    for await (const item of tenants.partitionItems(keys.cluster(accountId, cluster.clusterName))) {
      owned.push({ PK: item.PK as string, SK: item.SK as string });
      if (item.kind === 'task' && item.ref && item.lastStatus !== 'STOPPED') live.push(item as { taskId: string; ref: BackendRef });
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
  await tenants.deleteItems(owned);
  await tenants.remove(tenant);
  log.info('tenant purged', { accountId, items: owned.length });
  return true;
};
