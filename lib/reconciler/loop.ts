import type { Clock } from '../deps';
import type { ReconcileTrigger } from '../ports';
import type { Reconciler } from './reconciler';

export interface LoopSettings {
  maxSleepMs: number;
  budgetMs: number;
}

export type LoopEnd = 'idle' | 'busy' | 'handed-over';

/**
 * Runs passes while anything is in flight, sleeping until the next expected change (never longer
 * than maxSleepMs, so API writes are noticed promptly), and stops when all is quiet: an idle
 * sandbox costs one read per wake-up and no busy loop. Past its budget it hands over to a fresh
 * invocation rather than running into the Lambda timeout.
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
): Promise<LoopEnd> => {
  const started = clock.now();
  try {
    for (;;) {
      const outcome = await reconciler.pass();
      if (outcome.busy) return 'busy';
      const now = clock.now();
      if (outcome.nextWakeAt === undefined) {
        await reconciler.release();
        const last = await reconciler.pass();
        if (last.busy) return 'busy';
        if (last.nextWakeAt === undefined) return 'idle';
        continue;
      }
      if (now - started >= settings.budgetMs) {
        await reconciler.release();
        await trigger.wake(reconciler.shard);
        return 'handed-over';
      }
      await sleep(Math.max(0, Math.min(settings.maxSleepMs, outcome.nextWakeAt - now)));
    }
  } finally {
    await reconciler.release();
  }
};
