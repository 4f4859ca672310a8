import fc from 'fast-check';
import { parseClusterQuery } from '../../lib/domain/cluster-query';
import { newContainerInstance, resourcesOfType, type ContainerInstanceRecord } from '../../lib/domain/container-instance';
import { INSTANCE_TYPE_NAMES } from '../../lib/domain/instance-types';
import {
  instancePlacement,
  NO_INSTANCES_REASON,
  place,
  reasonsAgainst,
  requirementsOf,
  SERVICE_DEFAULT_STRATEGIES,
  unplaceableEvent,
  type PlacementConstraint,
  type PlacementRequest,
  type PlacementStrategy,
  type TaskRequirements,
} from '../../lib/domain/placement';
import type { TaskDefinition } from '../../lib/domain/model';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

const instance = (index: number, instanceType: string, zone: string, custom: Array<{ name: string; value: string }> = []): ContainerInstanceRecord => {
  const registration = resourcesOfType(instanceType)!;
  return newContainerInstance({
    id: `ci${String(index).padStart(4, '0')}`,
    clusterName: 'c',
    identity: { ec2InstanceId: `i-${String(index).padStart(17, '0')}`, instanceType, availabilityZone: zone, amiId: 'ami-00000000' },
    resources: registration.resources,
    enis: registration.enis,
    agent: { agentVersion: '1.89.2', agentHash: 'x', dockerVersion: 'd' },
    attributes: custom,
    now: 0,
  });
};

/** Instances of any type, partly used already (CPU, memory, a port, ENIs), some DRAINING. */
const instancesArbitrary = fc
  .array(
    fc.record({
      type: fc.constantFrom(...INSTANCE_TYPE_NAMES),
      zone: fc.constantFrom(...ZONES),
      usedCpu: fc.nat(8192),
      usedMemory: fc.nat(32_000),
      usedPort: fc.option(fc.constantFrom(80, 443, 8080), { nil: undefined }),
      usedEnis: fc.nat(3),
      draining: fc.integer({ min: 0, max: 4 }).map((roll) => roll === 0),
      stack: fc.constantFrom('blue', 'green', undefined),
    }),
    { minLength: 0, maxLength: 12 },
  )
  .map((specs) =>
    specs.map((spec, index): ContainerInstanceRecord => {
      const fresh = instance(index, spec.type, spec.zone, spec.stack ? [{ name: 'stack', value: spec.stack }] : []);
      return {
        ...fresh,
        status: spec.draining ? 'DRAINING' : 'ACTIVE',
        remaining: {
          ...fresh.remaining,
          cpu: Math.max(0, fresh.remaining.cpu - spec.usedCpu),
          memory: Math.max(0, fresh.remaining.memory - spec.usedMemory),
          ports: spec.usedPort ? [...fresh.remaining.ports, spec.usedPort] : fresh.remaining.ports,
        },
        remainingEnis: Math.max(0, fresh.remainingEnis - spec.usedEnis),
      };
    }),
  );

const taskArbitrary: fc.Arbitrary<TaskRequirements> = fc.record({
  cpu: fc.nat(4096),
  memory: fc.nat(8192),
  tcpPorts: fc.subarray([80, 443, 8080]),
  udpPorts: fc.subarray([53]),
  dynamicTcpPorts: fc.nat(2),
  dynamicUdpPorts: fc.nat(1),
  needsEni: fc.boolean(),
  group: fc.constantFrom('service:web', 'family:batch'),
});

const strategyArbitrary: fc.Arbitrary<PlacementStrategy> = fc.oneof(
  fc.record({ type: fc.constant('binpack' as const), field: fc.constantFrom('cpu' as const, 'memory' as const) }),
  fc.record({ type: fc.constant('spread' as const), field: fc.constantFrom('instanceId', 'attribute:ecs.availability-zone', 'attribute:stack') }),
  fc.constant({ type: 'random' as const }),
);

const EXPRESSIONS = ['attribute:stack == blue', 'attribute:ecs.instance-type =~ t3.*', 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]'];
const constraintsArbitrary: fc.Arbitrary<PlacementConstraint[]> = fc.record({
  distinct: fc.boolean(),
  memberOf: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
}).map(({ distinct, memberOf }) => [
  ...(distinct ? [{ type: 'distinctInstance' as const }] : []),
  ...(memberOf ? [{ type: 'memberOf' as const, expression: parseClusterQuery(memberOf) }] : []),
]);

const requestArbitrary: fc.Arbitrary<PlacementRequest> = fc.record({
  task: taskArbitrary,
  count: fc.integer({ min: 1, max: 10 }),
  instances: instancesArbitrary,
  strategies: fc.array(strategyArbitrary, { maxLength: 3 }),
  constraints: constraintsArbitrary,
  seed: fc.integer(),
});

describe('placement', () => {
  it('never over-commits an instance: CPU, memory, ENIs stay at or above zero and no port is given twice', () => {
    fc.assert(
      fc.property(requestArbitrary, (request) => {
        const result = place(request);
        for (const before of request.instances) {
          const mine = result.placements.filter((placement) => placement.instanceId === before.id);
          if (mine.length > 0) expect(before.status).toBe('ACTIVE');
          expect(mine.length * request.task.cpu).toBeLessThanOrEqual(before.remaining.cpu);
          expect(mine.length * request.task.memory).toBeLessThanOrEqual(before.remaining.memory);
          if (request.task.needsEni) expect(mine.length).toBeLessThanOrEqual(before.remainingEnis);
          const tcp = [...before.remaining.ports, ...mine.flatMap((placement) => placement.tcpPorts)];
          const udp = [...before.remaining.portsUdp, ...mine.flatMap((placement) => placement.udpPorts)];
          expect(new Set(tcp).size).toBe(tcp.length);
          expect(new Set(udp).size).toBe(udp.length);
          const after = result.instances.find((candidate) => candidate.id === before.id)!;
          expect(after.remaining.cpu).toBe(before.remaining.cpu - mine.length * request.task.cpu);
          expect(after.pendingTasksCount).toBe(before.pendingTasksCount + mine.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('always honours the constraints, and stops only when the next task fits nowhere', () => {
    fc.assert(
      fc.property(requestArbitrary, (request) => {
        const result = place(request);
        const byId = new Map(request.instances.map((candidate) => [candidate.id, candidate]));
        for (const constraint of request.constraints) {
          if (constraint.type === 'distinctInstance') {
            const ids = result.placements.map((placement) => placement.instanceId);
            expect(new Set(ids).size).toBe(ids.length);
          } else {
            for (const placement of result.placements) {
              expect(reasonsAgainst(byId.get(placement.instanceId)!, { ...request.task, cpu: 0, memory: 0, tcpPorts: [], udpPorts: [], dynamicTcpPorts: 0, dynamicUdpPorts: 0, needsEni: false }, [], [constraint])).toEqual([]);
            }
          }
        }
        if (result.placements.length < request.count) {
          expect(result.failures.length).toBeGreaterThan(0);
          const placedOn = (id: string) => result.placements.filter((placement) => placement.instanceId === id).map(() => request.task.group);
          for (const candidate of result.instances.filter((entry) => entry.status === 'ACTIVE')) {
            expect(reasonsAgainst(candidate, request.task, placedOn(candidate.id), request.constraints).length).toBeGreaterThan(0);
          }
        } else {
          expect(result.failures).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic for a seed', () => {
    fc.assert(
      fc.property(requestArbitrary, (request) => {
        expect(place(request)).toEqual(place(request));
      }),
      { numRuns: 100 },
    );
  });

  it('spreads within one of even across instances and across zones when capacity allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom('instanceId', 'attribute:ecs.availability-zone'),
        fc.integer(),
        (instanceCount, count, field, seed) => {
          const instances = Array.from({ length: instanceCount }, (_, index) => instance(index, 'm5.2xlarge', ZONES[index % ZONES.length]));
          const task = { cpu: 128, memory: 128, tcpPorts: [], udpPorts: [], dynamicTcpPorts: 1, dynamicUdpPorts: 0, needsEni: false, group: 'service:web' };
          const result = place({ task, count, instances, strategies: [{ type: 'spread', field }, { type: 'random' }], constraints: [], seed });
          expect(result.placements).toHaveLength(count);
          const valueOf = (id: string) => (field === 'instanceId' ? id : instances.find((candidate) => candidate.id === id)!.availabilityZone);
          const buckets = [...new Set(instances.map((candidate) => valueOf(candidate.id)))];
          const counts = buckets.map((bucket) => result.placements.filter((placement) => valueOf(placement.instanceId) === bucket).length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("spreads a service's tasks by ECS's default, zone first, then instance", () => {
    const instances = Array.from({ length: 6 }, (_, index) => instance(index, 'm5.large', ZONES[index % ZONES.length]));
    const task = { cpu: 256, memory: 512, tcpPorts: [], udpPorts: [], dynamicTcpPorts: 0, dynamicUdpPorts: 0, needsEni: false, group: 'service:web' };
    const result = place({ task, count: 6, instances, strategies: SERVICE_DEFAULT_STRATEGIES, constraints: [], seed: 1 });
    expect(result.placements.map((placement) => placement.instanceId).sort()).toEqual(instances.map((candidate) => candidate.id));
  });

  it('binpacks onto the instance with the least of the field left', () => {
    const instances = [instance(0, 'm5.large', ZONES[0]), instance(1, 't3.small', ZONES[1]), instance(2, 'm5.xlarge', ZONES[2])];
    const task = { cpu: 256, memory: 512, tcpPorts: [], udpPorts: [], dynamicTcpPorts: 0, dynamicUdpPorts: 0, needsEni: false, group: 'g' };
    const byMemory = place({ task, count: 4, instances, strategies: [{ type: 'binpack', field: 'memory' }], constraints: [], seed: 1 });
    // t3.small (1955 MiB) takes 3 tasks of 512 MiB, then the m5.large (7680 MiB) is the fullest left.
    expect(byMemory.placements.map((placement) => placement.instanceId)).toEqual(['ci0001', 'ci0001', 'ci0001', 'ci0000']);
  });

  it("gives ECS's reasons and names the closest instance when nothing fits", () => {
    const small = instance(0, 't3.micro', ZONES[0]);
    const task = { cpu: 512, memory: 2048, tcpPorts: [22], udpPorts: [], dynamicTcpPorts: 0, dynamicUdpPorts: 0, needsEni: false, group: 'g' };
    const result = place({ task, count: 2, instances: [small, instance(1, 'm5.large', ZONES[1])], strategies: [], constraints: [], seed: 1 });
    expect(result.placements).toEqual([]);
    expect(result.failures).toEqual([
      { instanceId: 'ci0000', reason: 'RESOURCE:MEMORY' },
      { instanceId: 'ci0001', reason: 'RESOURCE:PORTS' },
    ]);
    expect(result.closest).toEqual({ instanceId: 'ci0001', reason: 'RESOURCE:PORTS' });
    expect(unplaceableEvent('web', result)).toBe(
      '(service web) was unable to place a task because no container instance met all of its requirements. The closest matching ' +
        '(container-instance ci0001) is already using a port required by your task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    );
    expect(place({ task, count: 1, instances: [], strategies: [], constraints: [], seed: 1 }).failures).toEqual([{ reason: NO_INSTANCES_REASON }]);
  });

  it('reads requirements from a task definition per network mode', () => {
    const definition = (networkMode: TaskDefinition['networkMode']) =>
      ({
        networkMode,
        containerDefinitions: [
          { name: 'a', image: 'x', essential: true, cpu: 256, memory: 512, portMappings: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9000 }] },
          { name: 'b', image: 'x', essential: true, memoryReservation: 128, memory: 1024, portMappings: [{ containerPort: 53, protocol: 'udp' }] },
        ],
      }) as TaskDefinition;
    expect(requirementsOf(definition('bridge'), 'g')).toMatchObject({ cpu: 256, memory: 640, tcpPorts: [8080], dynamicTcpPorts: 1, dynamicUdpPorts: 1, needsEni: false });
    expect(requirementsOf(definition('host'), 'g')).toMatchObject({ tcpPorts: [8080, 9000], udpPorts: [53], dynamicTcpPorts: 0 });
    expect(requirementsOf(definition('awsvpc'), 'g')).toMatchObject({ tcpPorts: [], dynamicTcpPorts: 0, needsEni: true });
  });

  it("binds every port mapping to a host port placement gave, static ones to their own, each port once", () => {
    const mappingArbitrary = fc.record({
      containerPort: fc.integer({ min: 1, max: 65535 }),
      hostPort: fc.option(fc.integer({ min: 1024, max: 2000 }), { nil: undefined }),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    });
    fc.assert(
      fc.property(fc.array(fc.array(mappingArbitrary, { maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.constantFrom('bridge' as const, 'host' as const), (containers, networkMode) => {
        const definition = {
          networkMode,
          containerDefinitions: containers.map((portMappings, index) => ({
            name: `c${index}`,
            image: 'x',
            essential: true,
            memory: 64,
            portMappings: networkMode === 'host' ? portMappings.map((mapping) => ({ ...mapping, hostPort: mapping.containerPort })) : portMappings,
          })),
        } as TaskDefinition;
        const task = requirementsOf(definition, 'g');
        const [placement] = place({ task, count: 1, instances: [instance(1, 'm5.large', ZONES[0])], strategies: [], constraints: [], seed: 1 }).placements;
        if (!placement) return;
        const { networkBindings = [], charged } = instancePlacement(definition, task, placement, 'arn');
        const sorted = (ports: number[]) => [...ports].sort((a, b) => a - b);
        for (const protocol of ['tcp', 'udp'] as const) {
          const bound = networkBindings.filter((binding) => binding.protocol === protocol).map((binding) => binding.hostPort);
          expect(sorted(bound)).toEqual(sorted(protocol === 'tcp' ? charged.tcpPorts : charged.udpPorts));
          expect(new Set(bound).size).toBe(bound.length);
        }
        const mappings = definition.containerDefinitions.flatMap((container) => container.portMappings ?? []);
        mappings.forEach((mapping, index) => {
          if (mapping.hostPort) expect(networkBindings[index].hostPort).toBe(mapping.hostPort);
          expect(networkBindings[index]).toMatchObject({ bindIP: '0.0.0.0', containerPort: mapping.containerPort, protocol: mapping.protocol });
        });
      }),
    );
  });

  it("sizes a task by the launch's overrides", () => {
    const definition = { networkMode: 'bridge', containerDefinitions: [{ name: 'a', image: 'x', essential: true, memory: 512, cpu: 128 }] } as TaskDefinition;
    expect(requirementsOf(definition, 'g', { containerOverrides: [{ name: 'a', memory: 2048, cpu: 1024 }] })).toMatchObject({ cpu: 1024, memory: 2048 });
    expect(requirementsOf({ ...definition, memory: '1024' }, 'g', { memory: '4096' })).toMatchObject({ memory: 4096 });
  });
});
