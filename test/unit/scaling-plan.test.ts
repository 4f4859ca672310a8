import fc from 'fast-check';
import { plan, type ObservedAlarm } from '../../lib/controllers/scaling/plan';
import { instantOf, lastDue } from '../../lib/controllers/scaling/schedule';
import type { Alarm } from '../../lib/domain/cloudwatch';
import type { AlarmState } from '../../lib/domain/metrics';
import { managedAlarmNames, type ScalableTarget, type ScalingPolicy } from '../../lib/domain/scaling';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const SCALE = 12;

const trackingPolicy = (name: string, target: number, options: Partial<NonNullable<ScalingPolicy['TargetTrackingScalingPolicyConfiguration']>> = {}): ScalingPolicy => {
  const PolicyARN = `arn:policy/${name}`;
  const names = managedAlarmNames('service/c/s', PolicyARN);
  return {
    PolicyARN,
    PolicyName: name,
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: { TargetValue: target, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ...options },
    Alarms: [names.high, names.low].map((AlarmName) => ({ AlarmName, AlarmARN: `arn:alarm:${AlarmName}` })),
    CreationTime: 0,
  };
};

const alarmOf = (name: string, threshold: number, actions: string[], comparison: Alarm['ComparisonOperator'] = 'GreaterThanThreshold'): Alarm => ({
  AlarmName: name,
  AlarmArn: `arn:alarm:${name}`,
  Namespace: 'AWS/ECS',
  MetricName: 'CPUUtilization',
  Dimensions: [],
  ActionsEnabled: true,
  OKActions: [],
  AlarmActions: actions,
  InsufficientDataActions: [],
  StateValue: 'INSUFFICIENT_DATA',
  StateReason: '',
  StateUpdatedTimestamp: 0,
  AlarmConfigurationUpdatedTimestamp: 0,
  Statistic: 'Average',
  Period: 60,
  EvaluationPeriods: 3,
  Threshold: threshold,
  ComparisonOperator: comparison,
});

const targetOf = (policies: ScalingPolicy[], min: number, max: number, controller = {}): ScalableTarget => ({
  clusterName: 'c',
  serviceName: 's',
  ScalableTargetARN: 'arn:target',
  MinCapacity: min,
  MaxCapacity: max,
  RoleARN: 'arn:role',
  SuspendedState: {},
  CreationTime: 0,
  policies,
  scheduledActions: [],
  tags: {},
  controller: { scheduledCheckedAt: NOW - 60_000, ...controller },
  version: 1,
});

/** What target tracking's alarms show for a per-task metric: AlarmHigh over 3, AlarmLow over 15. */
const trackingAlarms = (policy: ScalingPolicy, perTask: number, dataState?: AlarmState): ObservedAlarm[] => {
  const target = policy.TargetTrackingScalingPolicyConfiguration!.TargetValue;
  const [high, low] = policy.Alarms;
  return [
    { alarm: alarmOf(high.AlarmName, target, [policy.PolicyARN]), state: dataState ?? (perTask > target ? 'ALARM' : 'OK'), values: dataState ? [] : [perTask, perTask, perTask] },
    {
      alarm: alarmOf(low.AlarmName, target * 0.9, [policy.PolicyARN], 'LessThanThreshold'),
      state: dataState ?? (perTask < target * 0.9 ? 'ALARM' : 'OK'),
      values: dataState ? [] : Array(15).fill(perTask),
    },
  ];
};

const alarmState = fc.constantFrom<AlarmState>('OK', 'ALARM', 'INSUFFICIENT_DATA');

/** Any set of target-tracking and step policies, any alarm states and values, any bounds and count. */
const anySituation = fc
  .record({
    targets: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
    steps: fc.array(fc.record({ adjustment: fc.integer({ min: -5, max: 5 }), type: fc.constantFrom('ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity') as fc.Arbitrary<'ChangeInCapacity'> }), { maxLength: 2 }),
    states: fc.array(alarmState, { minLength: 10, maxLength: 10 }),
    values: fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 10, maxLength: 10 }),
    min: fc.integer({ min: 0, max: 20 }),
    span: fc.integer({ min: 0, max: 20 }),
    current: fc.integer({ min: 0, max: 60 }),
    sinceLastMs: fc.integer({ min: 0, max: 600_000 }),
    disableScaleIn: fc.boolean(),
  })
  .map((situation) => {
    const policies: ScalingPolicy[] = situation.targets.map((target, index) => trackingPolicy(`tt${index}`, target, { DisableScaleIn: situation.disableScaleIn && index === 0 }));
    situation.steps.forEach((step, index) =>
      policies.push({
        PolicyARN: `arn:policy/step${index}`,
        PolicyName: `step${index}`,
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: { AdjustmentType: step.type, StepAdjustments: [{ ScalingAdjustment: step.adjustment }], Cooldown: 60 },
        Alarms: [],
        CreationTime: 0,
      }),
    );
    const alarms: ObservedAlarm[] = policies.flatMap((policy, index) =>
      policy.PolicyType === 'TargetTrackingScaling'
        ? policy.Alarms.map((alarm, which) => ({
            alarm: alarmOf(alarm.AlarmName, 50, [policy.PolicyARN], which === 0 ? 'GreaterThanThreshold' : 'LessThanThreshold'),
            state: situation.states[(index * 2 + which) % 10],
            values: situation.states[(index * 2 + which) % 10] === 'INSUFFICIENT_DATA' ? [] : [situation.values[(index * 2 + which) % 10]],
          }))
        : [{ alarm: alarmOf(`user-${index}`, 50, [policy.PolicyARN]), state: situation.states[index % 10], values: [situation.values[index % 10]] }],
    );
    const last = Object.fromEntries(policies.map((policy) => [policy.PolicyName, NOW - situation.sinceLastMs]));
    return { ...situation, policies, alarms, last };
  });

describe('the scaling planner', () => {
  it('always holds min and max', () => {
    fc.assert(
      fc.property(anySituation, (situation) => {
        const target = targetOf(situation.policies, situation.min, situation.min + situation.span, { lastScaleOut: situation.last, lastScaleIn: situation.last });
        const decision = plan(target, { desiredCount: situation.current, alarms: situation.alarms, timeScale: SCALE }, NOW);
        if (decision.capacity) {
          expect(decision.capacity.to).toBeGreaterThanOrEqual(target.MinCapacity);
          expect(decision.capacity.to).toBeLessThanOrEqual(target.MaxCapacity);
          expect(decision.capacity.from).toBe(situation.current);
          expect(decision.capacity.to).not.toBe(situation.current);
        } else {
          // No move leaves a count outside the bounds.
          expect(situation.current >= target.MinCapacity && situation.current <= target.MaxCapacity).toBe(true);
        }
      }),
      { seed: 20261130, numRuns: 3000 },
    );
  });

  it('acts on nothing while every alarm lacks data', () => {
    fc.assert(
      fc.property(anySituation, (situation) => {
        const alarms = situation.alarms.map((alarm) => ({ ...alarm, state: 'INSUFFICIENT_DATA' as const, values: [] }));
        const current = situation.min + Math.floor(situation.span / 2);
        const decision = plan(targetOf(situation.policies, situation.min, situation.min + situation.span), { desiredCount: current, alarms, timeScale: SCALE }, NOW);
        expect(decision.capacity).toBeUndefined();
      }),
      { seed: 20261130, numRuns: 1000 },
    );
  });

  it('never moves a policy inside its cooldown (time-scaled: 300 s is 25 s on the fast profile)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 51, max: 500, noNaN: true }), fc.integer({ min: 0, max: 24_999 }), (current, perTask, since) => {
        const policy = trackingPolicy('cpu', 50);
        const target = targetOf([policy], 0, 1000, { lastScaleOut: { cpu: NOW - since } });
        expect(plan(target, { desiredCount: current, alarms: trackingAlarms(policy, perTask), timeScale: SCALE }, NOW).capacity).toBeUndefined();
        const later = plan(target, { desiredCount: current, alarms: trackingAlarms(policy, perTask), timeScale: SCALE }, NOW - since + 25_000);
        expect(later.capacity?.to).toBe(Math.ceil((current * perTask) / 50));
      }),
      { seed: 20261130, numRuns: 1000 },
    );
  });

  it('takes the largest capacity when several policies scale out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.record({ target: fc.integer({ min: 10, max: 90 }), perTask: fc.integer({ min: 0, max: 300 }) }), { minLength: 2, maxLength: 4 }), (current, wants) => {
        const policies = wants.map((want, index) => trackingPolicy(`p${index}`, want.target));
        const alarms = policies.flatMap((policy, index) => trackingAlarms(policy, wants[index].perTask));
        const decision = plan(targetOf(policies, 0, 10_000), { desiredCount: current, alarms, timeScale: SCALE }, NOW);
        const outs = wants.filter((want) => want.perTask > want.target).map((want) => Math.ceil((current * want.perTask) / want.target)).filter((capacity) => capacity > current);
        if (outs.length > 0) expect(decision.capacity?.to).toBe(Math.max(...outs));
      }),
      { seed: 20261130, numRuns: 1000 },
    );
  });

  it('honours DisableScaleIn, and scales in only when every target-tracking policy agrees', () => {
    const cpu = trackingPolicy('cpu', 50, { DisableScaleIn: true });
    const disabled = plan(targetOf([cpu], 1, 10), { desiredCount: 8, alarms: trackingAlarms(cpu, 5), timeScale: SCALE }, NOW);
    expect(disabled.capacity).toBeUndefined();
    expect(disabled.notScaled?.details).toContain('DisableScaleIn');
    const a = trackingPolicy('a', 50);
    const b = trackingPolicy('b', 50);
    const split = [...trackingAlarms(a, 10), ...trackingAlarms(b, 46)];
    expect(plan(targetOf([a, b], 1, 10), { desiredCount: 8, alarms: split, timeScale: SCALE }, NOW).capacity).toBeUndefined();
    const agreed = [...trackingAlarms(a, 10), ...trackingAlarms(b, 20)];
    expect(plan(targetOf([a, b], 1, 10), { desiredCount: 8, alarms: agreed, timeScale: SCALE }, NOW).capacity?.to).toBe(Math.ceil((8 * 20) / 45));
  });

  it('explains a scale-out in plain words', () => {
    const cpu = trackingPolicy('cpu50', 50);
    const decision = plan(targetOf([cpu], 1, 10), { desiredCount: 4, alarms: trackingAlarms(cpu, 78), timeScale: SCALE }, NOW);
    expect(decision.capacity).toEqual({
      from: 4,
      to: 7,
      cause: expect.stringMatching(/^monitor alarm TargetTracking-service\/c\/s-AlarmHigh-.* in state ALARM triggered policy cpu50$/),
      details: 'average CPU 78 % over 3 datapoints > target 50 %: 4 → 7 tasks',
    });
  });

  it('does not flap under a constant load', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 10, max: 95 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.double({ min: -0.03, max: 0.03, noNaN: true }), { minLength: 30, maxLength: 30 }),
        (load, targetValue, start, noise) => {
          const policy = trackingPolicy('cpu', targetValue);
          let target = targetOf([policy], 1, 200);
          let count = start;
          let now = NOW;
          const directions: number[] = [];
          for (const wobble of noise) {
            const perTask = (load / count) * (1 + wobble);
            const decision = plan(target, { desiredCount: count, alarms: trackingAlarms(policy, perTask), timeScale: SCALE }, now);
            target = { ...target, controller: decision.state };
            if (decision.capacity) {
              directions.push(Math.sign(decision.capacity.to - count));
              count = decision.capacity.to;
            }
            now += 30_000;
          }
          // Whatever it did, it did in one direction: never out, then in, then out again.
          expect(new Set(directions).size).toBeLessThanOrEqual(1);
        },
      ),
      { seed: 20261130, numRuns: 2000 },
    );
  });

  it('applies a step policy by the step that holds the breach', () => {
    const steps: ScalingPolicy = {
      PolicyARN: 'arn:policy/steps',
      PolicyName: 'steps',
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
        ],
      },
      Alarms: [],
      CreationTime: 0,
    };
    const alarm = (value: number): ObservedAlarm[] => [{ alarm: alarmOf('high', 60, ['arn:policy/steps']), state: 'ALARM', values: [value] }];
    expect(plan(targetOf([steps], 1, 10), { desiredCount: 2, alarms: alarm(70), timeScale: SCALE }, NOW).capacity?.to).toBe(3);
    expect(plan(targetOf([steps], 1, 10), { desiredCount: 2, alarms: alarm(95), timeScale: SCALE }, NOW).capacity?.to).toBe(5);
  });

  it('sets the bounds of a scheduled action at its time, in its time zone', () => {
    const target: ScalableTarget = {
      ...targetOf([], 1, 4),
      scheduledActions: [
        { ScheduledActionName: 'morning', ScheduledActionARN: 'arn:sa', Schedule: 'cron(0 13 ? * MON-FRI *)', Timezone: 'Europe/Paris', ScalableTargetAction: { MinCapacity: 5, MaxCapacity: 8 }, CreationTime: 0 },
      ],
    };
    // 2026-11-30 is a Monday; 13:00 in Paris is 12:00 UTC.
    const decision = plan(target, { desiredCount: 2, alarms: [], timeScale: SCALE }, NOW);
    expect(decision.bounds).toMatchObject({ MinCapacity: 5, MaxCapacity: 8 });
    expect(decision.capacity).toMatchObject({ from: 2, to: 5 });
    const again = plan({ ...target, MinCapacity: 5, MaxCapacity: 8, controller: decision.state }, { desiredCount: 5, alarms: [], timeScale: SCALE }, NOW + 30_000);
    expect(again.bounds).toBeUndefined();
  });

  it('reads at(), rate() and cron() in their time zones', () => {
    expect(instantOf([2026, 11, 30, 13, 0, 0], 'Europe/Paris')).toBe(NOW);
    expect(instantOf([2026, 7, 1, 12, 0, 0], 'America/New_York')).toBe(Date.UTC(2026, 6, 1, 16, 0, 0));
    const action = (Schedule: string) => ({ ScheduledActionName: 'a', ScheduledActionARN: 'arn', Schedule, ScalableTargetAction: {}, CreationTime: NOW - 3_600_000 });
    expect(lastDue(action('at(2026-11-30T12:00:00)'), NOW - 1, NOW)).toBe(NOW);
    expect(lastDue(action('at(2026-11-30T12:00:00)'), NOW, NOW + 60_000)).toBeUndefined();
    expect(lastDue(action('rate(15 minutes)'), NOW - 60_000, NOW)).toBe(NOW);
    expect(lastDue(action('rate(15 minutes)'), NOW - 60_000, NOW - 1)).toBeUndefined();
    expect(lastDue(action('cron(*/5 * * * ? *)'), NOW - 600_000, NOW + 100)).toBe(NOW);
  });
});
