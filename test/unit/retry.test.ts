import { ConflictException } from '../../lib/errors';
import { withRetries } from '../../lib/retry';

class LostRace extends Error {}

const policy = {
  retryable: (error: unknown) => error instanceof LostRace,
  exhausted: () => new ConflictException('gave up'),
};

describe('withRetries, the one bounded retry loop', () => {
  it('retries a lost race until it succeeds', async () => {
    let calls = 0;
    const value = await withRetries(async () => {
      calls += 1;
      if (calls < 4) throw new LostRace();
      return 'done';
    }, { ...policy, attempts: 10 });
    expect({ value, calls }).toEqual({ value: 'done', calls: 4 });
  });

  it('passes a refusal through at once', async () => {
    let calls = 0;
    const refusal = new Error('refused');
    await expect(
      withRetries(async () => {
        calls += 1;
        throw refusal;
      }, { ...policy, attempts: 10 }),
    ).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });

  it('gives up after its attempts', async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls += 1;
        throw new LostRace();
      }, { ...policy, attempts: 5, baseMs: 1, capMs: 1 }),
    ).rejects.toMatchObject({ name: 'ConflictException', message: 'gave up' });
    expect(calls).toBe(5);
  });

  it('gives up when its time budget is spent, however many attempts are left', async () => {
    const started = Date.now();
    await expect(
      withRetries(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new LostRace();
      }, { ...policy, attempts: 1_000, baseMs: 5, capMs: 20, budgetMs: 200 }),
    ).rejects.toMatchObject({ name: 'ConflictException' });
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(150);
    expect(tookMs).toBeLessThan(1_000);
  });
});
