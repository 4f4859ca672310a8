import { config } from '../lib/config';
import { buildReconciler } from '../lib/container';
import { systemClock } from '../lib/deps';
import { log } from '../lib/log';
import { wakeControllersWithWork } from '../lib/controllers/scheduled';
import { isResyncMinute, scheduledMinute } from '../lib/reconciler/due';
import { reconcileUntilIdle, type LoopEnd } from '../lib/reconciler/loop';
import type { PassScope } from '../lib/reconciler/reconciler';
import { LOOP_SETTINGS } from '../lib/reconciler/settings';
import { isTaskStateChange, type TaskEventOutcome } from '../lib/reconciler/task-events';

const settings = config();
const { store, newReconciler, trigger, applyTaskEvent, controllers } = buildReconciler(settings);

type Invocation = { source?: unknown; shard?: unknown; resync?: unknown; time?: unknown } | undefined;

/** EventBridge's scheduled events say so; wake-ups after desired-state changes come from ecsbox. */
const isScheduled = (event: Invocation) => event?.source === 'aws.events';

/** The shard a wake-up names (the changed service's, or a fanned-out one); undefined for every shard. */
const shardNamed = (event: Invocation): number | undefined => {
  const shard = event?.shard;
  return Number.isInteger(shard) && (shard as number) >= 0 && (shard as number) < settings.reconcileShards ? (shard as number) : undefined;
};

const everyShard = () => Array.from({ length: settings.reconcileShards }, (_, shard) => shard);

/**
 * Runs from the one-minute schedule and from wake-ups.
 *
 * A scheduled minute reads the "next due" index (one small read per shard) and wakes only the
 * shards with something due by now: a steady fleet costs those reads and nothing else. Once every
 * RECONCILE_RESYNC_MINUTES the minute is a resync instead: it collects stray backend tasks that no
 * record owns (a failure there never holds up reconciling) and wakes every shard for a full
 * level-triggered pass. Each shard is its own asynchronous invocation under its own lease, so
 * shards are reconciled in parallel; with one shard the scheduled run reconciles it itself.
 *
 * The same minute wakes the scaling and capacity controllers when any account has scalable targets
 * or capacity providers (lib/controllers/scheduled.ts): they have no schedule of their own.
 *
 * A wake-up naming a shard reads that shard's due work (or all of it when it says `resync`); one
 * naming none (the local stack's start-up wake) resyncs every shard.
 */
export const handler = async (event?: Invocation): Promise<{ end: LoopEnd | 'fanned-out' } | { taskEvent: TaskEventOutcome }> => {
  // A Fargate task's state change, from ECS through EventBridge: recorded at once (task-events.ts).
  if (isTaskStateChange(event)) {
    const outcome = await applyTaskEvent(event);
    log.info('task state change applied', { outcome });
    return { taskEvent: outcome };
  }
  let scope: PassScope = event?.resync === true || shardNamed(event) === undefined ? 'resync' : 'due';
  let collecting: Promise<unknown> | undefined;
  // A scheduled minute also wakes the controllers that have work, beside the shards' passes.
  const waking = isScheduled(event)
    ? wakeControllersWithWork(controllers)
        .then((woken) => woken.length > 0 && log.info('controllers woken', { controllers: woken }))
        .catch((error: unknown) => log.warn('controllers not woken', { error: error as Error }))
    : undefined;
  if (isScheduled(event)) {
    const now = systemClock.now();
    const resync = isResyncMinute(scheduledMinute(event?.time, now), settings.reconcileResyncMs);
    // The stray collection reads every shard: it runs beside the shards' passes, never ahead of them.
    collecting = resync
      ? newReconciler()
          .collectStrays()
          .catch((error: unknown) => log.warn('stray collection failed', { error: error as Error }))
      : undefined;
    const shards = resync ? everyShard() : await store.dueShards(now);
    if (settings.reconcileShards > 1 || !shards.length) {
      await Promise.all(shards.map((shard) => trigger.wake(shard, { resync })));
      // A quiet minute logs nothing of ours (43,200 lines, about $0.003 a month of an idle stage's logs).
      if (shards.length > 0) log.info('reconciler fanned out', { shards, resync });
      await Promise.all([collecting, waking]);
      return { end: 'fanned-out' };
    }
    scope = resync ? 'resync' : 'due';
  }
  const reconciler = newReconciler(isScheduled(event) ? undefined : shardNamed(event));
  const end = await reconcileUntilIdle(
    reconciler,
    systemClock,
    trigger,
    LOOP_SETTINGS,
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    scope,
  );
  await Promise.all([collecting, waking]);
  log.info('reconciler finished', { end, shard: reconciler.shard, scope });
  // A synchronous caller (the local stack's start-up wake) learns whether the pass got its shards.
  return { end };
};
