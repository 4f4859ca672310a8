import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InvalidParameterException } from '../errors';
import { evaluateClusterQuery, MAX_EXPRESSION_LENGTH, parseClusterQuery, type QueryExpression } from './cluster-query';
import { queryTargetOf, type ContainerInstanceRecord } from './container-instance';
import { DYNAMIC_PORT_RANGE } from './instance-types';
import type { TaskOverrides } from '../fleet/backend';
import type { TaskDefinition } from './model';
import type { InstancePlacement, NetworkBinding } from './task';
import { lazySchema } from './validation';

/**
 * Task placement on container instances, as ECS's scheduler does it: a pure function of the task's
 * requirements, the instances' remaining resources, the strategies and the constraints (and a seed
 * for `random`). Each task in turn: keep the ACTIVE instances that meet every constraint and have
 * the CPU, memory, host ports and ENI it needs, rank them by the strategies in order (the first
 * decides, the next break its ties, the instance id breaks the last ties), take the first, and
 * charge the task to it before placing the next. What cannot be placed gets ECS's reasons.
 */

export interface TaskRequirements {
  /** CPU units and MiB the instance reserves for the task. */
  cpu: number;
  memory: number;
  /** Host ports the task needs exactly (host mode, and bridge mappings with a hostPort). */
  tcpPorts: number[];
  udpPorts: number[];
  /** Bridge mappings without a hostPort: one port each from the dynamic range. */
  dynamicTcpPorts: number;
  dynamicUdpPorts: number;
  /** awsvpc: the task takes one of the instance's ENIs. */
  needsEni: boolean;
  /** The task group (service:NAME, family:NAME or the caller's), for distinctInstance and spread. */
  group: string;
}

export type PlacementStrategy =
  | { type: 'binpack'; field: 'cpu' | 'memory' }
  /** field: instanceId (or host) or attribute:NAME. */
  | { type: 'spread'; field: string }
  | { type: 'random' };

export type PlacementConstraint = { type: 'distinctInstance' } | { type: 'memberOf'; expression: QueryExpression };

/** ECS's PlacementStrategy and PlacementConstraint as requests spell them (RunTask, CreateService, UpdateService). */
export const placementStrategiesSchema = lazySchema(() =>
  z
    .array(z.object({ type: z.enum(['binpack', 'spread', 'random']), field: z.string().min(1).max(255).optional() }).strict())
    .max(5),
);
export const placementConstraintsSchema = lazySchema(() =>
  z
    .array(
      z
        .object({ type: z.enum(['distinctInstance', 'memberOf']), expression: z.string().max(MAX_EXPRESSION_LENGTH).optional() })
        .strict(),
    )
    .max(10),
);

/** Checks and reads a request's strategies, with ECS's rules for each type's field. */
export const parsePlacementStrategies = (strategies: z.output<ReturnType<typeof placementStrategiesSchema>>): PlacementStrategy[] =>
  strategies.map(({ type, field }, index) => {
    if (type === 'random') return { type };
    if (type === 'binpack') {
      const resource = field?.toLowerCase();
      if (resource !== 'cpu' && resource !== 'memory') {
        throw new InvalidParameterException(`Invalid 'placementStrategy[${index}].field': the binpack strategy's field must be cpu or memory.`);
      }
      return { type, field: resource };
    }
    if (!field) {
      throw new InvalidParameterException(
        `Invalid 'placementStrategy[${index}].field': the spread strategy needs a field (instanceId, host or attribute:NAME).`,
      );
    }
    return { type, field };
  });

/**
 * Checks and reads a request's constraints and the task definition's (memberOf only), as ECS
 * applies both: distinctInstance takes no expression, memberOf needs one in the cluster query language.
 */
export const parsePlacementConstraints = (
  constraints: ReadonlyArray<{ type: string; expression?: string }>,
  path = 'placementConstraints',
): PlacementConstraint[] =>
  constraints.map(({ type, expression }, index) => {
    if (type === 'distinctInstance') {
      if (expression !== undefined) {
        throw new InvalidParameterException(`Invalid '${path}[${index}].expression': a distinctInstance constraint takes no expression.`);
      }
      return { type };
    }
    if (type !== 'memberOf' || !expression) {
      throw new InvalidParameterException(`Invalid '${path}[${index}].expression': a memberOf constraint needs an expression.`);
    }
    return { type, expression: parseClusterQuery(expression) };
  });

/** The task definition's memberOf constraints, which ECS applies beside a launch's own. */
export const definitionConstraints = (definition: TaskDefinition) =>
  parsePlacementConstraints(definition.placementConstraints as Array<{ type: string; expression?: string }>, 'taskDefinition.placementConstraints');

/** The seed of standalone tasks' `random` placement: from their (deterministic with a token) ids, so a retried launch places alike. */
export const placementSeed = (taskIds: readonly string[]) => createHash('sha256').update(taskIds.join(',')).digest().readUInt32BE(0);

/** A constraint as ECS's API carries it and a service keeps it: the expression as text (memberOf only). */
export interface PlacementConstraintInput {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

/** Whether the instance meets every memberOf constraint (what a DAEMON service asks of an instance). */
export const meetsMemberOf = (instance: ContainerInstanceRecord, groups: readonly string[], constraints: readonly PlacementConstraint[]) =>
  constraints.every(
    (constraint) => constraint.type !== 'memberOf' || evaluateClusterQuery(constraint.expression, queryTargetOf(instance, groups)),
  );

/** ECS's default for services: balanced across zones, then across instances. */
export const SERVICE_DEFAULT_STRATEGIES: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

export type PlacementReason =
  | 'RESOURCE:CPU'
  | 'RESOURCE:MEMORY'
  | 'RESOURCE:PORTS'
  | 'RESOURCE:PORTS_UDP'
  | 'RESOURCE:ENI'
  | 'MemberOf placement constraint unsatisfied.'
  | 'DistinctInstance placement constraint unsatisfied.';

/** RunTask's answer when the cluster has no ACTIVE instance at all. */
export const NO_INSTANCES_REASON = 'No Container Instances were found in your cluster.';

export interface Placement {
  instanceId: string;
  /** The host ports the task was given, static and dynamic. */
  tcpPorts: number[];
  udpPorts: number[];
}

/** A cluster's live instances with what is left on each, and the groups of the tasks each runs. */
export interface ClusterInstances {
  instances: ContainerInstanceRecord[];
  taskGroups: Map<string, string[]>;
}

export interface PlacementRequest {
  task: TaskRequirements;
  count: number;
  /** The cluster's instances; only ACTIVE ones take tasks. */
  instances: readonly ContainerInstanceRecord[];
  /** Groups of the tasks each instance runs now, by instance id. */
  taskGroups?: ReadonlyMap<string, readonly string[]>;
  strategies: readonly PlacementStrategy[];
  constraints: readonly PlacementConstraint[];
  /** Seeds `random`: the same request and seed give the same placements. */
  seed: number;
}

export interface PlacementResult {
  /** One per placed task, in order; fewer than `count` when the rest did not fit. */
  placements: Placement[];
  /** The instances with the placed tasks charged (remaining resources, pendingTasksCount). */
  instances: ContainerInstanceRecord[];
  /** For the first task that could not be placed: each ACTIVE instance's reason, or NO_INSTANCES_REASON. */
  failures: Array<{ instanceId?: string; reason: string }>;
  /** The instance that came closest to taking that task, for the service event. */
  closest?: { instanceId: string; reason: PlacementReason };
}

/** The definition as a launch's overrides size it: task-level cpu/memory, each container's cpu/memory/memoryReservation. */
const sizedBy = (definition: TaskDefinition, overrides: TaskOverrides | undefined): TaskDefinition => {
  if (!overrides) return definition;
  const byName = new Map((overrides.containerOverrides ?? []).map((override) => [override.name, override]));
  return {
    ...definition,
    cpu: overrides.cpu ?? definition.cpu,
    memory: overrides.memory ?? definition.memory,
    containerDefinitions: definition.containerDefinitions.map((container) => {
      const override = byName.get(container.name);
      return {
        ...container,
        ...(override?.cpu !== undefined ? { cpu: override.cpu } : {}),
        ...(override?.memory !== undefined ? { memory: override.memory } : {}),
        ...(override?.memoryReservation !== undefined ? { memoryReservation: override.memoryReservation } : {}),
      };
    }),
  };
};

/**
 * What the task needs of an instance, from its task definition and the launch's overrides (ECS
 * reserves memoryReservation when set).
 */
export const requirementsOf = (taskDefinition: TaskDefinition, group: string, overrides?: TaskOverrides): TaskRequirements => {
  const definition = sizedBy(taskDefinition, overrides);
  const containers = definition.containerDefinitions;
  const mappings = containers.flatMap((container) => container.portMappings ?? []);
  const byProtocol = (protocol: 'tcp' | 'udp') => mappings.filter((mapping) => (mapping.protocol ?? 'tcp') === protocol);
  const staticPorts = (protocol: 'tcp' | 'udp') =>
    definition.networkMode === 'host'
      ? byProtocol(protocol).map((mapping) => mapping.hostPort || mapping.containerPort)
      : definition.networkMode === 'bridge'
        ? byProtocol(protocol).flatMap((mapping) => (mapping.hostPort ? [mapping.hostPort] : []))
        : [];
  const dynamicPorts = (protocol: 'tcp' | 'udp') =>
    definition.networkMode === 'bridge' ? byProtocol(protocol).filter((mapping) => !mapping.hostPort).length : 0;
  return {
    cpu: definition.cpu ? Number(definition.cpu) : containers.reduce((sum, container) => sum + (container.cpu ?? 0), 0),
    memory: definition.memory
      ? Number(definition.memory)
      : containers.reduce((sum, container) => sum + (container.memoryReservation ?? container.memory ?? 0), 0),
    tcpPorts: staticPorts('tcp'),
    udpPorts: staticPorts('udp'),
    dynamicTcpPorts: dynamicPorts('tcp'),
    dynamicUdpPorts: dynamicPorts('udp'),
    needsEni: definition.networkMode === 'awsvpc',
    group,
  };
};

/**
 * What a placed task records: the instance, what it holds there, and each port mapping's host port
 * (host mode: the container's port; bridge: the given hostPort, else the next dynamic port placement
 * gave, in mapping order). awsvpc and none tasks bind no host port.
 */
export const instancePlacement = (
  definition: TaskDefinition,
  task: TaskRequirements,
  placement: Placement,
  containerInstanceArn: string,
): InstancePlacement => {
  const dynamic = { tcp: placement.tcpPorts.slice(task.tcpPorts.length), udp: placement.udpPorts.slice(task.udpPorts.length) };
  const networkBindings: NetworkBinding[] =
    definition.networkMode === 'host' || definition.networkMode === 'bridge'
      ? definition.containerDefinitions.flatMap((container) =>
          (container.portMappings ?? []).map((mapping) => {
            const protocol = mapping.protocol ?? 'tcp';
            const hostPort =
              definition.networkMode === 'host' ? mapping.hostPort || mapping.containerPort : mapping.hostPort || dynamic[protocol].shift()!;
            return { containerName: container.name, bindIP: '0.0.0.0', containerPort: mapping.containerPort, hostPort, protocol };
          }),
        )
      : [];
  return {
    containerInstanceArn,
    charged: { cpu: task.cpu, memory: task.memory, tcpPorts: placement.tcpPorts, udpPorts: placement.udpPorts, eni: task.needsEni },
    ...(networkBindings.length ? { networkBindings } : {}),
  };
};

/** The lowest `count` ports of the dynamic range not in use, or undefined when there are not enough. */
const freeDynamicPorts = (inUse: ReadonlySet<number>, count: number): number[] | undefined => {
  const ports: number[] = [];
  for (let port = DYNAMIC_PORT_RANGE.first; port <= DYNAMIC_PORT_RANGE.last && ports.length < count; port++) {
    if (!inUse.has(port)) ports.push(port);
  }
  return ports.length === count ? ports : undefined;
};

/** Every reason the instance cannot take the task now, constraints first, as ECS checks them. */
export const reasonsAgainst = (
  instance: ContainerInstanceRecord,
  task: TaskRequirements,
  groups: readonly string[],
  constraints: readonly PlacementConstraint[],
): PlacementReason[] => {
  const reasons: PlacementReason[] = [];
  for (const constraint of constraints) {
    if (constraint.type === 'memberOf' && !evaluateClusterQuery(constraint.expression, queryTargetOf(instance, groups))) {
      reasons.push('MemberOf placement constraint unsatisfied.');
    }
    if (constraint.type === 'distinctInstance' && groups.includes(task.group)) reasons.push('DistinctInstance placement constraint unsatisfied.');
  }
  if (instance.remaining.cpu < task.cpu) reasons.push('RESOURCE:CPU');
  if (instance.remaining.memory < task.memory) reasons.push('RESOURCE:MEMORY');
  const tcp = new Set(instance.remaining.ports);
  const udp = new Set(instance.remaining.portsUdp);
  const repeats = (ports: number[]) => new Set(ports).size !== ports.length;
  if (repeats(task.tcpPorts) || task.tcpPorts.some((port) => tcp.has(port)) || !freeDynamicPorts(new Set([...tcp, ...task.tcpPorts]), task.dynamicTcpPorts)) {
    reasons.push('RESOURCE:PORTS');
  }
  if (repeats(task.udpPorts) || task.udpPorts.some((port) => udp.has(port)) || !freeDynamicPorts(new Set([...udp, ...task.udpPorts]), task.dynamicUdpPorts)) {
    reasons.push('RESOURCE:PORTS_UDP');
  }
  if (task.needsEni && instance.remainingEnis < 1) reasons.push('RESOURCE:ENI');
  return reasons;
};

/** mulberry32: a small seeded PRNG, so that `random` placements repeat for a seed. */
const seededRandom = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** The value a spread field has on an instance; instances without the attribute share one bucket. */
const spreadValue = (instance: ContainerInstanceRecord, field: string): string => {
  if (field === 'instanceId' || field === 'host') return instance.id;
  const name = field.startsWith('attribute:') ? field.slice('attribute:'.length) : field;
  return instance.attributes.find((attribute) => attribute.name === name)?.value ?? '';
};

/** Charges one task to the instance: its CPU, memory, ports (static and the lowest free dynamic ones) and ENI. */
const charge = (instance: ContainerInstanceRecord, task: TaskRequirements): { instance: ContainerInstanceRecord; placement: Placement } => {
  const tcpInUse = new Set([...instance.remaining.ports, ...task.tcpPorts]);
  const udpInUse = new Set([...instance.remaining.portsUdp, ...task.udpPorts]);
  const tcpPorts = [...task.tcpPorts, ...(freeDynamicPorts(tcpInUse, task.dynamicTcpPorts) ?? [])];
  const udpPorts = [...task.udpPorts, ...(freeDynamicPorts(udpInUse, task.dynamicUdpPorts) ?? [])];
  return {
    instance: {
      ...instance,
      remaining: {
        cpu: instance.remaining.cpu - task.cpu,
        memory: instance.remaining.memory - task.memory,
        ports: [...instance.remaining.ports, ...tcpPorts],
        portsUdp: [...instance.remaining.portsUdp, ...udpPorts],
      },
      remainingEnis: instance.remainingEnis - (task.needsEni ? 1 : 0),
      pendingTasksCount: instance.pendingTasksCount + 1,
    },
    placement: { instanceId: instance.id, tcpPorts, udpPorts },
  };
};

/** The closest instance: the fewest reasons against it, then the most memory and CPU left, then the id. */
const closestOf = (rejected: Array<{ instance: ContainerInstanceRecord; reasons: PlacementReason[] }>) =>
  [...rejected].sort(
    (a, b) =>
      a.reasons.length - b.reasons.length ||
      b.instance.remaining.memory - a.instance.remaining.memory ||
      b.instance.remaining.cpu - a.instance.remaining.cpu ||
      (a.instance.id < b.instance.id ? -1 : 1),
  )[0];

export const place = (request: PlacementRequest): PlacementResult => {
  const random = seededRandom(request.seed);
  let instances = [...request.instances];
  const groups = new Map<string, string[]>([...(request.taskGroups ?? new Map())].map(([id, list]) => [id, [...list]]));
  const groupsOn = (id: string) => groups.get(id) ?? [];
  const placements: Placement[] = [];
  for (let index = 0; index < request.count; index++) {
    const active = instances.filter((instance) => instance.status === 'ACTIVE');
    if (active.length === 0) return { placements, instances, failures: [{ reason: NO_INSTANCES_REASON }] };
    const judged = active.map((instance) => ({ instance, reasons: reasonsAgainst(instance, request.task, groupsOn(instance.id), request.constraints) }));
    const feasible = judged.filter(({ reasons }) => reasons.length === 0).map(({ instance }) => instance);
    if (feasible.length === 0) {
      const closest = closestOf(judged);
      return {
        placements,
        instances,
        failures: judged.map(({ instance, reasons }) => ({ instanceId: instance.id, reason: reasons[0] })),
        closest: { instanceId: closest.instance.id, reason: closest.reasons[0] },
      };
    }
    const chosen = rank(feasible, active, request, groupsOn, random)[0];
    const charged = charge(chosen, request.task);
    instances = instances.map((instance) => (instance.id === chosen.id ? charged.instance : instance));
    groups.set(chosen.id, [...groupsOn(chosen.id), request.task.group]);
    placements.push(charged.placement);
  }
  return { placements, instances, failures: [] };
};

/** The feasible instances, best first by the strategies in order, then by id. */
const rank = (
  feasible: ContainerInstanceRecord[],
  active: ContainerInstanceRecord[],
  request: PlacementRequest,
  groupsOn: (id: string) => readonly string[],
  random: () => number,
): ContainerInstanceRecord[] => {
  const keys = new Map(feasible.map((instance) => [instance.id, [] as number[]]));
  for (const strategy of request.strategies) {
    if (strategy.type === 'binpack') {
      for (const instance of feasible) keys.get(instance.id)!.push(instance.remaining[strategy.field]);
    } else if (strategy.type === 'random') {
      for (const instance of feasible) keys.get(instance.id)!.push(random());
    } else {
      // Tasks of the group per value of the field, over every ACTIVE instance (full ones count too).
      const perValue = new Map<string, number>();
      for (const instance of active) {
        const value = spreadValue(instance, strategy.field);
        const tasks = groupsOn(instance.id).filter((group) => group === request.task.group).length;
        perValue.set(value, (perValue.get(value) ?? 0) + tasks);
      }
      for (const instance of feasible) keys.get(instance.id)!.push(perValue.get(spreadValue(instance, strategy.field)) ?? 0);
    }
  }
  return [...feasible].sort((a, b) => {
    const left = keys.get(a.id)!;
    const right = keys.get(b.id)!;
    for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return left[index] - right[index];
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
};

const INSUFFICIENT: Record<PlacementReason, string> = {
  'RESOURCE:CPU': 'has insufficient CPU units available.',
  'RESOURCE:MEMORY': 'has insufficient memory available.',
  'RESOURCE:PORTS': 'is already using a port required by your task.',
  'RESOURCE:PORTS_UDP': 'is already using a port required by your task.',
  'RESOURCE:ENI': 'has insufficient free network interfaces available.',
  'MemberOf placement constraint unsatisfied.': 'encountered error "MemberOf placement constraint unsatisfied."',
  'DistinctInstance placement constraint unsatisfied.': 'encountered error "DistinctInstance placement constraint unsatisfied."',
};

/** The service event ECS writes when a service's task cannot be placed, naming the closest instance. */
export const unplaceableEvent = (serviceName: string, result: Pick<PlacementResult, 'closest'>): string => {
  const start = `(service ${serviceName}) was unable to place a task because no container instance met all of its requirements.`;
  if (!result.closest) return `${start} Reason: ${NO_INSTANCES_REASON} For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`;
  return (
    `${start} The closest matching (container-instance ${result.closest.instanceId}) ${INSUFFICIENT[result.closest.reason]} ` +
    'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.'
  );
};
