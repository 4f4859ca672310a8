import { config } from '../lib/config';
import { buildReconciler } from '../lib/container';
import { systemClock } from '../lib/deps';
import { log } from '../lib/log';
import { reconcileUntilIdle } from '../lib/reconciler/loop';
import { LOOP_SETTINGS } from '../lib/reconciler/settings';

const { newReconciler, trigger } = buildReconciler(config());

/** Runs from the one-minute schedule and from wake-ups after desired-state changes. */
export const handler = async (): Promise<void> => {
  const end = await reconcileUntilIdle(newReconciler(), systemClock, trigger, LOOP_SETTINGS, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  log.info('reconciler finished', { end });
};
