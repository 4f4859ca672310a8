import fc from 'fast-check';
import { BOOT_DELAY_MS, instancesFor, plan, reservationOf, SCALE_IN_AFTER_MS, type CapacityObservation, type TaskNeed } from '../../lib/controllers/capacity/plan';
import type { CapacityProviderRecord, GroupInstance, ManagedScaling } from '../../lib/domain/capacity-provider';

const CAPACITY: TaskNeed = { cpu: 2048, memory: 3904 };
const NOW = Date.UTC(2026, 10, 30);

const provider = (scaling: Partial<ManagedScaling>, group: Partial<CapacityProviderRecord['group']> = {}): CapacityProviderRecord => ({
  name: 'cp',
  status: 'ACTIVE',
  autoScalingGroupProvider: {
    autoScalingGroupArn: 'asg',
    managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10_000, instanceWarmupPeriod: 300, ...scaling },
    managedTerminationProtection: 'ENABLED',
    managedDraining: 'ENABLED',
  },
  clusterName: 'c',
  group: { instanceType: 't3.medium', minSize: 0, maxSize: 10, desiredCapacity: 0, instances: [], launched: 0, ...group },
  scaling: {},
  createdAt: 0,
  version: 1,
});

const observation = (registered: Array<[string, string, number]> = [], waiting: TaskNeed[] = []): CapacityObservation => ({
  registered: new Map(registered.map(([ec2, id, tasks]) => [ec2, { containerInstanceId: id, tasks }])),
  waiting,
  instanceCapacity: CAPACITY,
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  timeScale: 1,
  identity: 'arn:cp#0',
});

const inService = (index: number): GroupInstance => ({
  ec2InstanceId: `i-${String(index).padStart(17, '0')}`,
  availabilityZone: 'us-east-1a',
  launchedAt: 0,
  registersAt: 0,
  containerInstanceId: `ci-${index}`,
});

describe('the reservation', () => {
  it('is M/N×100, 100 for nothing at all and 200 for tasks without instances, as ECS computes it', () => {
    expect(reservationOf(0, 0)).toBe(100);
    expect(reservationOf(3, 0)).toBe(200);
    expect(reservationOf(0, 4)).toBe(0);
    expect(reservationOf(3, 4)).toBe(75);
    expect(reservationOf(5, 4)).toBe(125);
  });

  it('packs waiting tasks on fresh instances by memory and CPU, one instance for a task larger than any', () => {
    expect(instancesFor([], CAPACITY)).toBe(0);
    expect(instancesFor(Array(3).fill({ cpu: 1024, memory: 2048 }), CAPACITY)).toBe(3);
    expect(instancesFor(Array(8).fill({ cpu: 512, memory: 512 }), CAPACITY)).toBe(2);
    expect(instancesFor([{ cpu: 99_999, memory: 99_999 }], CAPACITY)).toBe(1);
  });
});

describe('plan', () => {
  it('launches for waiting tasks, gives each instance a deterministic id and zone, and registers it once it booted', () => {
    const first = plan(provider({}), observation([], Array(3).fill({ cpu: 1024, memory: 2048 })), NOW);
    expect(first.reservation).toBe(200);
    expect(first.group.desiredCapacity).toBe(3);
    expect(first.group.instances.map((instance) => instance.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(plan(provider({}), observation([], Array(3).fill({ cpu: 1024, memory: 2048 })), NOW).group).toEqual(first.group);
    const booting = { ...provider({}), group: first.group };
    expect(plan(booting, observation([], Array(3).fill({ cpu: 1024, memory: 2048 })), NOW + 1000).registrations).toEqual([]);
    const booted = plan(booting, observation([], Array(3).fill({ cpu: 1024, memory: 2048 })), NOW + BOOT_DELAY_MS);
    expect(booted.registrations).toHaveLength(3);
    expect(booted.group.instances).toHaveLength(3);
  });

  it('scales in only after the reservation stayed below target for the low alarm\'s 15 minutes, and only idle instances', () => {
    const group = { desiredCapacity: 3, instances: [inService(0), inService(1), inService(2)], launched: 3 };
    const registered: Array<[string, string, number]> = [[inService(0).ec2InstanceId, 'ci-0', 2], [inService(1).ec2InstanceId, 'ci-1', 0], [inService(2).ec2InstanceId, 'ci-2', 0]];
    const first = plan(provider({}, group), observation(registered), NOW);
    expect(first.reservation).toBeCloseTo(33.33, 1);
    expect(first.terminations).toEqual([]);
    const later = plan({ ...provider({}, group), scaling: first.scaling }, observation(registered), NOW + SCALE_IN_AFTER_MS);
    expect(later.terminations.map((termination) => termination.containerInstanceId).sort()).toEqual(['ci-1', 'ci-2']);
    expect(later.group.desiredCapacity).toBe(1);
  });

  it('follows the desired capacity set by hand when managed scaling is disabled', () => {
    const decision = plan(provider({ status: 'DISABLED' }, { desiredCapacity: 2 }), observation([], Array(9).fill({ cpu: 2048, memory: 2048 })), NOW);
    expect(decision.group.instances).toHaveLength(2);
  });
});

/** A group at some moment: instances (some booting, some registered with tasks) and waiting tasks. */
const world = fc
  .record({
    minSize: fc.integer({ min: 0, max: 6 }),
    span: fc.integer({ min: 0, max: 10 }),
    desired: fc.integer({ min: 0, max: 16 }),
    target: fc.integer({ min: 1, max: 100 }),
    minStep: fc.integer({ min: 1, max: 5 }),
    extraStep: fc.integer({ min: 0, max: 10 }),
    managed: fc.boolean(),
    instances: fc.array(fc.record({ registered: fc.boolean(), tasks: fc.integer({ min: 0, max: 3 }) }), { maxLength: 16 }),
    waiting: fc.array(fc.record({ cpu: fc.integer({ min: 128, max: 4096 }), memory: fc.integer({ min: 128, max: 8192 }) }), { maxLength: 20 }),
    belowFor: fc.option(fc.integer({ min: 0, max: 2 * SCALE_IN_AFTER_MS }), { nil: undefined }),
  })
  .map((w) => {
    const maxSize = w.minSize + w.span;
    const instances = w.instances.map((instance, index) => (instance.registered ? inService(index) : { ...inService(index), containerInstanceId: undefined, registersAt: NOW + 1 }));
    const record: CapacityProviderRecord = {
      ...provider(
        { status: w.managed ? 'ENABLED' : 'DISABLED', targetCapacity: w.target, minimumScalingStepSize: w.minStep, maximumScalingStepSize: w.minStep + w.extraStep },
        { minSize: w.minSize, maxSize, desiredCapacity: Math.min(Math.max(w.desired, w.minSize), maxSize), instances, launched: instances.length },
      ),
      scaling: w.belowFor === undefined ? {} : { belowTargetSince: NOW - w.belowFor },
    };
    const registered: Array<[string, string, number]> = w.instances.flatMap((instance, index) =>
      instance.registered ? [[inService(index).ec2InstanceId, `ci-${index}`, instance.tasks] as [string, string, number]] : [],
    );
    return { record, observed: observation(registered, w.waiting), tasksOf: new Map(registered.map(([, id, tasks]) => [id, tasks])) };
  });

describe('plan (properties)', () => {
  it('keeps the desired capacity within min and max, unless instances running tasks hold it above', () => {
    fc.assert(
      fc.property(world, ({ record, observed }) => {
        const decision = plan(record, observed, NOW);
        expect(decision.group.desiredCapacity).toBeGreaterThanOrEqual(record.group.minSize);
        const busy = decision.group.instances.filter((instance) => (observed.registered.get(instance.ec2InstanceId)?.tasks ?? 0) > 0).length;
        expect(decision.group.desiredCapacity).toBeLessThanOrEqual(Math.max(record.group.maxSize, busy, record.group.instances.length));
        expect(decision.group.instances.length).toBeLessThanOrEqual(Math.max(record.group.maxSize, record.group.instances.length));
      }),
      { numRuns: 500 },
    );
  });

  it('never terminates an instance that runs a task', () => {
    fc.assert(
      fc.property(world, ({ record, observed, tasksOf }) => {
        for (const { containerInstanceId } of plan(record, observed, NOW).terminations) expect(tasksOf.get(containerInstanceId)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('scales out within the step bounds (unless max stops it), and never launches while the reservation is at or below target', () => {
    fc.assert(
      fc.property(world, ({ record, observed }) => {
        const decision = plan(record, observed, NOW);
        const launched = decision.group.launched - record.group.launched;
        const { managedScaling } = record.autoScalingGroupProvider;
        if (managedScaling.status !== 'ENABLED' || launched === 0) return;
        const before = record.group.instances.length;
        const desiredBefore = Math.min(Math.max(record.group.desiredCapacity, record.group.minSize), record.group.maxSize);
        // Launches make up what the group was short of its desired capacity, plus managed scaling's step.
        const step = decision.group.desiredCapacity - Math.max(before, desiredBefore);
        if (step > 0) {
          expect(decision.reservation).toBeGreaterThan(managedScaling.targetCapacity);
          expect(step).toBeLessThanOrEqual(managedScaling.maximumScalingStepSize);
          if (decision.group.desiredCapacity < record.group.maxSize) {
            expect(decision.group.desiredCapacity - before).toBeGreaterThanOrEqual(Math.min(managedScaling.minimumScalingStepSize, record.group.maxSize - before));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('converges: passes over booting instances that take the waiting tasks bring the reservation to or under target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 100 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 4 }),
        (target, tasks, maxStep) => {
          // One task per instance (each needs most of one), so M is the instances with tasks plus those waiting.
          let record = provider({ targetCapacity: target, maximumScalingStepSize: maxStep }, { maxSize: 100 });
          let waiting = tasks;
          let now = NOW;
          const placed = new Map<string, number>();
          for (let pass = 0; pass < 120; pass++) {
            const registered: Array<[string, string, number]> = record.group.instances
              .filter((instance) => instance.containerInstanceId)
              .map((instance) => [instance.ec2InstanceId, instance.containerInstanceId!, placed.get(instance.ec2InstanceId) ?? 0]);
            const decision = plan(record, observation(registered, Array(waiting).fill({ cpu: 2000, memory: 3800 })), now);
            const instances = decision.group.instances.map((instance) =>
              decision.registrations.includes(instance) ? { ...instance, containerInstanceId: `ci-${instance.ec2InstanceId}` } : instance,
            );
            // The reconciler places a waiting task on each registered idle instance.
            for (const instance of instances) {
              if (instance.containerInstanceId && !placed.has(instance.ec2InstanceId) && waiting > 0) {
                placed.set(instance.ec2InstanceId, 1);
                waiting -= 1;
              }
            }
            record = { ...record, group: { ...decision.group, instances }, scaling: decision.scaling };
            now += BOOT_DELAY_MS;
          }
          expect(waiting).toBe(0);
          const running = record.group.instances.length;
          expect(reservationOf(tasks, running)).toBeLessThanOrEqual(tasks === 0 ? 100 : target);
          expect(running).toBe(Math.ceil((tasks * 100) / target));
        },
      ),
      { numRuns: 60 },
    );
  });
});
