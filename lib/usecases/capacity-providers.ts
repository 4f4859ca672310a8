import { createHash } from 'node:crypto';
import * as z from 'zod';
import { references } from '../domain/arn';
import {
  autoScalingGroupNameOf,
  capacityProviderArn,
  capacityProviderNameOf,
  capacityProviderStrategySchema,
  checkClusterCapacityProviders,
  checkProviderName,
  createCapacityProviderInput,
  DEFAULT_GROUP,
  FARGATE_CAPACITY_PROVIDERS,
  isFargateProvider,
  managedSettings,
  presentCapacityProvider,
  presentFargateProvider,
  resizedGroup,
  simulatedGroupInput,
  updateCapacityProviderInput,
  type CapacityProviderRecord,
  type CapacityProviderStrategyItem,
} from '../domain/capacity-provider';
import type { Cluster } from '../domain/model';
import { lazySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { CapacityProviderNotFoundException, ClientException, InvalidParameterException, ResourceInUseException } from '../errors';
import { retryOnConflict } from '../retry';
import { requireActiveCluster } from './clusters';
import { requireTagRoom } from './tag-quota';

/**
 * ECS's capacity provider operations. FARGATE and FARGATE_SPOT exist in every account; an
 * account's own providers are Auto Scaling group providers, each with a simulated group (ecsbox has
 * no EC2 API) that the capacity controller (lib/controllers/capacity) scales.
 */

const CONCURRENT_CHANGE = 'The capacity provider was changed concurrently; try again.';

const notFound = (name: string) =>
  new CapacityProviderNotFoundException(`The specified capacity provider '${name}' does not exist. Specify a valid capacity provider and try again.`);

/** The account's provider a reference names (ACTIVE), or ECS's refusal. */
const requireProvider = async (deps: Deps, reference: string): Promise<CapacityProviderRecord> => {
  const name = capacityProviderNameOf(deps.scope, reference);
  if (name !== undefined && isFargateProvider(name)) {
    throw new ClientException(`The specified capacity provider '${name}' is reserved by Amazon ECS and cannot be changed.`);
  }
  const record = name === undefined ? undefined : await deps.capacityProviders.get(name);
  if (!record) throw notFound(reference);
  return record;
};

/** The cluster a provider serves, if that cluster is still ACTIVE (a deleted cluster holds nothing). */
const attachedCluster = async (deps: Deps, record: CapacityProviderRecord): Promise<string | undefined> => {
  if (record.clusterName === undefined) return undefined;
  const cluster = await deps.clusters.get(record.clusterName);
  return cluster?.status === 'ACTIVE' ? cluster.clusterName : undefined;
};

export const createCapacityProvider = async (deps: Deps, input: SchemaOutput<typeof createCapacityProviderInput>) => {
  checkProviderName(input.name);
  const { autoScalingGroupArn, ...managed } = input.autoScalingGroupProvider;
  autoScalingGroupNameOf(autoScalingGroupArn);
  const settings = managedSettings(undefined, managed);
  await requireTagRoom(deps, input.tags);
  const existing = await deps.capacityProviders.list();
  const sharing = existing.find((record) => record.autoScalingGroupProvider.autoScalingGroupArn === autoScalingGroupArn);
  if (sharing && sharing.name !== input.name) {
    throw new ClientException(
      `The specified Auto Scaling group ARN is already being used by another capacity provider (${sharing.name}). Specify a unique Auto Scaling group ARN and try again.`,
    );
  }
  const record: CapacityProviderRecord = {
    name: input.name,
    status: 'ACTIVE',
    autoScalingGroupProvider: { autoScalingGroupArn, ...settings },
    ...(input.tags?.length ? { tags: input.tags } : {}),
    group: DEFAULT_GROUP,
    scaling: {},
    createdAt: deps.clock.now(),
    version: 1,
  };
  await deps.capacityProviders.create(record);
  return { capacityProvider: presentCapacityProvider(deps.scope, record) };
};

export const updateCapacityProvider = async (deps: Deps, input: SchemaOutput<typeof updateCapacityProviderInput>) => {
  const updated = await retryOnConflict(
    async () => {
      const record = await requireProvider(deps, input.name);
      const { autoScalingGroupArn, ...current } = record.autoScalingGroupProvider;
      const next: CapacityProviderRecord = {
        ...record,
        autoScalingGroupProvider: { autoScalingGroupArn, ...managedSettings(current, input.autoScalingGroupProvider) },
        updateStatus: 'UPDATE_COMPLETE',
        version: record.version + 1,
      };
      await deps.capacityProviders.save(next);
      return next;
    },
    10,
    CONCURRENT_CHANGE,
  );
  await deps.capacityTrigger.wake();
  return { capacityProvider: presentCapacityProvider(deps.scope, updated) };
};

export const deleteCapacityProviderInput = lazySchema(() => z.object({ capacityProvider: z.string().min(1).max(2048) }).strict());

/**
 * ECS refuses to delete a provider a cluster uses: remove it with PutClusterCapacityProviders
 * first. The simulated group goes with it; instances it registered stay in the cluster, as the
 * instances of an Auto Scaling group outlive the capacity provider that named it.
 */
export const deleteCapacityProvider = async (deps: Deps, input: SchemaOutput<typeof deleteCapacityProviderInput>) => {
  const deleted = await retryOnConflict(
    async () => {
      const record = await requireProvider(deps, input.capacityProvider);
      const clusterName = await attachedCluster(deps, record);
      if (clusterName !== undefined) {
        throw new ClientException(
          `The specified capacity provider is in use by cluster ${clusterName} and cannot be deleted. Remove the capacity provider from the cluster with PutClusterCapacityProviders and try again.`,
        );
      }
      // A provider left attached to a deleted cluster is detached as it goes.
      const { clusterName: _gone, ...detached } = record;
      if (record.clusterName !== undefined) await deps.capacityProviders.save({ ...detached, version: record.version + 1 });
      await deps.capacityProviders.delete(record.clusterName !== undefined ? { ...detached, version: record.version + 1 } : record);
      return record;
    },
    10,
    CONCURRENT_CHANGE,
  );
  const { tags: _tags, ...shown } = presentCapacityProvider(deps.scope, { ...deleted, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' });
  return { capacityProvider: shown };
};

/** ECS pages DescribeCapacityProviders by at most 10 (its maxResults range). */
export const describeCapacityProvidersInput = lazySchema(() =>
  z
    .object({
      capacityProviders: z.array(z.string().min(1).max(2048)).max(100).optional(),
      include: z.array(z.literal('TAGS')).optional(),
      maxResults: z.number().int().min(1).max(10).optional(),
      nextToken: z.string().min(1).max(512).optional(),
    })
    .strict(),
);

const pageToken = (name: string) => Buffer.from(JSON.stringify({ after: name })).toString('base64url');
const afterOf = (token: string): string => {
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
    if (typeof after === 'string') return after;
  } catch {
    // Falls through to the refusal.
  }
  throw new InvalidParameterException('nextToken is not a token DescribeCapacityProviders returned.');
};

/**
 * Every provider of the account, FARGATE and FARGATE_SPOT first, or the named ones (unknown ones in
 * `failures` as MISSING); tags only with include TAGS.
 */
export const describeCapacityProviders = async (
  deps: Deps,
  input: SchemaOutput<typeof describeCapacityProvidersInput>,
): Promise<{ capacityProviders: Array<Record<string, unknown> & { name: string }>; failures: Array<{ arn: string; reason: string }>; nextToken?: string }> => {
  const own = (await deps.capacityProviders.list()).sort((a, b) => a.name.localeCompare(b.name));
  const all = [
    ...FARGATE_CAPACITY_PROVIDERS.map((name) => ({ name, shown: presentFargateProvider(deps.scope, name) })),
    ...own.map((record) => ({ name: record.name, shown: presentCapacityProvider(deps.scope, record) })),
  ];
  const withTags = input.include?.includes('TAGS') ?? false;
  const shown = (entry: (typeof all)[number]) => {
    const { tags, ...provider } = entry.shown;
    return withTags ? { ...provider, tags } : provider;
  };
  if (input.capacityProviders) {
    if (input.maxResults !== undefined || input.nextToken !== undefined) {
      throw new InvalidParameterException('maxResults and nextToken can be given only when capacityProviders is not.');
    }
    const found = input.capacityProviders.map((reference) => {
      const name = capacityProviderNameOf(deps.scope, reference);
      return all.find((entry) => entry.name === name);
    });
    return {
      capacityProviders: found.filter((entry) => entry !== undefined).map(shown),
      failures: input.capacityProviders
        .filter((_, index) => found[index] === undefined)
        .map((reference) => ({
          arn: reference.startsWith('arn:') ? reference : capacityProviderArn(deps.scope, reference),
          reason: 'MISSING',
        })),
    };
  }
  const start = input.nextToken === undefined ? 0 : all.findIndex((entry) => entry.name === afterOf(input.nextToken!)) + 1;
  const size = input.maxResults ?? all.length;
  const page = all.slice(start, start + size);
  const more = start + size < all.length;
  return {
    capacityProviders: page.map(shown),
    failures: [],
    ...(more && page.length ? { nextToken: pageToken(page.at(-1)!.name) } : {}),
  };
};

export const putClusterCapacityProvidersInput = lazySchema(() =>
  z
    .object({
      cluster: references.cluster(),
      capacityProviders: z.array(z.string().min(1).max(255)).max(20),
      defaultCapacityProviderStrategy: capacityProviderStrategySchema(),
    })
    .strict(),
);

/**
 * The cluster's providers and default strategy become the ones given (ECS replaces both). An Auto
 * Scaling group provider serves one cluster; one that a service's strategy uses cannot be removed.
 */
export const putClusterCapacityProviders = async (deps: Deps, input: SchemaOutput<typeof putClusterCapacityProvidersInput>) => {
  const cluster = await requireActiveCluster(deps, input.cluster);
  const strategy = checkClusterCapacityProviders(input.capacityProviders, input.defaultCapacityProviderStrategy);
  await retryOnConflict(
    async () => {
      const current = await requireActiveCluster(deps, cluster.clusterName);
      const removed = current.capacityProviders.filter((name) => !input.capacityProviders.includes(name));
      await refuseRemovingUsed(deps, current, removed);
      const changedProviders = await providerChanges(deps, current.clusterName, input.capacityProviders, removed);
      await deps.capacityProviders.putClusterProviders({
        clusterName: current.clusterName,
        capacityProviders: input.capacityProviders,
        defaultCapacityProviderStrategy: strategy,
        changedProviders,
      });
    },
    10,
    'The cluster or its capacity providers were changed concurrently; try again.',
  );
  await deps.capacityTrigger.wake();
  return { cluster: await requireActiveCluster(deps, cluster.clusterName) };
};

/**
 * The Auto Scaling group providers that `providers` attach to the cluster and `removed` detach,
 * at their next version; each named provider must exist and serve no other (ACTIVE) cluster.
 */
export const providerChanges = async (
  deps: Deps,
  clusterName: string,
  providers: string[],
  removed: string[],
): Promise<CapacityProviderRecord[]> => {
  const changes: CapacityProviderRecord[] = [];
  for (const name of providers.filter((candidate) => !isFargateProvider(candidate))) {
    const record = capacityProviderNameOf(deps.scope, name) === name ? await deps.capacityProviders.get(name) : undefined;
    if (!record) throw notFound(name);
    if (record.clusterName === clusterName) continue;
    const other = await attachedCluster(deps, record);
    if (other !== undefined) {
      throw new InvalidParameterException(
        `The specified capacity provider ${name} is already associated with cluster ${other}. A capacity provider with an Auto Scaling group can be associated with only one cluster.`,
      );
    }
    changes.push({ ...record, clusterName, version: record.version + 1 });
  }
  for (const name of removed.filter((candidate) => !isFargateProvider(candidate))) {
    const record = await deps.capacityProviders.get(name);
    if (record?.clusterName !== clusterName) continue;
    const { clusterName: _detached, ...rest } = record;
    changes.push({ ...rest, version: record.version + 1 });
  }
  return changes;
};

/** ECS refuses to remove a provider that a service of the cluster runs its tasks with. */
const refuseRemovingUsed = async (deps: Deps, cluster: Cluster, removed: string[]) => {
  if (removed.length === 0) return;
  let nextToken: string | undefined;
  do {
    const page = await deps.services.list(cluster.clusterName, { maxResults: 100, nextToken });
    const names = page.items.map((arn) => arn.split('/').at(-1)!);
    const stored = await deps.services.getMany(cluster.clusterName, names);
    for (const entry of stored) {
      const used = entry?.service.capacityProviderStrategy?.find((item: CapacityProviderStrategyItem) => removed.includes(item.capacityProvider));
      if (used) {
        throw new ResourceInUseException(
          `The specified capacity provider ${used.capacityProvider} is in use by service ${entry!.service.serviceName} and cannot be removed.`,
        );
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
};

/** The simulated Auto Scaling group of a provider, over REST (ecsbox has no EC2 API). */
export const updateSimulatedGroup = async (deps: Deps, reference: string, change: SchemaOutput<typeof simulatedGroupInput>) => {
  const updated = await retryOnConflict(
    async () => {
      const record = await requireProvider(deps, reference);
      const next = { ...record, group: resizedGroup(record.group, change), version: record.version + 1 };
      await deps.capacityProviders.save(next);
      return next;
    },
    10,
    CONCURRENT_CHANGE,
  );
  await deps.capacityTrigger.wake();
  return describeSimulatedGroup(deps, updated);
};

export const getCapacityProvider = async (deps: Deps, reference: string) => describeSimulatedGroup(deps, await requireProvider(deps, reference));

/** The provider, its group (sizes, instances) and the last CapacityProviderReservation the controller computed. */
const describeSimulatedGroup = (deps: Deps, record: CapacityProviderRecord) => ({
  capacityProvider: presentCapacityProvider(deps.scope, record),
  ...(record.clusterName ? { clusterName: record.clusterName } : {}),
  autoScalingGroup: {
    autoScalingGroupName: autoScalingGroupNameOf(record.autoScalingGroupProvider.autoScalingGroupArn),
    instanceType: record.group.instanceType,
    minSize: record.group.minSize,
    maxSize: record.group.maxSize,
    desiredCapacity: record.group.desiredCapacity,
    instances: record.group.instances.map((instance) => ({
      instanceId: instance.ec2InstanceId,
      availabilityZone: instance.availabilityZone,
      lifecycleState: instance.containerInstanceId ? 'InService' : 'Pending',
      launchedAt: instance.launchedAt,
      ...(instance.containerInstanceId ? { containerInstanceId: instance.containerInstanceId } : {}),
    })),
  },
  ...(record.scaling.reservation !== undefined ? { capacityProviderReservation: record.scaling.reservation } : {}),
});

/**
 * ECS's "as_policy" attachments of a cluster (DescribeClusters include ATTACHMENTS): one per Auto
 * Scaling group provider, naming the target tracking policy ECS manages on its group.
 */
export const capacityAttachments = (cluster: Cluster) =>
  cluster.capacityProviders
    .filter((name) => !isFargateProvider(name))
    .map((name) => {
      const id = uuidOf(`${cluster.clusterArn}#${name}`);
      return {
        id,
        type: 'as_policy',
        status: 'CREATED',
        details: [
          { name: 'capacityProviderName', value: name },
          { name: 'scalingPolicyName', value: `ECSManagedAutoScalingPolicy-${uuidOf(`${name}#policy`)}` },
        ],
      };
    });

/** A stable UUID-shaped identity for `key` (the same attachment every time it is described). */
const uuidOf = (key: string) => {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
