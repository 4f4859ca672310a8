import { config } from '../lib/config';
import { buildReconciler } from '../lib/container';
import { systemClock } from '../lib/deps';
import { log } from '../lib/log';
import { reconcileUntilIdle, type LoopEnd } from '../lib/reconciler/loop';
import { LOOP_SETTINGS } from '../lib/reconciler/settings';

const { newReconciler, trigger } = buildReconciler(config());

/** EventBridge's scheduled events say so; wake-ups after desired-state changes come from ecsbox. */
const isScheduled = (event: unknown) => (event as { source?: unknown } | undefined)?.source === 'aws.events';

/**
 * Runs from the one-minute schedule and from wake-ups after desired-state changes. The scheduled
 * run also collects stray backend tasks that no record owns; a failure there never holds up
 * reconciling.
 */
export const handler = async (event?: unknown): Promise<{ end: LoopEnd }> => {
  const reconciler = newReconciler();
  if (isScheduled(event)) {
    await reconciler.collectStrays().catch((error: unknown) => log.warn('stray collection failed', { error: error as Error }));
  }
  const end = await reconcileUntilIdle(reconciler, systemClock, trigger, LOOP_SETTINGS, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  log.info('reconciler finished', { end });
  // A synchronous caller (the local stack's start-up wake) learns whether the pass got its shards.
  return { end };
};
