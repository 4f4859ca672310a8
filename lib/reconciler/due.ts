import type { EpochMs } from '../domain/model';

/** The scheduled run's period: a due time no further away is met at the latest by the next minute. */
export const SCHEDULE_PERIOD_MS = 60_000;

/**
 * Whether an item's stored due time (the "next due" index) must be rewritten after a pass that had
 * nothing else to write about it. The index must never hold a due time later than when the item next
 * needs a look (else a change could wait for the hourly resync), so an earlier `desired` is always
 * written. A due time already passed (`stored <= now`: the reason the item was read) is cleared once
 * nothing is in flight, and moved on when the next look is more than a schedule period away; a nearer
 * one is left as it is: the item is read again until then, cheaper than a write (a due-only write of
 * a service item costs about 7 write units with the indexes that project it, a read of it half a unit).
 */
export const dueNeedsWrite = (stored: EpochMs | undefined, desired: EpochMs | undefined, now: EpochMs): boolean => {
  if (desired !== undefined && (stored === undefined || desired < stored)) return true;
  return stored !== undefined && stored <= now && (desired === undefined || desired > now + SCHEDULE_PERIOD_MS);
};

/**
 * Whether the scheduled minute starting at `minute` (epoch ms) is the one that resyncs: the first
 * minute of each interval since the epoch, so exactly one scheduled minute per interval resyncs,
 * whichever invocation runs it and however late it starts within its minute.
 */
export const isResyncMinute = (minute: EpochMs, intervalMs: number): boolean =>
  Math.floor(minute / intervalMs) !== Math.floor((minute - SCHEDULE_PERIOD_MS) / intervalMs);

/** The minute a scheduled event is for (EventBridge's `time`), or the current one. */
export const scheduledMinute = (time: unknown, now: EpochMs): EpochMs => {
  const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Math.floor((Number.isNaN(at) ? now : at) / SCHEDULE_PERIOD_MS) * SCHEDULE_PERIOD_MS;
};
