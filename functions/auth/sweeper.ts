import { purgeTenant } from '../../lib/auth/purge';
import { config } from '../../lib/config';
import { buildTenantStore, depsFor } from '../../lib/container';
import { systemClock } from '../../lib/deps';
import { log } from '../../lib/log';

const settings = config();
const tenants = buildTenantStore(settings);

/** Tenants purged per run at most: each is a few queries and batch deletes; the next run takes the rest. */
const PER_RUN = 20;

/**
 * On the schedule: deletes every expired tenant with all it owns (lib/auth/purge.ts). One tenant's
 * failure is logged and left for the next run; the others go on.
 */
export const handler = async (): Promise<{ purged: string[] }> => {
  const now = systemClock.now();
  const purged: string[] = [];
  for (const accountId of await tenants.expired(now, PER_RUN)) {
    try {
      if (await purgeTenant(tenants, depsFor(settings.accountId).fleets, settings.region, accountId, now)) purged.push(accountId);
    } catch (error) {
      log.warn('tenant purge failed', { accountId, error: error as Error });
    }
  }
  if (purged.length) log.info('expired tenants purged', { count: purged.length });
  return { purged };
};
