import { reconcileUntilIdle } from '../../lib/reconciler/loop';
import type { PassOutcome, Reconciler } from '../../lib/reconciler/reconciler';

/** A reconciler that answers a scripted series of passes and records what the loop did. */
const scripted = (outcomes: Array<Partial<PassOutcome>>) => {
  const calls: string[] = [];
  let index = 0;
  const reconciler = {
    pass: async (scope: string) => {
      calls.push(scope === 'resync' ? 'resync' : 'pass');
      return { busy: false, acted: 0, readUnits: 0, ...outcomes[Math.min(index++, outcomes.length - 1)] };
    },
    release: async () => {
      calls.push('release');
    },
  } as unknown as Reconciler;
  return { reconciler, calls };
};

const run = (reconciler: Reconciler, clock = { now: () => 0 }, wake = jest.fn(async () => undefined), firstPass: 'due' | 'resync' = 'due') => {
  const sleeps: number[] = [];
  return {
    sleeps,
    wake,
    end: reconcileUntilIdle(
      reconciler,
      clock,
      { wake },
      { maxSleepMs: 500, budgetMs: 90_000, followMs: 60_000 },
      async (ms) => {
        sleeps.push(ms);
      },
      firstPass,
    ),
  };
};

describe('reconcileUntilIdle', () => {
  it('leaves at once when another reconciler holds the lease', async () => {
    const { reconciler, calls } = scripted([{ busy: true }]);
    expect(await run(reconciler).end).toBe('busy');
    expect(calls).toEqual(['pass', 'release']);
  });

  it('gives its leases up and takes one last look before it leaves an idle shard', async () => {
    const { reconciler, calls } = scripted([{ nextWakeAt: undefined }]);
    expect(await run(reconciler).end).toBe('idle');
    expect(calls).toEqual(['pass', 'release', 'pass', 'release']);
  });

  it('goes on when the last look finds work', async () => {
    const { reconciler, calls } = scripted([{}, { nextWakeAt: 0, acted: 1 }, {}]);
    expect(await run(reconciler).end).toBe('idle');
    expect(calls.filter((call) => call === 'pass')).toHaveLength(4);
  });

  it('sleeps until the next change, never longer than maxSleepMs', async () => {
    const { reconciler } = scripted([{ nextWakeAt: 200 }, { nextWakeAt: 5_000 }, {}]);
    const { sleeps, end } = run(reconciler);
    await end;
    expect(sleeps).toEqual([200, 500]);
  });

  it('hands over to a fresh invocation past its budget', async () => {
    let now = 0;
    const { reconciler } = scripted([{ nextWakeAt: 1 }]);
    const clock = { now: () => (now += 30_000) };
    const { wake, end } = run(reconciler, clock);
    expect(await end).toBe('handed-over');
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it('leaves a next look further than followMs to the due index and the scheduled minute', async () => {
    const { reconciler, calls } = scripted([{ nextWakeAt: 60_001 }]);
    const { sleeps, end } = run(reconciler);
    expect(await end).toBe('idle');
    expect(calls).toEqual(['pass', 'release', 'pass', 'release']);
    expect(sleeps).toEqual([]);
  });

  it('resyncs on its first pass when asked to, and reads only what is due after', async () => {
    const { reconciler, calls } = scripted([{ nextWakeAt: 0, acted: 1 }, {}]);
    expect(await run(reconciler, undefined, undefined, 'resync').end).toBe('idle');
    expect(calls).toEqual(['resync', 'pass', 'release', 'pass', 'release']);
  });
});
