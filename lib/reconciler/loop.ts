import type { Clock } from '../deps';
import type { EpochMs } from '../domain/model';
import type { ReconcileTrigger } from '../ports';
import type { PassScope, Reconciler } from './reconciler';

export interface LoopSettings {
  maxSleepMs: number;
  budgetMs: number;
  /**
   * How far ahead the loop follows what is in flight. A next look further away is left to the
   * "next due" index and the scheduled minute, so no invocation sleeps through a long back-off.
   */
  followMs: number;
}

export type LoopEnd = 'idle' | 'busy' | 'handed-over';

/**
 * Runs passes while anything is in flight, sleeping until the next expected change (never longer
 * than maxSleepMs, so API writes are noticed promptly), and stops when all is quiet or the next
 * change is further than followMs away: what is due later waits in the "next due" index for the
 * scheduled minute. The first pass is `firstPass` (a resync when the invocation asks for one); every
 * later pass reads only what is due. Past its budget it hands over to a fresh invocation rather
 * than running into the Lambda timeout.
 *
 * An invocation that finds a lease taken leaves at once: the holder is working and will see the
 * change. The holder, before it leaves, gives its leases up and then takes one last look, so a
 * change that an invocation could not act on because of the lease is never left behind.
 */
export const reconcileUntilIdle = async (
  reconciler: Reconciler,
  clock: Clock,
  trigger: ReconcileTrigger,
  settings: LoopSettings,
  sleep: (ms: number) => Promise<void>,
  firstPass: PassScope = 'due',
): Promise<LoopEnd> => {
  const started = clock.now();
  const followed = (nextWakeAt: EpochMs | undefined) => nextWakeAt !== undefined && nextWakeAt - clock.now() <= settings.followMs;
  try {
    let scope = firstPass;
    for (;;) {
      const outcome = await reconciler.pass(scope);
      scope = 'due';
      if (outcome.busy) return 'busy';
      if (!followed(outcome.nextWakeAt)) {
        await reconciler.release();
        const last = await reconciler.pass('due');
        if (last.busy) return 'busy';
        if (!followed(last.nextWakeAt)) return 'idle';
        continue;
      }
      const now = clock.now();
      if (now - started >= settings.budgetMs) {
        await reconciler.release();
        await trigger.wake(reconciler.shard);
        return 'handed-over';
      }
      await sleep(Math.max(0, Math.min(settings.maxSleepMs, outcome.nextWakeAt! - now)));
    }
  } finally {
    await reconciler.release();
  }
};
