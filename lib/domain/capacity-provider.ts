import * as z from 'zod';
import { InvalidParameterException } from '../errors';
import { lazySchema } from './validation';

/**
 * Capacity provider strategies (CreateService, RunTask): which of Fargate's two providers runs
 * each task. Every account has FARGATE and FARGATE_SPOT; ecsbox knows no other provider.
 */

export const FARGATE_CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'] as const;
export type FargateCapacityProvider = (typeof FARGATE_CAPACITY_PROVIDERS)[number];
export const isFargateProvider = (name: string): name is FargateCapacityProvider => (FARGATE_CAPACITY_PROVIDERS as readonly string[]).includes(name);

export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

/** ECS's ranges: weight 0–1,000, base 0–100,000; ECS takes at most 20 providers in a strategy. */
export const capacityProviderStrategySchema = lazySchema(() =>
  z
    .array(
      z
        .object({
          capacityProvider: z.string().min(1).max(255),
          weight: z.number().int().min(0).max(1000).optional(),
          base: z.number().int().min(0).max(100_000).optional(),
        })
        .strict(),
    )
    .max(20),
);

/**
 * ECS's rules for a strategy, checked before anything is read or written: known providers, each
 * once, a base on one provider at most, and (with several providers) a weight above zero on one.
 * A strategy next to a launchType is refused, as ECS refuses it. Returns the strategy to keep:
 * undefined for none (an empty list means none, as in ECS).
 */
export const checkCapacityProviderStrategy = (
  strategy: CapacityProviderStrategyItem[] | undefined,
  launchType: string | undefined,
): CapacityProviderStrategyItem[] | undefined => {
  if (!strategy?.length) return undefined;
  if (launchType !== undefined) {
    throw new InvalidParameterException(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  const known: ReadonlySet<string> = new Set(FARGATE_CAPACITY_PROVIDERS);
  const unknown = strategy.find((item) => !known.has(item.capacityProvider));
  if (unknown) {
    throw new InvalidParameterException(
      `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (capacityProvider: ${unknown.capacityProvider}; ecsbox has FARGATE and FARGATE_SPOT)`,
    );
  }
  if (new Set(strategy.map((item) => item.capacityProvider)).size !== strategy.length) {
    throw new InvalidParameterException('The specified capacity provider strategy cannot contain duplicate capacity providers.');
  }
  if (strategy.filter((item) => (item.base ?? 0) > 0).length > 1) {
    throw new InvalidParameterException(
      'The specified capacity provider strategy cannot contain more than one capacity provider with a base value greater than zero.',
    );
  }
  if (strategy.length > 1 && strategy.every((item) => (item.weight ?? 0) === 0)) {
    throw new InvalidParameterException(
      'The specified capacity provider strategy must contain at least one capacity provider with a weight greater than zero.',
    );
  }
  // Echoed as ECS echoes it: weight and base always present.
  return strategy.map(({ capacityProvider, weight, base }) => ({ capacityProvider, weight: weight ?? 0, base: base ?? 0 }));
};

/**
 * The provider of each of `count` new tasks, next to the tasks that already run on each: a
 * provider's base is filled first, then every task goes where it keeps the split closest to the
 * weights (the provider with the fewest tasks beyond its base per unit of weight; ties to the one
 * listed first). A provider of weight 0 places no task beyond its base, unless it is the only one.
 */
export const assignCapacityProviders = (
  strategy: CapacityProviderStrategyItem[],
  running: ReadonlyMap<string, number>,
  count: number,
): string[] => {
  const counts = new Map(strategy.map((item) => [item.capacityProvider, running.get(item.capacityProvider) ?? 0]));
  const weighted = strategy.filter((item) => (item.weight ?? 0) > 0);
  const candidates = weighted.length ? weighted : strategy.slice(0, 1);
  const assigned: string[] = [];
  for (let index = 0; index < count; index++) {
    const short = strategy.find((item) => counts.get(item.capacityProvider)! < (item.base ?? 0));
    const load = (item: CapacityProviderStrategyItem) =>
      Math.max(0, counts.get(item.capacityProvider)! - (item.base ?? 0)) / Math.max(item.weight ?? 0, 1);
    const chosen =
      short ?? candidates.reduce((best, item) => (load(item) < load(best) ? item : best), candidates[0]);
    counts.set(chosen.capacityProvider, counts.get(chosen.capacityProvider)! + 1);
    assigned.push(chosen.capacityProvider);
  }
  return assigned;
};

/** How many of the tasks (those still meant to run) each provider runs. */
export const capacityProviderCounts = (tasks: ReadonlyArray<{ capacityProviderName?: string; desiredStatus: string }>) => {
  const counts = new Map<string, number>();
  for (const task of tasks) {
    if (task.capacityProviderName && task.desiredStatus === 'RUNNING') {
      counts.set(task.capacityProviderName, (counts.get(task.capacityProviderName) ?? 0) + 1);
    }
  }
  return counts;
};
