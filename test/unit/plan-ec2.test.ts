import fc from 'fast-check';
import { parseClusterQuery } from '../../lib/domain/cluster-query';
import { newContainerInstance, resourcesOfType, type ContainerInstanceRecord } from '../../lib/domain/container-instance';
import { meetsMemberOf, type PlacementConstraintInput, type PlacementStrategy, type TaskRequirements } from '../../lib/domain/placement';
import { deploymentBounds, type ServiceState } from '../../lib/domain/service';
import type { TaskRecord } from '../../lib/domain/task';
import { instanceIdOf, plan, UNPLACEABLE_REPEAT_MS, type ClusterCapacity, type LaunchAction } from '../../lib/reconciler/plan';
import { FAST, T0, makeDeployment, makeService, makeTask, views } from '../support/plan-arbitraries';

/*
 * The planner on EC2: a model cluster of container instances and several services planned pass
 * after pass the way the reconciler plans them (one pass shares the instances' remaining resources
 * across its services), with the invariants checked at every pass.
 */

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const instanceArnOf = (id: string) => `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${id}`;

const makeInstance = (index: number, instanceType: string, zone: string, stack?: string): ContainerInstanceRecord => {
  const registration = resourcesOfType(instanceType)!;
  return newContainerInstance({
    id: `ci${String(index).padStart(4, '0')}`,
    clusterName: 'default',
    identity: { ec2InstanceId: `i-${String(index).padStart(17, '0')}`, instanceType, availabilityZone: zone, amiId: 'ami-00000000' },
    resources: registration.resources,
    enis: registration.enis,
    agent: { agentVersion: '1.89.2', agentHash: 'x', dockerVersion: 'd' },
    attributes: stack ? [{ name: 'stack', value: stack }] : [],
    now: 0,
  });
};

interface ModelService {
  service: ServiceState;
  requirements: TaskRequirements;
}

interface World {
  instances: ContainerInstanceRecord[];
  services: ModelService[];
  tasks: TaskRecord[];
  /** Host ports each task holds. */
  ports: Map<string, number[]>;
  now: number;
}

const ec2Service = (name: string, spec: {
  desiredCount: number;
  cpu: number;
  memory: number;
  hostPort?: number;
  strategies?: PlacementStrategy[];
  constraints?: PlacementConstraintInput[];
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  daemon?: boolean;
}): ModelService => {
  const base = makeService({
    deployments: [makeDeployment({ sequence: 1, revision: 1, rolloutState: 'COMPLETED' })],
    desiredCount: spec.desiredCount,
    minimumHealthyPercent: spec.minimumHealthyPercent,
    maximumPercent: spec.maximumPercent,
  });
  return {
    service: {
      ...base,
      serviceName: name,
      serviceArn: base.serviceArn.replace(/\/web$/, `/${name}`),
      launchType: 'EC2',
      schedulingStrategy: spec.daemon ? 'DAEMON' : 'REPLICA',
      ...(spec.strategies ? { placementStrategy: spec.strategies } : {}),
      ...(spec.constraints ? { placementConstraints: spec.constraints } : {}),
    },
    requirements: {
      cpu: spec.cpu,
      memory: spec.memory,
      tcpPorts: spec.hostPort ? [spec.hostPort] : [],
      udpPorts: [],
      dynamicTcpPorts: 0,
      dynamicUdpPorts: 0,
      needsEni: false,
      group: `service:${name}`,
    },
  };
};

const isLive = (task: TaskRecord) => task.lastStatus !== 'STOPPED';
const requirementsOfTask = (world: World, task: TaskRecord) =>
  world.services.find(({ service }) => service.serviceName === task.serviceName)!.requirements;

/** The instances with what their live tasks leave, as the reconciler's loader derives it. */
const capacityOf = (world: World, model: ModelService): ClusterCapacity => {
  const taskGroups = new Map<string, string[]>();
  const instances = world.instances.map((instance) => {
    const mine = world.tasks.filter((task) => isLive(task) && instanceIdOf(task) === instance.id);
    for (const task of mine) taskGroups.set(instance.id, [...(taskGroups.get(instance.id) ?? []), task.group]);
    const used = mine.map((task) => requirementsOfTask(world, task));
    return {
      ...instance,
      remaining: {
        ...instance.registered,
        cpu: instance.registered.cpu - used.reduce((sum, need) => sum + need.cpu, 0),
        memory: instance.registered.memory - used.reduce((sum, need) => sum + need.memory, 0),
        ports: [...instance.registered.ports, ...mine.flatMap((task) => world.ports.get(task.taskId) ?? [])],
      },
    };
  });
  return { instances, taskGroups, requirements: new Map([[model.service.taskDefinition, model.requirements]]) };
};

/** What the running tasks hold: CPU, memory and ports per instance never exceed what it registered. */
const expectNoOverCommit = (world: World) => {
  for (const instance of world.instances) {
    const mine = world.tasks.filter((task) => isLive(task) && instanceIdOf(task) === instance.id);
    const used = mine.map((task) => requirementsOfTask(world, task));
    expect(used.reduce((sum, need) => sum + need.cpu, 0)).toBeLessThanOrEqual(instance.registered.cpu);
    expect(used.reduce((sum, need) => sum + need.memory, 0)).toBeLessThanOrEqual(instance.registered.memory);
    const ports = [...instance.registered.ports, ...mine.flatMap((task) => world.ports.get(task.taskId) ?? [])];
    expect(new Set(ports).size).toBe(ports.length);
  }
};

const healthyActive = (tasks: TaskRecord[]) => tasks.filter((task) => task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING');
const active = (tasks: TaskRecord[]) => tasks.filter((task) => isLive(task) && task.desiredStatus === 'RUNNING');

/**
 * One reconcile pass over every service, instances shared as the reconciler shares them, then the
 * fleet moves on: PENDING tasks run (healthy), stopping tasks stop. Checks, per pass: launches only
 * on ACTIVE instances meeting the constraints, no over-commit, and the deployment bounds.
 */
const pass = (world: World): { launches: LaunchAction[]; stops: number; events: string[] } => {
  world.now += 1_000;
  const launches: LaunchAction[] = [];
  const events: string[] = [];
  let stops = 0;
  let shared: ContainerInstanceRecord[] | undefined;
  for (const model of world.services) {
    const own = world.tasks.filter((task) => task.serviceName === model.service.serviceName);
    const capacity = capacityOf(world, model);
    const planned = plan(model.service, views(own), world.now, FAST, { ...capacity, instances: shared ?? capacity.instances });
    shared = planned.instances;
    model.service = { ...planned.service, version: model.service.version + 1 };
    events.push(...planned.events);
    const before = { healthy: healthyActive(own).length, active: active(own).length };
    for (const stop of planned.stops) {
      const task = world.tasks.find((candidate) => candidate.taskId === stop.taskId)!;
      Object.assign(task, { desiredStatus: 'STOPPED' });
      stops += 1;
    }
    for (const launch of planned.launches) {
      const instance = world.instances.find((candidate) => candidate.id === launch.placement!.instanceId)!;
      expect(instance.status).toBe('ACTIVE');
      const groups = capacity.taskGroups.get(instance.id) ?? [];
      for (const constraint of model.service.placementConstraints ?? []) {
        if (constraint.type === 'distinctInstance') expect(groups).not.toContain(model.requirements.group);
        else expect(meetsMemberOf(instance, groups, [{ type: 'memberOf', expression: parseClusterQuery(constraint.expression!) }])).toBe(true);
      }
      const task = makeTask({
        taskId: launch.taskId,
        deploymentId: launch.deploymentId,
        taskDefinitionArn: launch.taskDefinition,
        lastStatus: 'PENDING',
        desiredStatus: 'RUNNING',
        healthChecked: true,
        healthStatus: 'UNKNOWN',
        createdAt: world.now,
      });
      world.tasks.push({
        ...task,
        serviceName: model.service.serviceName,
        group: model.requirements.group,
        launchType: 'EC2',
        containerInstanceArn: instanceArnOf(instance.id),
      });
      world.ports.set(launch.taskId, launch.placement!.tcpPorts);
      launches.push(launch);
    }
    const after = world.tasks.filter((task) => task.serviceName === model.service.serviceName);
    const { minHealthy, maxTotal } = deploymentBounds(model.service.deploymentConfiguration, model.service.desiredCount);
    expect(healthyActive(after).length).toBeGreaterThanOrEqual(Math.min(minHealthy, before.healthy));
    expect(active(after).length).toBeLessThanOrEqual(Math.max(maxTotal, before.active));
    expectNoOverCommit(world);
  }
  for (const task of world.tasks) {
    if (task.desiredStatus === 'STOPPED' && isLive(task)) Object.assign(task, { lastStatus: 'STOPPED', stoppedAt: world.now, stopCode: 'ServiceSchedulerInitiated' });
    else if (task.lastStatus === 'PENDING') Object.assign(task, { lastStatus: 'RUNNING', startedAt: world.now, healthStatus: 'HEALTHY' });
  }
  return { launches, stops, events };
};

/** Passes until nothing is launched or stopped (at most `limit`). */
const settle = (world: World, limit = 40) => {
  for (let index = 0; index < limit; index++) {
    const { launches, stops } = pass(world);
    if (!launches.length && !stops && !world.tasks.some((task) => isLive(task) && task.lastStatus !== 'RUNNING')) return;
  }
};

const liveOn = (world: World, name: string) => world.tasks.filter((task) => isLive(task) && task.serviceName === name);

const instancesArb = fc
  .array(fc.record({ type: fc.constantFrom('t3.medium', 'c5.large', 'm5.large', 'm5.xlarge'), zone: fc.constantFrom(...ZONES), stack: fc.constantFrom('blue', 'green') }), {
    minLength: 1,
    maxLength: 8,
  })
  .map((specs) => specs.map((spec, index) => makeInstance(index, spec.type, spec.zone, spec.stack)));

const strategiesArb: fc.Arbitrary<PlacementStrategy[]> = fc.array(
  fc.oneof(
    fc.record({ type: fc.constant('binpack' as const), field: fc.constantFrom('cpu' as const, 'memory' as const) }),
    fc.record({ type: fc.constant('spread' as const), field: fc.constantFrom('instanceId', 'attribute:ecs.availability-zone') }),
    fc.constant({ type: 'random' as const }),
  ),
  { maxLength: 2 },
);

const constraintsArb: fc.Arbitrary<PlacementConstraintInput[]> = fc
  .record({ distinct: fc.boolean(), memberOf: fc.option(fc.constantFrom('attribute:stack == blue', 'attribute:ecs.instance-type =~ m5.*'), { nil: undefined }) })
  .map(({ distinct, memberOf }) => [
    ...(distinct ? [{ type: 'distinctInstance' as const }] : []),
    ...(memberOf ? [{ type: 'memberOf' as const, expression: memberOf }] : []),
  ]);

const servicesArb = fc.array(
  fc.record({
    desiredCount: fc.integer({ min: 0, max: 12 }),
    cpu: fc.constantFrom(128, 256, 512, 1024),
    memory: fc.constantFrom(128, 512, 1024, 2048),
    hostPort: fc.option(fc.constantFrom(80, 8080), { nil: undefined }),
    strategies: strategiesArb,
    constraints: constraintsArb,
  }),
  { minLength: 1, maxLength: 4 },
);

const worldOf = (instances: ContainerInstanceRecord[], services: ModelService[]): World => ({ instances, services, tasks: [], ports: new Map(), now: T0 });

describe('the planner on EC2', () => {
  it('never over-commits an instance across the services of a pass, and always honours the constraints', () => {
    fc.assert(
      fc.property(instancesArb, servicesArb, (instances, specs) => {
        const world = worldOf(instances, specs.map((spec, index) => ec2Service(`s${index}`, spec)));
        settle(world, 12);
      }),
      { numRuns: 150 },
    );
  });

  it('spreads a service within one of even across instances and zones when capacity allows', () => {
    fc.assert(
      // As many instances in each zone (ECS spreads by zone first, then by instance within the zone).
      fc.property(fc.constantFrom(3, 6, 9), fc.integer({ min: 0, max: 10 }), (count, desired) => {
        const instances = Array.from({ length: count }, (_, index) => makeInstance(index, 'm5.2xlarge', ZONES[index % 3]));
        const world = worldOf(instances, [ec2Service('web', { desiredCount: desired, cpu: 256, memory: 256 })]);
        settle(world);
        const perInstance = instances.map((instance) => liveOn(world, 'web').filter((task) => instanceIdOf(task) === instance.id).length);
        expect(perInstance.reduce((sum, value) => sum + value, 0)).toBe(desired);
        expect(Math.max(...perInstance) - Math.min(...perInstance)).toBeLessThanOrEqual(1);
        const perZone = ZONES.map((zone) =>
          liveOn(world, 'web').filter((task) => instances.find((instance) => instance.id === instanceIdOf(task))!.availabilityZone === zone).length,
        );
        expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('replaces the tasks of DRAINING instances within minimumHealthyPercent and maximumPercent, and never places on them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 100, max: 200 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        (count, desired, minimumHealthyPercent, maximumPercent, drain) => {
          const instances = Array.from({ length: count }, (_, index) => makeInstance(index, 'm5.2xlarge', ZONES[index % 3]));
          const world = worldOf(instances, [ec2Service('web', { desiredCount: desired, cpu: 512, memory: 512, minimumHealthyPercent, maximumPercent })]);
          settle(world);
          expect(liveOn(world, 'web')).toHaveLength(desired);
          // Drain some instances (always keeping one ACTIVE); the pass checks the bounds at every step.
          world.instances = instances.map((instance, index) => (index > 0 && drain[index] ? { ...instance, status: 'DRAINING' } : instance));
          settle(world);
          const { minHealthy, maxTotal } = deploymentBounds(world.services[0].service.deploymentConfiguration, desired);
          const onDraining = liveOn(world, 'web').filter((task) => world.instances.find((instance) => instance.id === instanceIdOf(task))!.status === 'DRAINING');
          if (maxTotal > desired || minHealthy < desired) {
            expect(onDraining).toEqual([]);
            expect(liveOn(world, 'web')).toHaveLength(desired);
          } else {
            // Neither bound leaves room: nothing moves, as on ECS.
            expect(liveOn(world, 'web')).toHaveLength(desired);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('runs a DAEMON service as one task per ACTIVE instance meeting its constraints, following instances as they come, drain and go', () => {
    fc.assert(
      fc.property(instancesArb, fc.boolean(), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (instances, constrained, drain) => {
        const model = ec2Service('agent', {
          desiredCount: 0,
          cpu: 128,
          memory: 128,
          daemon: true,
          minimumHealthyPercent: 0,
          maximumPercent: 100,
          ...(constrained ? { constraints: [{ type: 'memberOf' as const, expression: 'attribute:stack == blue' }] } : {}),
        });
        const world = worldOf(instances, [model]);
        const expectOnePerEligible = () => {
          const eligible = world.instances.filter((instance) => instance.status === 'ACTIVE' && (!constrained || instance.attributes.some((attribute) => attribute.name === 'stack' && attribute.value === 'blue')));
          const running = liveOn(world, 'agent');
          expect(running.map(instanceIdOf).sort()).toEqual(eligible.map((instance) => instance.id).sort());
          expect(world.services[0].service.desiredCount).toBe(eligible.length);
        };
        settle(world);
        expectOnePerEligible();
        // A new instance registers; some drain; one is deregistered.
        world.instances = [
          ...world.instances.map((instance, index) => (drain[index] ? { ...instance, status: 'DRAINING' as const } : instance)).slice(0, -1),
          makeInstance(99, 'm5.large', 'us-east-1b', 'blue'),
        ];
        settle(world);
        expectOnePerEligible();
      }),
      { numRuns: 120 },
    );
  });

  it('says once that a task cannot be placed, naming the closest instance, and again only after six hours or once resolved', () => {
    const world = worldOf([makeInstance(1, 't3.micro', 'us-east-1a')], [ec2Service('big', { desiredCount: 1, cpu: 256, memory: 2048 })]);
    const first = pass(world);
    expect(first.launches).toEqual([]);
    expect(first.events).toEqual([
      '(service big) was unable to place a task because no container instance met all of its requirements. The closest matching ' +
        '(container-instance ci0001) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    ]);
    expect(pass(world).events).toEqual([]);
    world.now += UNPLACEABLE_REPEAT_MS;
    expect(pass(world).events).toHaveLength(1);
    // Resolved: a larger instance takes the task; a later failure is said at once.
    world.instances.push(makeInstance(2, 'm5.large', 'us-east-1b'));
    expect(pass(world).launches).toHaveLength(1);
    expect(world.services[0].service.unplaceableReported).toBeUndefined();
  });

  it('records a task that fits nowhere as waiting for an Auto Scaling group provider, and places it once an instance can take it', () => {
    const model = ec2Service('asg', { desiredCount: 2, cpu: 1024, memory: 1024 });
    const capacity = (instances: ContainerInstanceRecord[]): ClusterCapacity => ({
      instances,
      taskGroups: new Map(),
      requirements: new Map([[model.service.taskDefinition, model.requirements]]),
      waitingProvider: 'asg-provider',
    });
    const first = plan(model.service, [], T0, FAST, capacity([]));
    expect(first.events.filter((event) => event.includes('unable to place'))).toEqual([]);
    expect(first.launches.map((launch) => [launch.placement, launch.capacityProviderName])).toEqual([
      [undefined, 'asg-provider'],
      [undefined, 'asg-provider'],
    ]);
    const waiting = first.launches.map((launch) => ({
      ...makeTask({ taskId: launch.taskId, deploymentId: launch.deploymentId, taskDefinitionArn: launch.taskDefinition, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', healthChecked: false, createdAt: T0 }),
      serviceName: 'asg',
      group: 'service:asg',
      launchType: 'EC2' as const,
      capacityProviderName: 'asg-provider',
    }));
    const second = plan(first.service, views(waiting), T0 + 1_000, FAST, capacity([makeInstance(1, 'm5.large', 'us-east-1a')]));
    expect(second.launches).toEqual([]);
    expect(second.binds.map((bind) => [bind.taskId, bind.placement.instanceId])).toEqual(waiting.map((task) => [task.taskId, 'ci0001']));
  });
});
