import { randomUUID } from 'node:crypto';
import { config } from '../lib/config';
import { buildScaling } from '../lib/container';
import { scalingPass } from '../lib/controllers/scaling/controller';
import { systemClock } from '../lib/deps';
import { timeScaleOf } from '../lib/domain/load';
import { log } from '../lib/log';
import { sleep } from '../lib/retry';

const settings = config();
const { lease, depsFor } = buildScaling(settings);

/** A metric minute in real time: a pass per metric minute is as often as alarms can change. */
const PASS_INTERVAL_MS = 60_000 / timeScaleOf(settings.fleetProfile);
/** Passes continue this long, then the next scheduled minute takes over (the function's timeout is 90 s). */
const BUDGET_MS = 57_000;
/** The lease outlives a pass and the sleep after it; a crashed loop's is taken over after this. */
const LEASE_TTL_MS = 20_000;

/**
 * The scaling controller (lib/controllers/scaling): from the one-minute schedule and from wake-ups
 * after a change to scaling (a target, a policy, a scheduled action, a load). One loop at a time
 * holds the lease and passes over every account's scalable targets once per metric minute (5 s on
 * the fast profile) for about a minute; the realistic profile passes once per invocation. A
 * wake-up while a loop runs leaves at once: the loop sees the change at its next pass.
 */
export const handler = async (): Promise<{ end: 'busy' | 'done'; passes: number }> => {
  const holder = randomUUID();
  const started = systemClock.now();
  if (!(await lease.acquire(holder, started, LEASE_TTL_MS))) return { end: 'busy', passes: 0 };
  let passes = 0;
  try {
    for (;;) {
      for (const accountId of await lease.accounts()) {
        const result = await scalingPass(depsFor(accountId), systemClock.now(), log);
        if (result.scaled > 0) log.info('scaling pass scaled', { accountId, ...result });
      }
      passes += 1;
      if (systemClock.now() - started + PASS_INTERVAL_MS > BUDGET_MS) break;
      await sleep(PASS_INTERVAL_MS);
      if (!(await lease.acquire(holder, systemClock.now(), LEASE_TTL_MS))) break;
    }
  } finally {
    await lease.release(holder);
  }
  return { end: 'done', passes };
};
