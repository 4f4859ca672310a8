import { ConflictException } from './errors';

/** Waiting between attempts, for every optimistic loop in ecsbox. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter back-off: a random delay up to min(cap, base × 2^attempt). */
export const backoffDelay = (attempt: number, baseMs = 5, capMs = 200): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/**
 * How long one request's optimistic loop may keep starting attempts, inside the API's 29 s handler
 * timeout with room for the last attempt: a caller that keeps losing a race is told to try again
 * rather than held until the gateway gives up. Races that always progress (50 registrations of one
 * family commit one by one) need this much on a loaded machine.
 */
export const RETRY_BUDGET_MS = 20_000;

export interface RetryPolicy {
  /** At most this many attempts. */
  attempts: number;
  /** Whether a failed attempt is worth another one (a lost race, not a refusal). */
  retryable: (error: unknown) => boolean;
  /** The error the caller gets when the attempts or the time run out. */
  exhausted: () => Error;
  baseMs?: number;
  capMs?: number;
  /** No attempt starts after this long since the first; RETRY_BUDGET_MS unless given. */
  budgetMs?: number;
}

/**
 * The one retry loop of ecsbox's optimistic writes: runs `attempt` until it succeeds, retrying only
 * what `retryable` accepts, after a full-jitter back-off, and never past the attempts or the time
 * budget: a storm of writers on one item thins itself out, and nobody waits unboundedly.
 */
export const withRetries = async <T>(attempt: (index: number) => Promise<T>, policy: RetryPolicy): Promise<T> => {
  const deadline = Date.now() + (policy.budgetMs ?? RETRY_BUDGET_MS);
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (!policy.retryable(error)) throw error;
      const delay = backoffDelay(index, policy.baseMs, policy.capMs);
      if (index + 1 >= policy.attempts || Date.now() + delay >= deadline) throw policy.exhausted();
      await sleep(delay);
    }
  }
};

/**
 * Read, change, write with the version read: `attempt` does all three, and a ConflictException
 * (someone wrote in between) makes it run again on fresh data, after a jittered pause. A change is
 * never lost or silently dropped: it lands, or the caller gets a ConflictException (409).
 */
export const retryOnConflict = <T>(attempt: () => Promise<T>, attempts: number, message: string): Promise<T> =>
  withRetries(attempt, {
    attempts,
    retryable: (error) => error instanceof ConflictException,
    exhausted: () => new ConflictException(message),
  });
