import type { EpochMs } from '../domain/model';
import { log } from '../log';
import type { RequestUsage, UsageStore } from '../ports';

/** The meter's own write: one small item per account and day a flush touches, one write unit. */
const FLUSH_WRITE_UNITS = 1;

interface PendingDay {
  accountId: string;
  date: string;
  usage: RequestUsage;
  now: EpochMs;
}

/**
 * A container's requests' usage on its way to the table, off the requests' own path: `add` keeps a
 * request's figures; a flush, at most one every `flushAfterMs` (and never two at once), writes
 * everything kept, one ADD per account and day. A busy container writes its meter once per window
 * however many requests it serves; a quiet one writes each request's usage a window after it.
 *
 * Why not await each request's own write: that was a DynamoDB round trip on every request's path
 * (about 2.5 ms of 6 on the local stack), and a write unit per request. What it costs: Lambda
 * freezes a container between requests, so a window still open when its last request returns is
 * written when the container next runs, and lost if Lambda retires it first: at most the requests
 * of a container's last window (docs/cost.md, "What the meter can miss"). Hosted mode, which
 * purges accounts, waits for the write before answering (`settled`, MeterSettings.recordBeforeAnswer).
 */
export class UsageLedger {
  private pending = new Map<string, PendingDay>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<UsageStore, 'recordRequests'>,
    private readonly flushAfterMs = 100,
  ) {}

  add(accountId: string, date: string, usage: RequestUsage, now: EpochMs): void {
    const key = `${accountId}#${date}`;
    const kept = this.pending.get(key);
    this.pending.set(key, { accountId, date, now, usage: kept ? sum(kept.usage, usage) : usage });
    this.schedule();
  }

  /** Resolves once everything added before the call is written (or its write failed, and was logged). */
  async settled(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.pending.size > 0) await this.flushNow();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.pending.size === 0) return;
    // Unreferenced: a pending window never keeps a process (a test, the local stack) from exiting.
    this.timer = setTimeout(() => void this.flushNow(), this.flushAfterMs).unref();
  }

  private flushNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const days = [...this.pending.values()];
    this.pending = new Map();
    await Promise.all(
      days.map(({ accountId, date, usage, now }) =>
        this.store
          .recordRequests(accountId, date, { ...usage, writeUnits: usage.writeUnits + FLUSH_WRITE_UNITS }, now)
          .catch((error: unknown) => log.warn('usage not recorded', { accountId, date, requests: usage.requests, error: error as Error })),
      ),
    );
  }
}

const sum = (a: RequestUsage, b: RequestUsage): RequestUsage => ({
  requests: a.requests + b.requests,
  readUnits: a.readUnits + b.readUnits,
  writeUnits: a.writeUnits + b.writeUnits,
  lambdaMs: a.lambdaMs + b.lambdaMs,
  lambdaMbMs: a.lambdaMbMs + b.lambdaMbMs,
});
