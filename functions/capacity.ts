import { config } from '../lib/config';
import { buildController } from '../lib/container';
import { capacityPass } from '../lib/controllers/capacity/controller';
import { runControllerLoop } from '../lib/controllers/loop';
import { systemClock } from '../lib/deps';
import { timeScaleOf } from '../lib/domain/load';
import { log } from '../lib/log';

const settings = config();
const { lease, depsFor } = buildController(settings, 'capacity');

/**
 * The capacity controller (lib/controllers/capacity): woken by the reconciler's scheduled minute while
 * any account has an Auto Scaling group provider (lib/controllers/scheduled.ts), and by
 * wake-ups (a provider attached or changed, a group resized, tasks waiting for capacity). One loop
 * at a time holds the lease and passes over every account's Auto Scaling group providers every 10
 * metric seconds (under a second on the fast profile) for about a minute.
 */
export const handler = () =>
  runControllerLoop({
    lease,
    clock: systemClock,
    passIntervalMs: 10_000 / timeScaleOf(settings.fleetProfile),
    budgetMs: 57_000,
    leaseTtlMs: 20_000,
    pass: async (accountId) => {
      const result = await capacityPass(depsFor(accountId), systemClock.now(), log);
      if (result.changed > 0) log.info('capacity pass changed groups', { accountId, ...result });
    },
  });
