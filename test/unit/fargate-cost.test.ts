import fc from 'fast-check';
import { transactionWriteUnits } from '../../lib/adapters/dynamodb/consumed-capacity';
import { billedSeconds, fargateCharge, MINIMUM_BILLED_SECONDS, type BillableTask } from '../../lib/metering/fargate-cost';
import { DEFAULT_PRICES } from '../../lib/metering/prices';

const START = Date.UTC(2026, 0, 1);

/** Fargate's valid sizes (vCPU units and a memory each takes), and both architectures. */
const sized = fc.record({
  cpu: fc.constantFrom('256', '512', '1024', '2048', '4096', '8192', '16384'),
  memory: fc.constantFrom('512', '1024', '2048', '3072', '8192', '30720', '122880'),
  architecture: fc.constantFrom('X86_64' as const, 'ARM64' as const),
});

const ran = (task: Omit<BillableTask, 'pullStartedAt' | 'stoppedAt'>, ms: number): BillableTask => ({
  ...task,
  pullStartedAt: START,
  stoppedAt: START + ms,
});

describe('the would-be Fargate cost', () => {
  it('bills a minute at least, then per started second', () => {
    expect(billedSeconds(START, START)).toBe(MINIMUM_BILLED_SECONDS);
    expect(billedSeconds(START, START + 59_999)).toBe(60);
    expect(billedSeconds(START, START + 60_001)).toBe(61);
    // 0.25 vCPU and 0.5 GB on x86 for an hour: us-east-1's list prices.
    const hour = fargateCharge(ran({ cpu: '256', memory: '512', architecture: 'X86_64' }, 3_600_000), DEFAULT_PRICES, 0);
    expect(hour.usd).toBeCloseTo(0.25 * 0.04048 + 0.5 * 0.004445, 12);
    // A task never pulled was never billed; a running one is billed up to now.
    expect(fargateCharge({ architecture: 'X86_64', cpu: '256', memory: '512' }, DEFAULT_PRICES, START).usd).toBe(0);
    const running = fargateCharge({ architecture: 'ARM64', cpu: '1024', memory: '2048', pullStartedAt: START }, DEFAULT_PRICES, START + 120_000);
    expect(running.seconds).toBe(120);
  });

  it('is the one-minute price for any run up to a minute, and per second after (property)', () => {
    fc.assert(
      fc.property(sized, fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 1, max: 86_400 }), (task, short, extraSeconds) => {
        const minute = fargateCharge(ran(task, 60_000), DEFAULT_PRICES, 0);
        expect(fargateCharge(ran(task, short), DEFAULT_PRICES, 0).usd).toBe(minute.usd);
        const longer = fargateCharge(ran(task, 60_000 + extraSeconds * 1000), DEFAULT_PRICES, 0);
        expect(longer.seconds).toBe(60 + extraSeconds);
        expect(longer.usd).toBeCloseTo((minute.usd / 60) * (60 + extraSeconds), 12);
      }),
    );
  });

  it('never costs less for a longer run, more resources, or x86 over ARM (property)', () => {
    fc.assert(
      fc.property(sized, fc.nat({ max: 10 * 86_400_000 }), fc.nat({ max: 86_400_000 }), (task, ms, more) => {
        const base = fargateCharge(ran(task, ms), DEFAULT_PRICES, 0);
        expect(fargateCharge(ran(task, ms + more), DEFAULT_PRICES, 0).usd).toBeGreaterThanOrEqual(base.usd);
        const bigger = { ...task, cpu: String(Number(task.cpu) * 2), memory: String(Number(task.memory) * 2) };
        expect(fargateCharge(ran(bigger, ms), DEFAULT_PRICES, 0).usd).toBeGreaterThanOrEqual(base.usd);
        const x86 = fargateCharge(ran({ ...task, architecture: 'X86_64' }, ms), DEFAULT_PRICES, 0);
        const arm = fargateCharge(ran({ ...task, architecture: 'ARM64' }, ms), DEFAULT_PRICES, 0);
        expect(x86.usd).toBeGreaterThan(arm.usd);
      }),
    );
  });
});

describe('pricing a transaction of writes from its items', () => {
  it('charges 2 units per KB of each action, at least 2', () => {
    const small = { PK: { S: 'A#000000000000' }, SK: { S: 'ACCOUNT' } };
    expect(transactionWriteUnits([{ ConditionCheck: { Key: small } }])).toBe(2);
    const big = { ...small, blob: { S: 'x'.repeat(3000) } };
    expect(transactionWriteUnits([{ Put: { Item: big } }, { Update: { Key: small, ExpressionAttributeValues: { ':one': { N: '1' } } } }])).toBe(8);
  });
});
