import type { Clock } from '../deps';
import type { ReconcileTrigger } from '../ports';
import type { Reconciler } from './reconciler';

export interface LoopSettings {
  maxSleepMs: number;
  busyWaitMs: number;
  busyRetryMs: number;
  budgetMs: number;
}

export type LoopEnd = 'idle' | 'busy' | 'handed-over';

/**
 * Runs passes while anything is in flight, sleeping until the next expected change (never longer
 * than maxSleepMs, so API writes are noticed promptly), and stops when all is quiet: an idle
 * sandbox costs one read per wake-up and no busy loop. Past its budget it hands over to a fresh
 * invocation rather than running into the Lambda timeout.
 */
export const reconcileUntilIdle = async (
  reconciler: Reconciler,
  clock: Clock,
  trigger: ReconcileTrigger,
  settings: LoopSettings,
  sleep: (ms: number) => Promise<void>,
): Promise<LoopEnd> => {
  const started = clock.now();
  let busySince: number | undefined;
  try {
    for (;;) {
      const outcome = await reconciler.pass();
      const now = clock.now();
      if (outcome.busy) {
        busySince ??= now;
        // The holder is working and will see whatever woke us; wait a little in case it is just leaving.
        if (now - busySince >= settings.busyWaitMs) return 'busy';
        await sleep(settings.busyRetryMs);
        continue;
      }
      busySince = undefined;
      if (outcome.nextWakeAt === undefined) return 'idle';
      if (now - started >= settings.budgetMs) {
        await reconciler.release();
        await trigger.wake();
        return 'handed-over';
      }
      await sleep(Math.max(0, Math.min(settings.maxSleepMs, outcome.nextWakeAt - now)));
    }
  } finally {
    await reconciler.release();
  }
};
