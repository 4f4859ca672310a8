import fc from 'fast-check';
import { loadAt, type ServiceLoad } from '../../lib/domain/load';
import { ecsDatapoints, evaluateAlarm, lastPeriods, type TaskInterval } from '../../lib/domain/metrics';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const PERIOD = 5_000;

describe('the simulated load and AWS/ECS metrics', () => {
  it('moves each shape from the moment it was set (durations in metric seconds)', () => {
    const base = { cpuUtilization: 20, then: { cpuUtilization: 80 }, setAt: T0 } as const;
    const at = (load: ServiceLoad, seconds: number) => loadAt(load, T0 + (seconds * 1000) / 12, 12).cpu;
    expect(at({ ...base, shape: 'step', afterSeconds: 60 }, 59)).toBe(20);
    expect(at({ ...base, shape: 'step', afterSeconds: 60 }, 60)).toBe(80);
    expect(at({ ...base, shape: 'ramp', overSeconds: 100 }, 50)).toBeCloseTo(50);
    expect(at({ ...base, shape: 'spike', afterSeconds: 10, forSeconds: 10 }, 15)).toBe(80);
    expect(at({ ...base, shape: 'spike', afterSeconds: 10, forSeconds: 10 }, 25)).toBe(20);
    expect(at({ ...base, shape: 'sine', periodSeconds: 600 }, 300)).toBeCloseTo(80);
    expect(at({ cpuUtilization: 33, setAt: T0 }, 1000)).toBe(33);
  });

  it('shares a load between the RUNNING tasks: k tasks show about N/k each, starting ones none', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 400 }), (count, load) => {
        const tasks: TaskInterval[] = Array.from({ length: count }, (_, index) => ({ serviceName: 'web', taskId: `t${index}`, from: T0 - 60_000 }));
        // A task still starting (RUNNING only later) carries nothing yet.
        tasks.push({ serviceName: 'web', taskId: 'late', from: T0 + 10 * PERIOD });
        const loads = new Map([['web', [{ cpuUtilization: load, setAt: 0 } as ServiceLoad]]]);
        const points = ecsDatapoints({ metric: 'CPUUtilization', serviceName: 'web', start: T0, end: T0 + 3 * PERIOD, periodMs: PERIOD, now: T0 + 3 * PERIOD, scale: 12 }, tasks, loads);
        expect(points).toHaveLength(3);
        for (const point of points) {
          expect(Math.abs(point.Average - load / count)).toBeLessThanOrEqual((load / count) * 0.03 + 0.001);
          expect(point.SampleCount).toBe(6 * count);
        }
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });

  it('has no datapoint where no task ran, and none in the future', () => {
    const tasks: TaskInterval[] = [{ serviceName: 'web', taskId: 'a', from: T0 + 2 * PERIOD, until: T0 + 3 * PERIOD }];
    const points = ecsDatapoints({ metric: 'MemoryUtilization', start: T0, end: T0 + 10 * PERIOD, periodMs: PERIOD, now: T0 + 5 * PERIOD, scale: 12 }, tasks, new Map());
    expect(points.map((point) => point.Timestamp)).toEqual([T0 + 2 * PERIOD]);
  });

  it('evaluates an alarm on its last complete periods', () => {
    const rule = { ComparisonOperator: 'GreaterThanThreshold' as const, Threshold: 50, EvaluationPeriods: 3 };
    expect(evaluateAlarm(rule, [60, 70, 80]).state).toBe('ALARM');
    expect(evaluateAlarm(rule, [60, 40, 80]).state).toBe('OK');
    expect(evaluateAlarm(rule, [undefined, undefined, undefined]).state).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm({ ...rule, DatapointsToAlarm: 2 }, [60, 40, 80]).state).toBe('ALARM');
    expect(evaluateAlarm({ ...rule, TreatMissingData: 'breaching' }, [60, undefined, 80]).state).toBe('ALARM');
    const points = [1, 2, 3].map((index) => ({ Timestamp: T0 + index * PERIOD, Average: index, Minimum: 0, Maximum: 0, Sum: 0, SampleCount: 1, Unit: 'Percent' }));
    // At T0 + 4.5 periods the period starting at 4 is not complete: the last three are 1, 2, 3.
    expect(lastPeriods(points, 'Average', PERIOD, 3, T0 + 4.5 * PERIOD)).toEqual([1, 2, 3]);
    expect(lastPeriods(points, 'Average', PERIOD, 3, T0 + 5.5 * PERIOD)).toEqual([2, 3, undefined]);
  });
});
