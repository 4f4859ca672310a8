import * as z from 'zod';
import { ClientException, InvalidParameterException } from '../errors';
import { inScope, parseArn, type ArnScope } from './arn';
import { INSTANCE_TYPE_NAMES } from './instance-types';
import type { EpochMs, Tag } from './model';
import { lazySchema, tagsSchema } from './validation';

/**
 * Capacity provider strategies (CreateService, RunTask, a cluster's default): which provider runs
 * each task. Every account has FARGATE and FARGATE_SPOT; an account's own providers are Auto
 * Scaling group providers (CreateCapacityProvider), usable by the one cluster they are attached to.
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
 * ECS's rules for a strategy, checked before anything is written: known providers (FARGATE,
 * FARGATE_SPOT and the cluster's), each once, a base on one provider at most, and (with several
 * providers) a weight above zero on one. A strategy next to a launchType is refused, as ECS refuses
 * it. Without `clusterProviders` (the cluster not read yet) the providers are not checked: the
 * caller checks again once it has the cluster. Returns the strategy to keep: undefined for none (an
 * empty list means none, as in ECS).
 */
export const checkCapacityProviderStrategy = (
  strategy: CapacityProviderStrategyItem[] | undefined,
  launchType: string | undefined,
  clusterProviders?: readonly string[],
): Array<Required<CapacityProviderStrategyItem>> | undefined => {
  if (!strategy?.length) return undefined;
  if (launchType !== undefined) {
    throw new InvalidParameterException(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  const known: ReadonlySet<string> = new Set([...FARGATE_CAPACITY_PROVIDERS, ...(clusterProviders ?? [])]);
  const unknown = clusterProviders && strategy.find((item) => !known.has(item.capacityProvider));
  if (unknown) {
    throw new InvalidParameterException(
      `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (capacityProvider: ${unknown.capacityProvider})`,
    );
  }
  if (new Set(strategy.map((item) => item.capacityProvider)).size !== strategy.length) {
    throw new InvalidParameterException('The specified capacity provider strategy cannot contain duplicate capacity providers.');
  }
  const fargate = strategy.filter((item) => isFargateProvider(item.capacityProvider)).length;
  if (fargate > 0 && fargate < strategy.length) {
    throw new InvalidParameterException(
      'The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.',
    );
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

/** How a launch's tasks run: the launch type, and the capacity provider strategy if one applies. */
export interface LaunchChoice {
  launchType: 'EC2' | 'FARGATE';
  strategy?: Array<Required<CapacityProviderStrategyItem>>;
}

/**
 * ECS's default launch for RunTask and CreateService: the launch type asked for; else the strategy
 * given; else the cluster's default capacity provider strategy if it has one; else the EC2 launch
 * type. A strategy of Fargate's providers runs on FARGATE; one naming an Auto Scaling group
 * provider runs on the cluster's EC2 instances.
 */
export const launchChoice = (
  launchType: 'EC2' | 'FARGATE' | undefined,
  strategy: Array<Required<CapacityProviderStrategyItem>> | undefined,
  clusterDefault: readonly CapacityProviderStrategyItem[],
): LaunchChoice => {
  if (launchType) return { launchType };
  const providers = strategy ?? (clusterDefault.length ? clusterDefault.map(({ capacityProvider, weight, base }) => ({ capacityProvider, weight: weight ?? 0, base: base ?? 0 })) : undefined);
  if (!providers) return { launchType: 'EC2' };
  return { launchType: providers.every((item) => isFargateProvider(item.capacityProvider)) ? 'FARGATE' : 'EC2', strategy: providers };
};

/**
 * ECS's rules for a cluster's providers and default strategy (CreateCluster,
 * PutClusterCapacityProviders): each provider once, the strategy naming only the cluster's
 * providers, and a strategy's own rules. Returns the strategy to store (weight and base filled in).
 */
export const checkClusterCapacityProviders = (
  providers: readonly string[],
  strategy: CapacityProviderStrategyItem[] | undefined,
): Array<Required<CapacityProviderStrategyItem>> => {
  if (new Set(providers).size !== providers.length) {
    throw new InvalidParameterException('capacityProviders: the list of capacity providers cannot contain duplicates.');
  }
  const outside = strategy?.find((item) => !providers.includes(item.capacityProvider));
  if (outside) {
    throw new InvalidParameterException(
      `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (defaultCapacityProviderStrategy: ${outside.capacityProvider})`,
    );
  }
  return checkCapacityProviderStrategy(strategy, undefined, providers) ?? [];
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

// ---------------------------------------------------------------------------------------------
// Auto Scaling group capacity providers (CreateCapacityProvider …)

export type Toggle = 'ENABLED' | 'DISABLED';

export interface ManagedScaling {
  status: Toggle;
  /** The CapacityProviderReservation managed scaling aims at, 1-100 %. */
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  instanceWarmupPeriod: number;
}

export interface AutoScalingGroupProvider {
  autoScalingGroupArn: string;
  managedScaling: ManagedScaling;
  managedTerminationProtection: Toggle;
  managedDraining: Toggle;
}

/** One EC2 instance of a simulated group: launched, then registered once it has booted. */
export interface GroupInstance {
  ec2InstanceId: string;
  availabilityZone: string;
  launchedAt: EpochMs;
  /** When its agent registers it (launchedAt + the boot delay). */
  registersAt: EpochMs;
  /** Set once registered. */
  containerInstanceId?: string;
}

/**
 * The Auto Scaling group the provider's autoScalingGroupArn names. ecsbox has no EC2 API, so the
 * group is simulated beside its provider: sizes, the instance type it launches, its instances.
 */
export interface SimulatedGroup {
  instanceType: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instances: GroupInstance[];
  /** How many instances the group ever launched: the next one's sequence number (its identity). */
  launched: number;
}

/** What the capacity controller remembers between passes. */
export interface ManagedScalingState {
  /** The last CapacityProviderReservation computed (percent). */
  reservation?: number;
  /** Since when the reservation has stayed below target (scale-in waits for it to last). */
  belowTargetSince?: EpochMs;
}

export interface CapacityProviderRecord {
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  autoScalingGroupProvider: AutoScalingGroupProvider;
  updateStatus?: 'DELETE_IN_PROGRESS' | 'DELETE_COMPLETE' | 'DELETE_FAILED' | 'UPDATE_IN_PROGRESS' | 'UPDATE_COMPLETE' | 'UPDATE_FAILED';
  /** The cluster it is attached to (an Auto Scaling group provider serves one cluster). */
  clusterName?: string;
  tags?: Tag[];
  group: SimulatedGroup;
  scaling: ManagedScalingState;
  createdAt: EpochMs;
  version: number;
}

export const capacityProviderArn = (scope: ArnScope, name: string) => `arn:aws:ecs:${scope.region}:${scope.accountId}:capacity-provider/${name}`;

const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The provider a reference names in `scope` (a name, or an ARN of this account and region), else
 * undefined: what is not a provider's name names nothing (and never reaches a key).
 */
export const capacityProviderNameOf = (scope: ArnScope, reference: string): string | undefined => {
  const arn = parseArn(reference);
  const name = !arn ? reference : arn.resourceType === 'capacity-provider' && inScope(arn, scope) ? arn.resource : undefined;
  return name !== undefined && PROVIDER_NAME.test(name) ? name : undefined;
};

/** ECS's names for providers: 1-255 letters, numbers, underscores and hyphens; not its own prefixes. */
const providerName = () =>
  z.string().regex(PROVIDER_NAME, 'can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens');

/** An Auto Scaling group's ARN, or its name (ECS accepts either). */
const AUTO_SCALING_GROUP_ARN = /^arn:aws[a-z-]{0,16}:autoscaling:[a-z0-9-]{1,32}:\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/([\w.-]{1,255})$/;
const AUTO_SCALING_GROUP_NAME = /^[\w.-]{1,255}$/;

const managedScalingSchema = () =>
  z
    .object({
      status: z.enum(['ENABLED', 'DISABLED']).optional(),
      targetCapacity: z.number().int().min(1).max(100).optional(),
      minimumScalingStepSize: z.number().int().min(1).max(10_000).optional(),
      maximumScalingStepSize: z.number().int().min(1).max(10_000).optional(),
      instanceWarmupPeriod: z.number().int().min(0).max(10_000).optional(),
    })
    .strict();

const managedMembers = () => ({
  managedScaling: managedScalingSchema().optional(),
  managedTerminationProtection: z.enum(['ENABLED', 'DISABLED']).optional(),
  managedDraining: z.enum(['ENABLED', 'DISABLED']).optional(),
});

export const createCapacityProviderInput = lazySchema(() =>
  z
    .object({
      name: providerName(),
      autoScalingGroupProvider: z
        .object({
          autoScalingGroupArn: z.string().min(1).max(1600),
          ...managedMembers(),
        })
        .strict(),
      tags: tagsSchema().optional(),
    })
    .strict(),
);

export const updateCapacityProviderInput = lazySchema(() =>
  z
    .object({
      name: z.string().min(1).max(2048),
      autoScalingGroupProvider: z.object(managedMembers()).strict(),
    })
    .strict(),
);

type ManagedInput = z.output<ReturnType<typeof managedScalingSchema>>;

const DEFAULT_MANAGED_SCALING: ManagedScaling = {
  status: 'DISABLED',
  targetCapacity: 100,
  minimumScalingStepSize: 1,
  maximumScalingStepSize: 10_000,
  instanceWarmupPeriod: 300,
};

/**
 * ECS's rules for the managed settings, on what they become: the step sizes in order, and managed
 * termination protection only with managed scaling.
 */
export const managedSettings = (
  current: Omit<AutoScalingGroupProvider, 'autoScalingGroupArn'> | undefined,
  change: { managedScaling?: ManagedInput; managedTerminationProtection?: Toggle; managedDraining?: Toggle },
): Omit<AutoScalingGroupProvider, 'autoScalingGroupArn'> => {
  const given = Object.fromEntries(Object.entries(change.managedScaling ?? {}).filter(([, value]) => value !== undefined));
  const managedScaling: ManagedScaling = { ...(current?.managedScaling ?? DEFAULT_MANAGED_SCALING), ...given };
  const managedTerminationProtection = change.managedTerminationProtection ?? current?.managedTerminationProtection ?? 'DISABLED';
  if (managedScaling.minimumScalingStepSize > managedScaling.maximumScalingStepSize) {
    throw new InvalidParameterException(
      'autoScalingGroupProvider.managedScaling: the minimumScalingStepSize must be less than or equal to the maximumScalingStepSize.',
    );
  }
  if (managedTerminationProtection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
    throw new InvalidParameterException(
      'autoScalingGroupProvider.managedTerminationProtection: managed termination protection can only be enabled if managed scaling is also enabled.',
    );
  }
  return {
    managedScaling,
    managedTerminationProtection,
    managedDraining: change.managedDraining ?? current?.managedDraining ?? 'ENABLED',
  };
};

/** The name of the group an autoScalingGroupArn names; InvalidParameterException when it names none. */
export const autoScalingGroupNameOf = (reference: string): string => {
  const name = AUTO_SCALING_GROUP_ARN.exec(reference)?.[1] ?? (AUTO_SCALING_GROUP_NAME.test(reference) ? reference : undefined);
  if (name === undefined) {
    throw new InvalidParameterException(
      'autoScalingGroupProvider.autoScalingGroupArn must be an Auto Scaling group ARN (arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME) or name.',
    );
  }
  return name;
};

/** ECS reserves these prefixes for its own providers. */
export const checkProviderName = (name: string) => {
  if (/^(aws|ecs|fargate)/i.test(name)) {
    throw new ClientException(`The specified capacity provider name is invalid: name cannot be prefixed with "aws", "ecs", or "fargate". (name: ${name})`);
  }
};

/** The simulated group a new provider gets (docs/ec2.md, "Capacity providers"): change it over REST. */
export const DEFAULT_GROUP: SimulatedGroup = { instanceType: 't3.medium', minSize: 0, maxSize: 10, desiredCapacity: 0, instances: [], launched: 0 };

export const simulatedGroupInput = lazySchema(() =>
  z
    .object({
      instanceType: z.enum(INSTANCE_TYPE_NAMES).optional(),
      minSize: z.number().int().min(0).max(MAX_GROUP_SIZE).optional(),
      maxSize: z.number().int().min(0).max(MAX_GROUP_SIZE).optional(),
      desiredCapacity: z.number().int().min(0).max(MAX_GROUP_SIZE).optional(),
    })
    .strict(),
);

/** ecsbox's bound on one simulated group (ECS allows 5,000 instances per cluster). */
export const MAX_GROUP_SIZE = 100;

/** The group with a user's change (sizes, type), checked as Auto Scaling checks it: min ≤ desired ≤ max. */
export const resizedGroup = (group: SimulatedGroup, change: z.output<ReturnType<typeof simulatedGroupInput>>): SimulatedGroup => {
  const next = { ...group, ...Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) } as SimulatedGroup;
  if (next.minSize > next.maxSize) throw new InvalidParameterException(`minSize (${next.minSize}) must be less than or equal to maxSize (${next.maxSize}).`);
  if (change.desiredCapacity === undefined) next.desiredCapacity = Math.min(Math.max(next.desiredCapacity, next.minSize), next.maxSize);
  else if (next.desiredCapacity < next.minSize || next.desiredCapacity > next.maxSize) {
    throw new InvalidParameterException(`desiredCapacity (${next.desiredCapacity}) must be between minSize (${next.minSize}) and maxSize (${next.maxSize}).`);
  }
  return next;
};

/** The provider as ECS's CapacityProvider structure shows it. */
export const presentCapacityProvider = (scope: ArnScope, record: CapacityProviderRecord) => ({
  capacityProviderArn: capacityProviderArn(scope, record.name),
  name: record.name,
  status: record.status,
  autoScalingGroupProvider: record.autoScalingGroupProvider,
  ...(record.updateStatus ? { updateStatus: record.updateStatus } : {}),
  tags: record.tags ?? [],
});

/** FARGATE and FARGATE_SPOT, which every account has. */
export const presentFargateProvider = (scope: ArnScope, name: FargateCapacityProvider) => ({
  capacityProviderArn: capacityProviderArn(scope, name),
  name,
  status: 'ACTIVE' as const,
  tags: [] as Tag[],
});
