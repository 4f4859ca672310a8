import fc from 'fast-check';
import {
  assignCapacityProviders,
  checkCapacityProviderStrategy,
  type CapacityProviderStrategyItem,
} from '../../lib/domain/capacity-provider';

const tally = (providers: string[]) =>
  providers.reduce<Record<string, number>>((counts, name) => ({ ...counts, [name]: (counts[name] ?? 0) + 1 }), {});

describe('checkCapacityProviderStrategy', () => {
  it('keeps none for an absent or empty strategy, and echoes weight and base', () => {
    expect(checkCapacityProviderStrategy(undefined, 'FARGATE')).toBeUndefined();
    expect(checkCapacityProviderStrategy([], 'FARGATE')).toBeUndefined();
    expect(checkCapacityProviderStrategy([{ capacityProvider: 'FARGATE_SPOT' }], undefined)).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 0, base: 0 },
    ]);
  });

  it.each<[string, CapacityProviderStrategyItem[], string | undefined, RegExp]>([
    ['a launch type beside it', [{ capacityProvider: 'FARGATE', weight: 1 }], 'FARGATE', /both a launch type and capacity provider strategy/],
    ['an unknown provider', [{ capacityProvider: 'EC2_ASG', weight: 1 }], undefined, /not associated with the cluster.*EC2_ASG/],
    ['a provider twice', [{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE', weight: 2 }], undefined, /duplicate/],
    ['two bases', [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 2 }], undefined, /more than one capacity provider with a base/],
    ['several providers, no weight', [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'FARGATE_SPOT', weight: 0 }], undefined, /weight greater than zero/],
  ])('refuses %s with InvalidParameterException', (_name, strategy, launchType, message) => {
    expect(() => checkCapacityProviderStrategy(strategy, launchType, ['OTHER_ASG'])).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException', message: expect.stringMatching(message) }),
    );
  });

  it("takes the cluster's Auto Scaling group providers, and leaves them unchecked until the cluster is read", () => {
    const strategy = [{ capacityProvider: 'EC2_ASG', weight: 1 }];
    expect(checkCapacityProviderStrategy(strategy, undefined, ['EC2_ASG'])).toEqual([{ capacityProvider: 'EC2_ASG', weight: 1, base: 0 }]);
    expect(checkCapacityProviderStrategy(strategy, undefined)).toEqual([{ capacityProvider: 'EC2_ASG', weight: 1, base: 0 }]);
    expect(() => checkCapacityProviderStrategy(strategy, undefined, [])).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
  });
});

describe('assignCapacityProviders', () => {
  it('fills the base first, then splits by weight', () => {
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      { capacityProvider: 'FARGATE_SPOT', weight: 4 },
    ];
    expect(tally(assignCapacityProviders(strategy, new Map(), 12))).toEqual({ FARGATE: 4, FARGATE_SPOT: 8 });
    // Next to running tasks: the base is met already, and the split leans back to the weights.
    expect(assignCapacityProviders(strategy, new Map([['FARGATE', 4]]), 5)).toEqual([
      'FARGATE_SPOT',
      'FARGATE_SPOT',
      'FARGATE_SPOT',
      'FARGATE_SPOT',
      'FARGATE_SPOT',
    ]);
  });

  it('places nothing beyond its base on a provider of weight 0, unless it is the only one', () => {
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 0, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
    ];
    expect(tally(assignCapacityProviders(strategy, new Map(), 6))).toEqual({ FARGATE: 1, FARGATE_SPOT: 5 });
    expect(assignCapacityProviders([{ capacityProvider: 'FARGATE_SPOT', weight: 0 }], new Map(), 2)).toEqual([
      'FARGATE_SPOT',
      'FARGATE_SPOT',
    ]);
  });

  it('keeps every weighted provider within one task of its share of the tasks beyond the base', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 200 }),
        (fargate, spot, base, count) => {
          const strategy = [
            { capacityProvider: 'FARGATE', weight: fargate, base },
            { capacityProvider: 'FARGATE_SPOT', weight: spot },
          ];
          const counts = tally(assignCapacityProviders(strategy, new Map(), count));
          const onBase = Math.min(base, count);
          const beyond = count - onBase;
          const spotShare = (beyond * spot) / (fargate + spot);
          expect(Math.abs((counts.FARGATE_SPOT ?? 0) - spotShare)).toBeLessThanOrEqual(1);
          expect((counts.FARGATE ?? 0) + (counts.FARGATE_SPOT ?? 0)).toBe(count);
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });
});
