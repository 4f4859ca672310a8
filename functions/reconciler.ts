import { config } from '../lib/config';
import { buildReconciler } from '../lib/container';
import { systemClock } from '../lib/deps';
import { log } from '../lib/log';
import { reconcileUntilIdle, type LoopEnd } from '../lib/reconciler/loop';
import { LOOP_SETTINGS } from '../lib/reconciler/settings';
import { isTaskStateChange, type TaskEventOutcome } from '../lib/reconciler/task-events';

const settings = config();
const { newReconciler, trigger, applyTaskEvent } = buildReconciler(settings);

/** EventBridge's scheduled events say so; wake-ups after desired-state changes come from ecsbox. */
const isScheduled = (event: unknown) => (event as { source?: unknown } | undefined)?.source === 'aws.events';

/** The shard a wake-up names (the changed service's, or a fanned-out one); undefined for every shard. */
const shardNamed = (event: unknown): number | undefined => {
  const shard = (event as { shard?: unknown } | undefined)?.shard;
  return Number.isInteger(shard) && (shard as number) >= 0 && (shard as number) < settings.reconcileShards ? (shard as number) : undefined;
};

/**
 * Runs from the one-minute schedule and from wake-ups. The scheduled run collects stray backend
 * tasks that no record owns (a failure there never holds up reconciling), then, with more than one
 * shard, fans out: one asynchronous invocation per shard, each passing over its shard under its own
 * lease, so shards are reconciled in parallel. A wake-up naming a shard passes over that shard only.
 */
export const handler = async (event?: unknown): Promise<{ end: LoopEnd | 'fanned-out' } | { taskEvent: TaskEventOutcome }> => {
  // A Fargate task's state change, from ECS through EventBridge: recorded at once (task-events.ts).
  if (isTaskStateChange(event)) {
    const outcome = await applyTaskEvent(event);
    log.info('task state change applied', { outcome });
    return { taskEvent: outcome };
  }
  if (isScheduled(event)) {
    await newReconciler()
      .collectStrays()
      .catch((error: unknown) => log.warn('stray collection failed', { error: error as Error }));
    if (settings.reconcileShards > 1) {
      await Promise.all(Array.from({ length: settings.reconcileShards }, (_, shard) => trigger.wake(shard)));
      log.info('reconciler fanned out', { shards: settings.reconcileShards });
      return { end: 'fanned-out' };
    }
  }
  const reconciler = newReconciler(shardNamed(event));
  const end = await reconcileUntilIdle(reconciler, systemClock, trigger, LOOP_SETTINGS, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  log.info('reconciler finished', { end, shard: reconciler.shard });
  // A synchronous caller (the local stack's start-up wake) learns whether the pass got its shards.
  return { end };
};
