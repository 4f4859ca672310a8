import type { EpochMs } from '../domain/model';

/**
 * A token bucket as AWS describes its own rate limits: `capacity` tokens at most (the burst), refilled
 * continuously at `refillPerSecond`. Time comes from the caller's clock and nothing here waits, so a
 * caller decides whether to sleep for the time `tryTake` names or to give up.
 *
 * The level is kept in thousandths of a token: a refill of `elapsed ms × tokens per second` is then
 * exact for whole milliseconds and whole rates, so no rounding drift can ever grant an extra token.
 */
export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
}

const MILLI = 1000;

export class TokenBucket {
  private level: number;
  private updatedAt: EpochMs;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly now: () => EpochMs,
  ) {
    if (!(options.capacity > 0) || !(options.refillPerSecond > 0)) {
      throw new Error(`TokenBucket: capacity and refillPerSecond must be positive, got ${JSON.stringify(options)}`);
    }
    this.level = options.capacity * MILLI;
    this.updatedAt = now();
  }

  /**
   * Takes `count` tokens and returns 0 when the bucket holds them; otherwise takes nothing and returns
   * the milliseconds until it will (Infinity if `count` exceeds the capacity: it never will).
   */
  tryTake(count = 1): number {
    const needed = count * MILLI;
    if (needed > this.options.capacity * MILLI) return Infinity;
    this.refill();
    if (this.level >= needed) {
      this.level -= needed;
      return 0;
    }
    return Math.ceil((needed - this.level) / this.options.refillPerSecond);
  }

  private refill(): void {
    const at = this.now();
    // A clock that steps backwards refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, at - this.updatedAt);
    this.level = Math.min(this.options.capacity * MILLI, this.level + elapsed * this.options.refillPerSecond);
    this.updatedAt = Math.max(at, this.updatedAt);
  }
}
