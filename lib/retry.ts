/** Waiting between attempts, for every optimistic loop in ecsbox. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter back-off: a random delay up to min(cap, base × 2^attempt). */
export const backoffDelay = (attempt: number, baseMs = 5, capMs = 200): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
