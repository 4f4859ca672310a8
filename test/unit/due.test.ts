import fc from 'fast-check';
import { dueNeedsWrite, isResyncMinute, SCHEDULE_PERIOD_MS, scheduledMinute } from '../../lib/reconciler/due';

const instant = fc.integer({ min: 0, max: 4_000_000_000_000 });
const maybe = fc.option(instant, { nil: undefined });

describe('the "next due" index', () => {
  it('never keeps a due time later than the next look needs, and clears a passed one once nothing is in flight', () => {
    fc.assert(
      fc.property(maybe, maybe, instant, (stored, desired, now) => {
        const kept = dueNeedsWrite(stored, desired, now) ? desired : stored;
        // Whatever needs a look is due no later than it needs it.
        if (desired !== undefined) expect(kept !== undefined && kept <= desired).toBe(true);
        // Nothing in flight: a passed due time does not stay to be read every minute.
        if (desired === undefined && stored !== undefined && stored <= now) expect(kept).toBeUndefined();
        // A passed due time left as it is only while the next look is within a schedule period.
        if (kept !== undefined && kept <= now && desired !== undefined) expect(desired - now).toBeLessThanOrEqual(SCHEDULE_PERIOD_MS);
        // Nothing to change, nothing written.
        if (stored === desired) expect(dueNeedsWrite(stored, desired, now)).toBe(false);
      }),
      { numRuns: 5_000, seed: 10 },
    );
  });

  it('resyncs on exactly one scheduled minute per interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 * 60 }), fc.integer({ min: 0, max: 60_000_000 }), (intervalMinutes, startMinute) => {
        const interval = intervalMinutes * SCHEDULE_PERIOD_MS;
        const minutes = Array.from({ length: intervalMinutes }, (_, index) => (startMinute + index) * SCHEDULE_PERIOD_MS);
        expect(minutes.filter((minute) => isResyncMinute(minute, interval))).toHaveLength(1);
      }),
      { numRuns: 300, seed: 10 },
    );
  });

  it("takes the minute from EventBridge's time, late or not", () => {
    expect(scheduledMinute('2026-11-30T20:00:00Z', 0)).toBe(Date.parse('2026-11-30T20:00:00Z'));
    expect(scheduledMinute('2026-11-30T20:00:42.123Z', 0)).toBe(Date.parse('2026-11-30T20:00:00Z'));
    expect(scheduledMinute(undefined, Date.parse('2026-11-30T20:01:05Z'))).toBe(Date.parse('2026-11-30T20:01:00Z'));
  });
});
