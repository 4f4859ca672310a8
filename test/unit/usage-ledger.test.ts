import fc from 'fast-check';
import { UsageLedger } from '../../lib/metering/usage-ledger';
import type { RequestUsage } from '../../lib/ports';

/** A store whose writes take as long as the test says, recording what reached it. */
class SlowStore {
  writes: { accountId: string; date: string; usage: RequestUsage }[] = [];
  private delays: number[];
  constructor(delays: number[], private readonly failing = new Set<number>()) {
    this.delays = [...delays];
  }
  async recordRequests(accountId: string, date: string, usage: RequestUsage): Promise<void> {
    const index = this.writes.length + this.failed;
    await new Promise((resolve) => setTimeout(resolve, this.delays.shift() ?? 0));
    if (this.failing.has(index)) {
      this.failed += 1;
      throw new Error('throttled');
    }
    this.writes.push({ accountId, date, usage });
  }
  failed = 0;
}

const oneRequest = (readUnits: number): RequestUsage => ({ requests: 1, readUnits, writeUnits: 2, lambdaMs: 3, lambdaMbMs: 3 * 1024 });

const totals = (writes: SlowStore['writes'], accountId: string) =>
  writes.filter((write) => write.accountId === accountId).reduce((sum, { usage }) => ({ requests: sum.requests + usage.requests, readUnits: sum.readUnits + usage.readUnits }), { requests: 0, readUnits: 0 });

describe('the usage ledger', () => {
  it('writes every added request exactly once, per account and day, in fewer writes than requests when they overlap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ account: fc.constantFrom('a', 'b'), units: fc.nat(9), gapMs: fc.constantFrom(0, 0, 1, 3) }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(4), { maxLength: 40 }),
        async (requests, delays) => {
          const store = new SlowStore(delays);
          const ledger = new UsageLedger(store, 2);
          for (const { account, units, gapMs } of requests) {
            ledger.add(account, '2026-12-01', oneRequest(units), 0);
            if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
          }
          await ledger.settled();
          for (const account of ['a', 'b']) {
            const mine = requests.filter((request) => request.account === account);
            expect(totals(store.writes, account)).toEqual({ requests: mine.length, readUnits: mine.reduce((sum, request) => sum + request.units, 0) });
          }
          // Each write carries the meter's own unit on top of what the requests wrote.
          const requestWriteUnits = store.writes.reduce((sum, { usage }) => sum + usage.writeUnits - 2 * usage.requests, 0);
          expect(requestWriteUnits).toBe(store.writes.length);
          expect(store.writes.length).toBeLessThanOrEqual(requests.length);
        },
      ),
      { numRuns: 60, seed: 1201 },
    );
  });

  it('adds nothing twice and keeps going after a failed write (the failure is logged, the request never fails)', async () => {
    const store = new SlowStore([2, 2, 2], new Set([0]));
    const ledger = new UsageLedger(store, 1);
    ledger.add('a', '2026-12-01', oneRequest(1), 0);
    await ledger.settled();
    ledger.add('a', '2026-12-01', oneRequest(5), 0);
    ledger.add('a', '2026-12-02', oneRequest(7), 0);
    await ledger.settled();
    expect(store.failed).toBe(1);
    expect(store.writes.map(({ date, usage }) => [date, usage.requests, usage.readUnits])).toEqual([
      ['2026-12-01', 1, 5],
      ['2026-12-02', 1, 7],
    ]);
  });

  it('writes at most once a window, what arrived in it and while the previous write was in flight together', async () => {
    const store = new SlowStore([20, 0, 0]);
    const ledger = new UsageLedger(store, 5);
    ledger.add('a', '2026-12-01', oneRequest(1), 0);
    ledger.add('a', '2026-12-01', oneRequest(1), 0);
    expect(store.writes).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The first window's write is in flight (20 ms): what arrives now waits for it, then a window.
    for (let request = 0; request < 5; request++) ledger.add('a', '2026-12-01', oneRequest(1), 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(store.writes.map(({ usage }) => usage.requests)).toEqual([2, 5]);
    // settled() does not wait for a window: it writes what is kept at once.
    ledger.add('a', '2026-12-01', oneRequest(1), 0);
    await ledger.settled();
    expect(store.writes.map(({ usage }) => usage.requests)).toEqual([2, 5, 1]);
  });
});
