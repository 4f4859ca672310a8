import { randomUUID } from 'node:crypto';
import type { ControllerLease } from '../adapters/dynamodb/controller-lease';
import type { Clock } from '../deps';
import { sleep } from '../retry';

export interface ControllerLoop {
  lease: ControllerLease;
  clock: Clock;
  /** One pass over one account. */
  pass(accountId: string): Promise<void>;
  passIntervalMs: number;
  /** Passes continue this long, then the next scheduled invocation takes over. */
  budgetMs: number;
  /** The lease outlives a pass and the sleep after it; a crashed loop's is taken over after this. */
  leaseTtlMs: number;
}

/**
 * A controller's invocation (from its schedule or a wake-up): one loop at a time holds the lease
 * and passes over every account every `passIntervalMs` for `budgetMs`; a wake-up while a loop runs
 * leaves at once, since the loop sees the change at its next pass. With no account to act on the
 * loop ends at once (the schedule costs one read a minute).
 */
export const runControllerLoop = async (loop: ControllerLoop): Promise<{ end: 'busy' | 'done'; passes: number }> => {
  const holder = randomUUID();
  const started = loop.clock.now();
  if (!(await loop.lease.acquire(holder, started, loop.leaseTtlMs))) return { end: 'busy', passes: 0 };
  let passes = 0;
  try {
    for (;;) {
      const accounts = await loop.lease.accounts();
      // Nothing to act on: the loop ends, and the wake-up after the first target or provider starts the next.
      if (accounts.length === 0) break;
      for (const accountId of accounts) await loop.pass(accountId);
      passes += 1;
      if (loop.clock.now() - started + loop.passIntervalMs > loop.budgetMs) break;
      await sleep(loop.passIntervalMs);
      if (!(await loop.lease.acquire(holder, loop.clock.now(), loop.leaseTtlMs))) break;
    }
  } finally {
    await loop.lease.release(holder);
  }
  return { end: 'done', passes };
};
