import { randomUUID } from 'node:crypto';
import { LIFECYCLE, type KeyValuePair, type LifecycleStatus, type TaskDefinition } from '../../lib/domain/model';
import type { BackendRef, FleetBackend, LaunchSpec, ObservedTask } from '../../lib/fleet/backend';

/**
 * Behaviour every FleetBackend must show, whatever runs the tasks. It only uses the port: the
 * simulated fleet runs it against a fake clock, the Fargate adapter against one that really waits.
 */

export interface FleetBackendHarness {
  backend: FleetBackend;
  /** A fake clock moves instantly; a real one sleeps. */
  clock: { now(): number; advance(ms: number): Promise<void> };
  /** A task definition the backend can run; `env` goes to its essential container. */
  taskDefinition(image?: string, env?: KeyValuePair[]): TaskDefinition;
  /**
   * What the backend itself runs, for a backend that keeps tasks outside their ref (Fargate: the
   * target cluster's RUNNING task ARNs). Absent for a backend whose task lives in its ref alone.
   */
  runningTasks?(): Promise<string[]>;
  teardown?(): Promise<void>;
}

export interface ContractOptions {
  /** Clock time between two observations while waiting (default 1 s). */
  pollIntervalMs?: number;
  /** Clock time a task may take to reach a status (default 10 min). */
  deadlineMs?: number;
  /** Jest timeout per test, for a clock that really waits (default: jest's). */
  testTimeoutMs?: number;
}

/** No registry has this tag, so every backend fails to pull it. */
export const UNPULLABLE_IMAGE = 'public.ecr.aws/docker/library/nginx:does-not-exist';


/** A minimal valid Fargate task definition, for harnesses that need nothing registered. */
export function sampleTaskDefinition(
  image = 'public.ecr.aws/nginx/nginx:latest',
  env: KeyValuePair[] = [],
): TaskDefinition {
  return {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/contract:1',
    family: 'contract',
    revision: 1,
    status: 'ACTIVE',
    containerDefinitions: [{ name: 'app', image, essential: true, environment: env }],
    cpu: '256',
    memory: '512',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['FARGATE'],
    volumes: [],
    placementConstraints: [],
    registeredAt: 0,
  };
}

interface TrackedTask {
  taskId: string;
  ref: BackendRef;
  createdAt: number;
}

export function describeFleetBackendContract(
  name: string,
  setup: () => Promise<FleetBackendHarness>,
  options: ContractOptions = {},
): void {
  const { pollIntervalMs = 1_000, deadlineMs = 600_000, testTimeoutMs } = options;

  describe(`FleetBackend contract: ${name}`, () => {
    let harness: FleetBackendHarness;

    beforeEach(async () => {
      harness = await setup();
    });

    afterEach(async () => {
      await harness.teardown?.();
    });

    const specFor = (taskDefinition: TaskDefinition): LaunchSpec => ({
      // Unique per run: a real backend keeps idempotency tokens for hours.
      taskId: `contract-${randomUUID()}`,
      clusterName: 'contract',
      taskDefinition,
      group: `family:${taskDefinition.family}`,
    });

    async function launch(specs: LaunchSpec[]): Promise<TrackedTask[]> {
      const createdAt = harness.clock.now();
      const outcomes = await harness.backend.launch(specs, createdAt);
      return specs.map(({ taskId }) => {
        const matching = outcomes.filter((o) => o.taskId === taskId);
        expect(matching).toHaveLength(1);
        const [outcome] = matching;
        if (!outcome.accepted) throw new Error(`launch of ${taskId} refused: ${outcome.reason}`);
        return { taskId, ref: outcome.ref, createdAt };
      });
    }

    async function observe(task: TrackedTask): Promise<ObservedTask> {
      const [observed] = await harness.backend.observe([task], harness.clock.now());
      expect(observed.taskId).toBe(task.taskId);
      task.ref = observed.ref;
      return observed;
    }

    /** Polls until the task is at or past `status`, checking it never moves backwards. */
    async function waitFor(task: TrackedTask, status: LifecycleStatus): Promise<ObservedTask> {
      const deadline = harness.clock.now() + deadlineMs;
      let previous = 0;
      for (;;) {
        const observed = await observe(task);
        const rank = LIFECYCLE.indexOf(observed.lastStatus);
        expect(rank).toBeGreaterThanOrEqual(previous);
        previous = rank;
        if (rank >= LIFECYCLE.indexOf(status)) return observed;
        if (harness.clock.now() >= deadline) {
          throw new Error(`${task.taskId} still ${observed.lastStatus} ${deadlineMs} ms later`);
        }
        await harness.clock.advance(pollIntervalMs);
      }
    }

    async function stop(task: TrackedTask, reason: string): Promise<void> {
      const stopped = await harness.backend.stop(
        [{ ...task, reason, stopCode: 'UserInitiated' }],
        harness.clock.now(),
      );
      expect(stopped.map((s) => s.taskId)).toEqual([task.taskId]);
      task.ref = stopped[0].ref;
    }

    it(
      'a launched task reaches RUNNING',
      async () => {
        const [task] = await launch([specFor(harness.taskDefinition())]);
        const running = await waitFor(task, 'RUNNING');
        expect(running).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
        expect(running.startedAt).toEqual(expect.any(Number));
        expect(running.containers.length).toBeGreaterThan(0);
        expect(running.containers.map((c) => c.lastStatus)).not.toContain('PENDING');
      },
      testTimeoutMs,
    );

    it(
      'stop brings a running task to STOPPED with its stop code and reason',
      async () => {
        const [task] = await launch([specFor(harness.taskDefinition())]);
        const running = await waitFor(task, 'RUNNING');
        await stop(task, 'Task stopped by user');

        expect((await observe(task)).desiredStatus).toBe('STOPPED');
        const stopped = await waitFor(task, 'STOPPED');
        expect(stopped).toMatchObject({
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'UserInitiated',
          stoppedReason: 'Task stopped by user',
          startedAt: running.startedAt,
        });
        expect(stopped.stoppingAt).toBeGreaterThanOrEqual(running.startedAt ?? Infinity);
        expect(stopped.stoppedAt).toBeGreaterThanOrEqual(stopped.stoppingAt ?? Infinity);
        expect(stopped.containers.every((c) => c.lastStatus === 'STOPPED')).toBe(true);
      },
      testTimeoutMs,
    );

    it(
      'launching the same taskId twice does not create a second task',
      async () => {
        const spec = specFor(harness.taskDefinition());
        const before = new Set(await harness.runningTasks?.());
        const [first] = await launch([spec]);
        await harness.clock.advance(pollIntervalMs);
        if (!harness.runningTasks) {
          // The task lives in its ref alone: a launch is a pure function of the spec and the time,
          // and the caller's record keeps the one it committed.
          const [again] = await harness.backend.launch([spec], first.createdAt);
          expect(again).toEqual({ taskId: spec.taskId, accepted: true, ref: first.ref });
          return;
        }
        const [second] = await launch([spec]);
        expect(second.ref).toEqual(first.ref);
        const started = (await harness.runningTasks()).filter((task) => !before.has(task));
        expect(started).toHaveLength(1);
        const observed = await harness.backend.observe([first, second], harness.clock.now());
        expect(observed.map((o) => o.taskId)).toEqual([spec.taskId, spec.taskId]);
      },
      testTimeoutMs,
    );

    it(
      'an unpullable image stops the task with TaskFailedToStart and CannotPullContainerError',
      async () => {
        const [task] = await launch([specFor(harness.taskDefinition(UNPULLABLE_IMAGE))]);
        const stopped = await waitFor(task, 'STOPPED');
        expect(stopped).toMatchObject({
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stopCode: 'TaskFailedToStart',
        });
        expect(stopped.stoppedReason).toMatch(/^CannotPullContainerError/);
        expect(stopped.startedAt).toBeUndefined();
      },
      testTimeoutMs,
    );

    it(
      'observing a batch reports every task once',
      async () => {
        const definition = harness.taskDefinition();
        const tasks = await launch([specFor(definition), specFor(definition), specFor(definition)]);
        const observed = await harness.backend.observe(tasks, harness.clock.now());
        expect(observed.map((o) => o.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());
      },
      testTimeoutMs,
    );

    it(
      'stopping a stopped task changes nothing',
      async () => {
        const [task] = await launch([specFor(harness.taskDefinition())]);
        await waitFor(task, 'RUNNING');
        await stop(task, 'Task stopped by user');
        const before = await waitFor(task, 'STOPPED');

        await harness.clock.advance(pollIntervalMs);
        await stop(task, 'A second, later stop');
        const after = await observe(task);
        const outcome = (o: ObservedTask) => ({
          lastStatus: o.lastStatus,
          desiredStatus: o.desiredStatus,
          stopCode: o.stopCode,
          stoppedReason: o.stoppedReason,
          stoppingAt: o.stoppingAt,
          stoppedAt: o.stoppedAt,
        });
        expect(outcome(after)).toEqual(outcome(before));
      },
      testTimeoutMs,
    );
  });
}
