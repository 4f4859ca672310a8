import { config } from '../lib/config';
import { buildController } from '../lib/container';
import { runControllerLoop } from '../lib/controllers/loop';
import { scalingPass } from '../lib/controllers/scaling/controller';
import { systemClock } from '../lib/deps';
import { timeScaleOf } from '../lib/domain/load';
import { log } from '../lib/log';

const settings = config();
const { lease, depsFor } = buildController(settings, 'scaling');

/**
 * The scaling controller (lib/controllers/scaling): woken by the reconciler's scheduled minute while any
 * account has a scalable target (lib/controllers/scheduled.ts), and by wake-ups
 * after a change to scaling (a target, a policy, a scheduled action, a load). One loop at a time
 * holds the lease and passes over every account's scalable targets once per metric minute (5 s on
 * the fast profile) for about a minute (the function's timeout is 90 s); the realistic profile
 * passes once per invocation.
 */
export const handler = () =>
  runControllerLoop({
    lease,
    clock: systemClock,
    passIntervalMs: 60_000 / timeScaleOf(settings.fleetProfile),
    budgetMs: 57_000,
    leaseTtlMs: 20_000,
    pass: async (accountId) => {
      const result = await scalingPass(depsFor(accountId), systemClock.now(), log);
      if (result.scaled > 0) log.info('scaling pass scaled', { accountId, ...result });
    },
  });
