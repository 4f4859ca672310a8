import { ConflictException } from './errors';

/** Waiting between attempts, for every optimistic loop in ecsbox. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter back-off: a random delay up to min(cap, base × 2^attempt). */
export const backoffDelay = (attempt: number, baseMs = 5, capMs = 200): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

/**
 * Read, change, write with the version read: `attempt` does all three, and a ConflictException
 * (someone wrote in between) makes it run again on fresh data, after a jittered pause. A change is
 * never lost or silently dropped: it lands, or the caller gets a ConflictException (409).
 */
export const retryOnConflict = async <T>(attempt: () => Promise<T>, attempts: number, message: string): Promise<T> => {
  for (let index = 0; index < attempts; index++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      await sleep(backoffDelay(index));
    }
  }
  throw new ConflictException(message);
};
