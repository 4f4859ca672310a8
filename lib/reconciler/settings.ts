import { SCHEDULE_PERIOD_MS } from './due';
import type { ReconcilerSettings } from './reconciler';

/**
 * Reconciler timings per fleet profile. The fast profile compresses ECS's waits so that a local
 * deployment finishes in seconds; the realistic one keeps ECS's (40 s before a task without health
 * checks counts as healthy, back-off up to about 15 minutes).
 */
export const reconcilerSettings = (profile: 'fast' | 'realistic', shards: number): ReconcilerSettings => ({
  shards,
  leaseTtlMs: 15_000,
  servicesAtOnce: 8,
  plan:
    profile === 'fast'
      ? {
          healthySettleMs: 500,
          backoffBaseMs: 500,
          backoffCapMs: 30_000,
          maxLaunchesPerPass: 10,
          maxStopsPerPass: 10,
          pollIntervalMs: 500,
        }
      : {
          healthySettleMs: 40_000,
          backoffBaseMs: 10_000,
          backoffCapMs: 15 * 60_000,
          maxLaunchesPerPass: 10,
          maxStopsPerPass: 10,
          pollIntervalMs: 2_000,
        },
});

/** How a reconciler invocation paces itself while work is in flight. */
export const LOOP_SETTINGS = {
  /** Longest sleep between passes while anything is in flight: the latency of noticing API writes. */
  maxSleepMs: 500,
  /** Time spent in one invocation before handing over to a fresh one. */
  budgetMs: 90_000,
  /** Next looks further away than the schedule's period wait in the "next due" index. */
  followMs: SCHEDULE_PERIOD_MS,
};
