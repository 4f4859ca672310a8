import { createHash } from 'node:crypto';
import type { CapacityProviderRecord, GroupInstance, ManagedScalingState, SimulatedGroup } from '../../domain/capacity-provider';
import type { EpochMs } from '../../domain/model';

/** What one task needs of an instance (CPU units, MiB). */
export interface TaskNeed {
  cpu: number;
  memory: number;
}

/** A container instance of the provider's group as the cluster has it registered now. */
export interface RegisteredInstance {
  containerInstanceId: string;
  /** Live tasks on it (placed and not yet stopped). */
  tasks: number;
}

export interface CapacityObservation {
  /** The group's instances registered in the cluster (ACTIVE or DRAINING), by EC2 instance id. */
  registered: ReadonlyMap<string, RegisteredInstance>;
  /** The provider's tasks waiting for capacity (PROVISIONING, on no instance yet). */
  waiting: TaskNeed[];
  /** What one instance of the group's type offers. */
  instanceCapacity: TaskNeed;
  /** The zones instances are spread over, round-robin. */
  availabilityZones: readonly string[];
  /** Metric seconds per real second (12 on the fast profile). */
  timeScale: number;
  /** Makes launched instances' ids unique to this provider (its account, name and creation). */
  identity: string;
}

export interface CapacityDecision {
  /** The group after this pass: desired capacity, launched instances added, terminated ones removed. */
  group: SimulatedGroup;
  /** Instances that booted and now register (their container instance id is filled in by the effects). */
  registrations: GroupInstance[];
  /** Idle registered instances to deregister and terminate. */
  terminations: Array<{ instance: GroupInstance; containerInstanceId: string }>;
  scaling: ManagedScalingState;
  /** CapacityProviderReservation now (percent). */
  reservation: number;
  /** Instances needed (M) and instances in the group (N) behind it. */
  needed: number;
  running: number;
}

/** An instance boots for about a minute before its agent registers it (5 s on the fast profile). */
export const BOOT_DELAY_MS = 60_000;
/**
 * Scale-in waits until the reservation has stayed below target this long (the low alarm of ECS's
 * managed target tracking policy: 15 datapoints of a minute), in metric time.
 */
export const SCALE_IN_AFTER_MS = 15 * 60_000;

/**
 * How many fresh instances of `capacity` the tasks need: first fit, largest tasks first. A task
 * larger than an instance still counts one (it can never be placed, and must not scale forever).
 */
export const instancesFor = (tasks: readonly TaskNeed[], capacity: TaskNeed): number => {
  const sorted = [...tasks].sort((a, b) => b.memory - a.memory || b.cpu - a.cpu);
  const bins: TaskNeed[] = [];
  for (const task of sorted) {
    const bin = bins.find((candidate) => candidate.cpu >= task.cpu && candidate.memory >= task.memory);
    if (bin) {
      bin.cpu -= task.cpu;
      bin.memory -= task.memory;
    } else {
      bins.push({ cpu: Math.max(0, capacity.cpu - task.cpu), memory: Math.max(0, capacity.memory - task.memory) });
    }
  }
  return bins.length;
};

/** ECS's CapacityProviderReservation: M / N × 100, with 100 for nothing at all and 200 for tasks and no instance. */
export const reservationOf = (needed: number, running: number): number => {
  if (running === 0) return needed === 0 ? 100 : 200;
  return Math.round((needed / running) * 100 * 100) / 100;
};

/** A launched instance's EC2 id, from the provider's identity and its sequence number: the same pass plans the same ids. */
export const instanceIdOf = (identity: string, sequence: number) =>
  `i-${createHash('sha256').update(`${identity}#${sequence}`).digest('hex').slice(0, 17)}`;

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/**
 * One pass of the simulated Auto Scaling group and of ECS's managed scaling over it, pure:
 *
 * 1. The group forgets instances whose container instance was deregistered (they are gone) and
 *    adopts the ids of those registered by a pass whose claim was lost.
 * 2. Managed scaling (when ENABLED) computes M (instances running tasks, plus the fresh instances
 *    the waiting tasks need) and N (the group's instances, booting ones included, so a pass never
 *    launches again for what is already booting), the reservation M/N×100, and sets the desired
 *    capacity to what brings it to targetCapacity: out at once, by at least the minimum and at
 *    most the maximum step; in only after it stayed below target for SCALE_IN_AFTER_MS, by any
 *    step. Without managed scaling the desired capacity is the user's. Always within min and max.
 * 3. The group launches instances up to the desired capacity (each registers BOOT_DELAY_MS later)
 *    and terminates instances beyond it, only idle ones (no task, booting ones first): an
 *    instance that runs a task is never terminated, so the desired capacity then stays higher.
 */
export const plan = (provider: CapacityProviderRecord, observed: CapacityObservation, now: EpochMs): CapacityDecision => {
  const { group } = provider;
  const managed = provider.autoScalingGroupProvider.managedScaling;
  const instances = group.instances.flatMap((instance): GroupInstance[] => {
    const registered = observed.registered.get(instance.ec2InstanceId);
    if (instance.containerInstanceId !== undefined) return registered ? [instance] : [];
    return registered ? [{ ...instance, containerInstanceId: registered.containerInstanceId }] : [instance];
  });
  const tasksOn = (instance: GroupInstance) => observed.registered.get(instance.ec2InstanceId)?.tasks ?? 0;

  const running = instances.length;
  const busy = instances.filter((instance) => tasksOn(instance) > 0).length;
  const needed = busy + instancesFor(observed.waiting, observed.instanceCapacity);
  const reservation = reservationOf(needed, running);

  let desired = clamp(group.desiredCapacity, group.minSize, group.maxSize);
  let belowTargetSince: EpochMs | undefined;
  if (managed.status === 'ENABLED') {
    const wanted = Math.ceil((needed * 100) / managed.targetCapacity);
    if (reservation > managed.targetCapacity && wanted > running) {
      const step = clamp(wanted - running, managed.minimumScalingStepSize, managed.maximumScalingStepSize);
      desired = clamp(Math.max(desired, running + step), group.minSize, group.maxSize);
    } else if (reservation < managed.targetCapacity && wanted < running) {
      belowTargetSince = provider.scaling.belowTargetSince ?? now;
      if (now - belowTargetSince >= SCALE_IN_AFTER_MS / observed.timeScale) desired = clamp(wanted, group.minSize, group.maxSize);
    }
  }

  const { belowTargetSince: _previous, ...remembered } = provider.scaling;
  const launches: GroupInstance[] = [];
  for (let index = running; index < desired; index++) {
    const sequence = group.launched + launches.length;
    launches.push({
      ec2InstanceId: instanceIdOf(observed.identity, sequence),
      availabilityZone: observed.availabilityZones[sequence % observed.availabilityZones.length],
      launchedAt: now,
      registersAt: now + BOOT_DELAY_MS / observed.timeScale,
    });
  }
  const idle = [
    ...instances.filter((instance) => instance.containerInstanceId === undefined).reverse(),
    ...instances.filter((instance) => instance.containerInstanceId !== undefined && tasksOn(instance) === 0).reverse(),
  ];
  const leaving = idle.slice(0, Math.max(0, running - desired));
  // Booting instances are simply cancelled; registered ones are deregistered by the effects.
  const terminations = leaving.flatMap((instance) =>
    instance.containerInstanceId === undefined ? [] : [{ instance, containerInstanceId: instance.containerInstanceId }],
  );
  const kept = instances.filter((instance) => !leaving.includes(instance));
  const registrations = kept.filter((instance) => instance.containerInstanceId === undefined && instance.registersAt <= now);

  return {
    group: {
      ...group,
      // Instances that could not be terminated (they run tasks) keep the desired capacity up.
      desiredCapacity: Math.max(desired, kept.length),
      instances: [...kept, ...launches],
      launched: group.launched + launches.length,
    },
    registrations,
    terminations,
    scaling: { ...remembered, reservation, ...(belowTargetSince === undefined ? {} : { belowTargetSince }) },
    reservation,
    needed,
    running,
  };
};
