import fc from 'fast-check';
import { sameData } from '../../lib/domain/equality';
import type { Container } from '../../lib/domain/model';
import { applyObservation, containerArnFor, type TaskRecord } from '../../lib/domain/task';
import type { ObservedTask } from '../../lib/fleet/backend';

const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/c1/0123456789abcdef0123456789abcdef';

type ObservedContainer = ObservedTask['containers'][number];

const observedContainer: fc.Arbitrary<ObservedContainer> = fc.record(
  {
    name: fc.constantFrom('web', 'sidecar'),
    image: fc.constantFrom('nginx:1.27', 'busybox'),
    imageDigest: fc.constantFrom('sha256:aa', 'sha256:bb'),
    runtimeId: fc.constantFrom('r-1', 'r-2'),
    lastStatus: fc.constantFrom('PENDING', 'RUNNING', 'STOPPED'),
    exitCode: fc.constantFrom(0, 1, 137),
    healthStatus: fc.constantFrom('UNKNOWN', 'HEALTHY', 'UNHEALTHY'),
    essential: fc.boolean(),
    cpu: fc.constantFrom('0', '256'),
    networkInterfaces: fc.array(fc.record({ attachmentId: fc.constantFrom('eni-a', 'eni-b'), privateIpv4Address: fc.constantFrom('10.0.0.4', '10.0.0.5') }), { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'image', 'lastStatus', 'healthStatus', 'essential'] },
);

/** One of the ways a stored container can drift from (or only look different to) what the fleet reports. */
type Drift = 'none' | 'reordered' | 'undefined member' | 'no containerArn' | 'other containerArn' | 'field changed' | 'field dropped' | 'field added';

const stored = (observed: ObservedContainer, index: number, drift: Drift, pick: number): Container => {
  const container: Record<string, unknown> = { ...observed, containerArn: containerArnFor(TASK_ARN, observed.name) };
  const keys = Object.keys(observed).filter((key) => key !== 'name');
  const key = keys[pick % keys.length];
  switch (drift) {
    case 'reordered':
      return Object.fromEntries(Object.entries(container).reverse()) as unknown as Container;
    case 'undefined member':
      return { ...container, reason: undefined } as unknown as Container;
    case 'no containerArn':
      delete container.containerArn;
      break;
    case 'other containerArn':
      // A stored ARN is ecsbox's own and is kept, whatever it is.
      container.containerArn = `${TASK_ARN}/other-${index}`;
      break;
    case 'field changed':
      container[key] = typeof container[key] === 'string' ? `${String(container[key])}-drift` : typeof container[key] === 'number' ? Number(container[key]) + 1 : typeof container[key] === 'boolean' ? !container[key] : [];
      break;
    case 'field dropped':
      delete container[key];
      break;
    case 'field added':
      container.memory = '512';
      break;
  }
  return container as unknown as Container;
};

const recordOf = (containers: Container[]): TaskRecord =>
  ({
    taskId: '0123456789abcdef0123456789abcdef',
    taskArn: TASK_ARN,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    containers,
    ref: { kind: 'simulated', timeline: { v: 1 } },
    version: 3,
  }) as unknown as TaskRecord;

/** The containers a task's record should hold after the observation: the fleet's, with ecsbox's ARNs. */
const expectedContainers = (record: TaskRecord, observed: ObservedContainer[]) =>
  observed.map((container, index) => ({ ...container, containerArn: record.containers[index]?.containerArn ?? containerArnFor(record.taskArn, container.name) }));

describe('applyObservation', () => {
  it('keeps the record exactly when its containers are what the fleet reports, and takes the fleet\'s otherwise', () => {
    const drift = fc.constantFrom<Drift>('none', 'reordered', 'undefined member', 'no containerArn', 'other containerArn', 'field changed', 'field dropped', 'field added');
    fc.assert(
      fc.property(
        fc.array(observedContainer, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(drift, fc.nat()), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: -1, max: 1 }),
        (observed, drifts, lengthChange) => {
          let containers = observed.map((container, index) => stored(container, index, drifts[index][0], drifts[index][1]));
          if (lengthChange < 0) containers = containers.slice(1);
          if (lengthChange > 0) containers = [...containers, { ...containers[0], name: 'extra' }];
          const record = recordOf(containers);
          const observation = { taskId: record.taskId, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN', containers: observed, ref: record.ref } as ObservedTask;
          const expected = expectedContainers(record, observed);
          const next = applyObservation(record, observation);
          // Unchanged exactly when the stored containers are the same data as the fleet's (with the ARNs kept).
          expect(next === record).toBe(sameData(record.containers, expected));
          expect(sameData(next.containers, expected)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
