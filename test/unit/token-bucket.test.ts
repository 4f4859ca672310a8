import fc from 'fast-check';
import { TokenBucket } from '../../lib/fleet/token-bucket';

const T0 = Date.UTC(2026, 0, 1);

function bucketAt(capacity: number, refillPerSecond: number) {
  let now = T0;
  const bucket = new TokenBucket({ capacity, refillPerSecond }, () => now);
  return {
    bucket,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it("grants Fargate's burst of 100, then 20 per second", () => {
    const { bucket, advance } = bucketAt(100, 20);
    for (let i = 0; i < 100; i++) expect(bucket.tryTake()).toBe(0);
    expect(bucket.tryTake()).toBe(50);
    advance(49);
    expect(bucket.tryTake()).toBe(1);
    advance(1);
    expect(bucket.tryTake()).toBe(0);

    advance(1_000);
    let granted = 0;
    while (bucket.tryTake() === 0) granted++;
    expect(granted).toBe(20);
  });

  it('refills no further than its capacity', () => {
    const { bucket, advance } = bucketAt(5, 20);
    advance(60_000);
    expect(bucket.tryTake(5)).toBe(0);
    expect(bucket.tryTake()).toBe(50);
  });

  it('names Infinity for more tokens than it can ever hold, and takes nothing', () => {
    const { bucket } = bucketAt(10, 1);
    expect(bucket.tryTake(11)).toBe(Infinity);
    expect(bucket.tryTake(10)).toBe(0);
  });

  it('refills nothing, and loses nothing, when the clock steps backwards', () => {
    const { bucket, advance } = bucketAt(2, 1);
    bucket.tryTake(2);
    advance(-5_000);
    expect(bucket.tryTake()).toBe(1_000);
    advance(5_000 + 1_000);
    expect(bucket.tryTake()).toBe(0);
  });

  it('rejects a bucket that could never grant anything', () => {
    expect(() => bucketAt(0, 20)).toThrow(/positive/);
    expect(() => bucketAt(100, 0)).toThrow(/positive/);
  });

  const steps = fc.array(
    fc.record({ advance: fc.integer({ min: 0, max: 3_000 }), take: fc.integer({ min: 1, max: 40 }) }),
    { maxLength: 200 },
  );

  it('never grants more than burst + rate × elapsed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), steps, (capacity, rate, plan) => {
        const { bucket, advance } = bucketAt(capacity, rate);
        let elapsed = 0;
        let granted = 0;
        for (const step of plan) {
          advance(step.advance);
          elapsed += step.advance;
          if (bucket.tryTake(step.take) === 0) granted += step.take;
          expect(granted).toBeLessThanOrEqual(capacity + (rate * elapsed) / 1000);
        }
      }),
    );
  });

  it('grants once the wait it named has passed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), steps, (capacity, rate, plan) => {
        const { bucket, advance } = bucketAt(capacity, rate);
        for (const step of plan) {
          advance(step.advance);
          const wait = bucket.tryTake(step.take);
          if (wait === 0 || wait === Infinity) continue;
          advance(wait);
          expect(bucket.tryTake(step.take)).toBe(0);
        }
      }),
    );
  });
});
