import fc from 'fast-check';
import { LIFECYCLE, type ContainerDefinition, type LifecycleStatus } from '../../lib/domain/model';
import type { BackendRef, LaunchSpec, ObservedTask, StopRequest } from '../../lib/fleet/backend';
import { isDomainError } from '../../lib/errors';
import {
  EXIT_AFTER_ENV,
  EXIT_CODE_ENV,
  MAX_DECLARED_DURATION_S,
  SIMULATE_ENV,
  SimulatedFleet,
  type TimingProfile,
} from '../../lib/fleet/simulated';
import { sampleTaskDefinition } from '../contract/fleet-backend';

const T0 = Date.UTC(2026, 0, 1);
const TASK_ID = 'task-1';
const OOM = 'OutOfMemoryError: Container killed due to memory usage';
const DIGEST = expect.stringMatching(/^sha256:[0-9a-f]{64}$/);
const RUNTIME_ID = expect.stringMatching(new RegExp(`^${TASK_ID}-\\d{10}$`));

const fleets: Record<TimingProfile, SimulatedFleet> = {
  fast: new SimulatedFleet({ profile: 'fast' }),
  realistic: new SimulatedFleet({ profile: 'realistic' }),
};
const fast = fleets.fast;

const env = (vars: Record<string, string>) =>
  Object.entries(vars).map(([name, value]) => ({ name, value }));

const container = (fields: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: 'app',
  image: 'nginx:1.27',
  essential: true,
  ...fields,
});

const healthCheck = {
  command: ['CMD-SHELL', 'curl -f localhost'],
  interval: 10,
  timeout: 5,
  retries: 3,
};

function spec(containers: ContainerDefinition[], fields: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    taskId: TASK_ID,
    clusterName: 'default',
    group: 'family:contract',
    taskDefinition: { ...sampleTaskDefinition(), containerDefinitions: containers },
    ...fields,
  };
}

async function launch(
  containers: ContainerDefinition[] = [container()],
  {
    fleet = fast,
    at = T0,
    ...fields
  }: Partial<LaunchSpec> & { fleet?: SimulatedFleet; at?: number } = {},
): Promise<BackendRef> {
  const [outcome] = await fleet.launch([spec(containers, fields)], at);
  if (!outcome.accepted) throw new Error('the simulated fleet accepts every launch');
  return outcome.ref;
}

async function observe(ref: BackendRef, at: number, fleet = fast): Promise<ObservedTask> {
  const [observed] = await fleet.observe([{ taskId: TASK_ID, ref }], at);
  return observed;
}

async function stop(
  ref: BackendRef,
  at: number,
  {
    reason = 'Task stopped by user',
    stopCode = 'UserInitiated',
    fleet = fast,
  }: Partial<Pick<StopRequest, 'reason' | 'stopCode'>> & { fleet?: SimulatedFleet } = {},
): Promise<BackendRef> {
  const [stopped] = await fleet.stop([{ taskId: TASK_ID, ref, reason, stopCode }], at);
  return stopped.ref;
}

/** What an observation shows, without the ref (which is an input, not an observation). */
const shown = ({ ref: _ref, ...rest }: ObservedTask) => rest;

/** Every distinct state from `from` on, following nextChangeAt until nothing more will change. */
async function history(ref: BackendRef, from = T0, fleet = fast) {
  const states: Array<{ at: number; task: ObservedTask }> = [];
  for (let at: number | undefined = from; at !== undefined; at = states.at(-1)?.task.nextChangeAt) {
    states.push({ at, task: await observe(ref, at, fleet) });
    if (states.length > 100) throw new Error('nextChangeAt never settles');
  }
  return states;
}

const statuses = (states: Array<{ task: ObservedTask }>) =>
  states.map((s) => s.task.lastStatus).filter((status, i, all) => status !== all[i - 1]);

async function finalState(ref: BackendRef) {
  return (await history(ref)).at(-1)!.task;
}

/** The first instant at which the task shows `status`. */
async function enteredAt(ref: BackendRef, status: LifecycleStatus): Promise<number> {
  const entry = (await history(ref)).find((s) => s.task.lastStatus === status);
  if (!entry) throw new Error(`never ${status}`);
  return entry.at;
}

describe('SimulatedFleet lifecycle', () => {
  it('walks up to RUNNING with ordered timestamps, within 2.5 s on the fast profile', async () => {
    const states = await history(await launch());
    expect(statuses(states)).toEqual(['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING']);

    const running = states.at(-1)!.task;
    expect(running).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(running.nextChangeAt).toBeUndefined();
    const { pullStartedAt, pullStoppedAt, startedAt } = running as Required<ObservedTask>;
    expect(T0).toBeLessThan(pullStartedAt);
    expect(pullStartedAt).toBeLessThan(pullStoppedAt);
    expect(pullStoppedAt).toBeLessThan(startedAt);
    expect(startedAt - T0).toBeLessThanOrEqual(2_500);
    expect(running.containers).toEqual([
      {
        name: 'app',
        image: 'nginx:1.27',
        imageDigest: DIGEST,
        runtimeId: RUNTIME_ID,
        lastStatus: 'RUNNING',
        healthStatus: 'UNKNOWN',
        essential: true,
      },
    ]);
    expect(states.every((s) => s.task.desiredStatus === 'RUNNING')).toBe(true);
  });

  it.each([
    ['fast', 1_300, 2_500],
    ['realistic', 15_000, 60_000],
  ] as const)(
    '%s: every task starts within [%d, %d] ms, with jitter',
    async (profile, min, max) => {
      const startedAt = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const ref = await launch([container()], { fleet: fleets[profile], taskId: `t-${i}` });
          const [running] = await fleets[profile].observe(
            [{ taskId: `t-${i}`, ref }],
            T0 + 3_600_000,
          );
          return running.startedAt! - T0;
        }),
      );
      expect(Math.min(...startedAt)).toBeGreaterThanOrEqual(min);
      expect(Math.max(...startedAt)).toBeLessThanOrEqual(max);
      expect(new Set(startedAt).size).toBeGreaterThan(20);
    },
  );

  it('goes down DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED after a stop', async () => {
    const launched = await launch();
    const startedAt = await enteredAt(launched, 'RUNNING');
    const stopAt = startedAt + 5_000;
    const ref = await stop(launched, stopAt);

    expect(await observe(ref, stopAt)).toMatchObject({
      lastStatus: 'DEACTIVATING',
      desiredStatus: 'STOPPED',
      stoppingAt: stopAt,
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
    });
    const states = await history(ref, stopAt);
    expect(statuses(states)).toEqual(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    const stopped = states.at(-1)!.task;
    expect(stopped).toMatchObject({ startedAt, stoppingAt: stopAt, stopCode: 'UserInitiated' });
    expect(stopped.stoppedAt! - stopAt).toBeGreaterThan(500);
    expect(stopped.stoppedAt! - stopAt).toBeLessThanOrEqual(1_500);
    expect(stopped.nextChangeAt).toBeUndefined();
    expect(stopped.containers[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 0 });
    // Containers are still running while the task deactivates.
    expect((await observe(ref, stopAt)).containers[0].lastStatus).toBe('RUNNING');
  });

  it('realistic STOPPING lasts a few seconds, never beyond the longest stopTimeout', async () => {
    const stoppingFor = async (containers: ContainerDefinition[]) => {
      const launched = await launch(containers, { fleet: fleets.realistic });
      const ref = await stop(launched, T0 + 120_000, { fleet: fleets.realistic });
      const states = await history(ref, T0 + 120_000, fleets.realistic);
      const stopping = states.find((s) => s.task.lastStatus === 'STOPPING')!;
      return stopping.task.nextChangeAt! - stopping.at;
    };
    const byDefault = await stoppingFor([container()]);
    expect(byDefault).toBeGreaterThanOrEqual(3_000);
    expect(byDefault).toBeLessThanOrEqual(8_000);
    expect(await stoppingFor([container({ stopTimeout: 2 })])).toBe(2_000);
  });

  it('reports PROVISIONING at launch time when observed before it', async () => {
    const ref = await launch();
    expect(shown(await observe(ref, T0 - 60_000))).toEqual(shown(await observe(ref, T0)));
  });
});

describe('SimulatedFleet stop', () => {
  it.each([
    ['PROVISIONING', ['PROVISIONING', 'DEPROVISIONING', 'STOPPED']],
    ['PENDING', ['PROVISIONING', 'PENDING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']],
    [
      'ACTIVATING',
      [
        'PROVISIONING',
        'PENDING',
        'ACTIVATING',
        'DEACTIVATING',
        'STOPPING',
        'DEPROVISIONING',
        'STOPPED',
      ],
    ],
  ] as const)('a task stopped while %s goes down from there', async (status, path) => {
    const launched = await launch();
    const ref = await stop(launched, (await enteredAt(launched, status)) + 1);
    const states = await history(ref);
    expect(statuses(states)).toEqual(path);
    const stopped = states.at(-1)!.task;
    expect(stopped).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });
    expect(stopped.startedAt).toBeUndefined();
    expect(stopped.containers).toEqual([
      {
        name: 'app',
        image: 'nginx:1.27',
        // Pulled while PENDING; never created, so no runtime id.
        ...(status === 'ACTIVATING' ? { imageDigest: DIGEST } : {}),
        lastStatus: 'STOPPED',
        healthStatus: 'UNKNOWN',
        essential: true,
      },
    ]);
  });

  it('keeps the first stop of a stopping or stopped task', async () => {
    const first = await stop(await launch(), T0 + 5_000);
    const later = {
      reason: 'Scaling activity initiated by (deployment ecs-svc/1)',
      stopCode: 'ServiceSchedulerInitiated',
    } as const;
    expect(await stop(first, T0 + 5_100, later)).toEqual(first);
    expect(await stop(first, T0 + 60_000, later)).toEqual(first);
  });

  it('does nothing to a task that has already failed', async () => {
    const failed = await launch([container({ environment: env({ [SIMULATE_ENV]: 'exit' }) })]);
    const afterExit = (await enteredAt(failed, 'RUNNING')) + 1_000;
    expect(await stop(failed, afterExit)).toEqual(failed);
  });

  it.each([
    ['60', 0],
    ['8', 3],
  ])(
    'wins over a failure planned for later (exit after %s s: the container exits with %d)',
    async (exitAfter, exitCode) => {
      const launched = await launch([
        container({
          environment: env({
            [SIMULATE_ENV]: 'exit',
            [EXIT_AFTER_ENV]: exitAfter,
            [EXIT_CODE_ENV]: '3',
          }),
        }),
      ]);
      const ref = await stop(launched, (await enteredAt(launched, 'RUNNING')) + 500);
      const stopped = await finalState(ref);
      expect(stopped).toMatchObject({
        stopCode: 'UserInitiated',
        stoppedReason: 'Task stopped by user',
      });
      // A container due to exit before the down path stops it still exits on its own.
      expect(stopped.containers[0].exitCode).toBe(exitCode);
    },
  );
});

describe('SimulatedFleet failures', () => {
  const cannotPull = (ref: string) =>
    `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ${ref}: not found`;

  it.each([
    ['nginx:does-not-exist', {}, 'docker.io/library/nginx:does-not-exist'],
    ['bitnami/nginx:does-not-exist', {}, 'docker.io/bitnami/nginx:does-not-exist'],
    ['localhost:5000/app:does-not-exist', {}, 'localhost:5000/app:does-not-exist'],
    [
      'public.ecr.aws/nginx/nginx:latest',
      { [SIMULATE_ENV]: 'pull-error' },
      'public.ecr.aws/nginx/nginx:latest',
    ],
    ['nginx', { [SIMULATE_ENV]: 'pull-error' }, 'docker.io/library/nginx:latest'],
  ])('%s %j fails to start with CannotPullContainerError', async (image, vars, ref) => {
    const states = await history(await launch([container({ image, environment: env(vars) })]));
    expect(statuses(states)).toEqual([
      'PROVISIONING',
      'PENDING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
    ]);
    const stopped = states.at(-1)!.task;
    expect(stopped).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: cannotPull(ref),
      stoppingAt: stopped.pullStoppedAt,
    });
    expect(stopped.pullStartedAt).toBeLessThan(stopped.pullStoppedAt!);
    expect(stopped.startedAt).toBeUndefined();
    expect(stopped.containers).toEqual([
      {
        name: 'app',
        image,
        lastStatus: 'STOPPED',
        reason: cannotPull(ref),
        healthStatus: 'UNKNOWN',
        essential: true,
      },
    ]);
  });

  it('fails the whole task when a non-essential container cannot be pulled', async () => {
    const stopped = await finalState(
      await launch([
        container(),
        container({ name: 'sidecar', image: 'busybox:does-not-exist', essential: false }),
      ]),
    );
    expect(stopped.stopCode).toBe('TaskFailedToStart');
    expect(stopped.containers.map((c) => c.reason)).toEqual([
      undefined,
      cannotPull('docker.io/library/busybox:does-not-exist'),
    ]);
  });

  it.each([
    ['fast', 1_000],
    ['realistic', 10_000],
  ] as const)(
    'exit: the essential container exits after ECSBOX_EXIT_AFTER (%s: %d ms)',
    async (profile, after) => {
      const fleet = fleets[profile];
      const ref = await launch(
        [
          container({
            environment: env({
              [SIMULATE_ENV]: 'exit',
              [EXIT_AFTER_ENV]: '10',
              [EXIT_CODE_ENV]: '3',
            }),
          }),
        ],
        { fleet },
      );
      const states = await history(ref, T0, fleet);
      expect(statuses(states)).toEqual([...LIFECYCLE]);
      const stopped = states.at(-1)!.task;
      expect(stopped).toMatchObject({
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppingAt: stopped.startedAt! + after,
      });
      expect(stopped.containers).toEqual([
        {
          name: 'app',
          image: 'nginx:1.27',
          imageDigest: DIGEST,
          runtimeId: RUNTIME_ID,
          lastStatus: 'STOPPED',
          exitCode: 3,
          healthStatus: 'UNKNOWN',
          essential: true,
        },
      ]);
    },
  );

  it.each([
    [{}, 1_000, 1],
    [{ [EXIT_AFTER_ENV]: 'soon', [EXIT_CODE_ENV]: '-4' }, 1_000, 1],
    [{ [EXIT_AFTER_ENV]: '2.5', [EXIT_CODE_ENV]: '0' }, 250, 0],
    // Out of range: a duration past a year is a year (÷10 on fast), an exit code past 0–255 the default.
    [{ [EXIT_AFTER_ENV]: '1e15', [EXIT_CODE_ENV]: '256' }, MAX_DECLARED_DURATION_S * 100, 1],
    [{ [EXIT_AFTER_ENV]: '9e15', [EXIT_CODE_ENV]: '1e20' }, MAX_DECLARED_DURATION_S * 100, 1],
    [{ [EXIT_AFTER_ENV]: '1e309', [EXIT_CODE_ENV]: '2.5' }, 1_000, 1],
  ])('exit parameters %j: after %d ms with code %d', async (vars, after, exitCode) => {
    const stopped = await finalState(
      await launch([container({ environment: env({ [SIMULATE_ENV]: 'exit', ...vars }) })]),
    );
    expect(stopped.stoppingAt! - stopped.startedAt!).toBe(after);
    expect(stopped.containers[0].exitCode).toBe(exitCode);
    expect(stopped.stopCode).toBe('EssentialContainerExited');
  });

  it('exit of a non-essential container leaves the task running', async () => {
    const ref = await launch([
      container(),
      container({
        name: 'job',
        essential: false,
        environment: env({ [SIMULATE_ENV]: 'exit', [EXIT_CODE_ENV]: '2' }),
      }),
    ]);
    const running = await finalState(ref);
    expect(running).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(running.nextChangeAt).toBeUndefined();
    expect(
      running.containers.map(({ lastStatus, exitCode }) => ({ lastStatus, exitCode })),
    ).toEqual([
      { lastStatus: 'RUNNING', exitCode: undefined },
      { lastStatus: 'STOPPED', exitCode: 2 },
    ]);
  });

  it('oom: the essential container is killed with 137 and the task stops', async () => {
    const stopped = await finalState(
      await launch([container({ environment: env({ [SIMULATE_ENV]: 'oom' }) })]),
    );
    expect(stopped).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: OOM,
      stoppingAt: stopped.startedAt! + 1_000,
    });
    expect(stopped.containers[0]).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 137,
      reason: OOM,
    });
  });

  it('oom of a non-essential container leaves the task running', async () => {
    const running = await finalState(
      await launch([
        container(),
        container({ name: 'cache', essential: false, environment: env({ [SIMULATE_ENV]: 'OOM' }) }),
      ]),
    );
    expect(running.lastStatus).toBe('RUNNING');
    expect(running.containers[1]).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 137,
      reason: OOM,
    });
  });

  it.each([
    ['its own health check', { ...healthCheck, startPeriod: 5 }, 3_500],
    ['the implicit check (30 s × 3)', undefined, 9_000],
  ])('unhealthy with %s: UNKNOWN, then UNHEALTHY for good', async (_, check, after) => {
    const ref = await launch([
      container({ healthCheck: check, environment: env({ [SIMULATE_ENV]: 'unhealthy' }) }),
    ]);
    const states = await history(ref);
    const running = states.find((s) => s.task.lastStatus === 'RUNNING')!;
    expect(running.task).toMatchObject({
      healthStatus: 'UNKNOWN',
      nextChangeAt: running.at + after,
    });
    const unhealthy = states.at(-1)!.task;
    expect(unhealthy).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNHEALTHY',
    });
    expect(unhealthy.containers[0].healthStatus).toBe('UNHEALTHY');
    expect(unhealthy.nextChangeAt).toBeUndefined();
  });

  it.each([
    ['nginx:1.27', {}],
    ['public.ecr.aws/nginx/nginx:latest', {}],
    ['nginx:1.27', { [SIMULATE_ENV]: 'explode' }],
  ])('%s %j runs for good', async (image, vars) => {
    const running = await observe(
      await launch([container({ image, environment: env(vars) })]),
      T0 + 86_400_000,
    );
    expect(running).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(running.nextChangeAt).toBeUndefined();
  });
});

describe('SimulatedFleet health', () => {
  const healthAt = async (containers: ContainerDefinition[], afterStart: number) => {
    const ref = await launch(containers);
    const task = await observe(ref, (await enteredAt(ref, 'RUNNING')) + afterStart);
    return [task.healthStatus, ...task.containers.map((c) => c.healthStatus)];
  };
  const checked = (fields: Partial<ContainerDefinition> = {}) =>
    container({ healthCheck, ...fields });
  const failing = (fields: Partial<ContainerDefinition> = {}) =>
    checked({ environment: env({ [SIMULATE_ENV]: 'unhealthy' }), ...fields });

  it('a container with a check is UNKNOWN until the first check passes after one interval', async () => {
    expect(await healthAt([checked()], 999)).toEqual(['UNKNOWN', 'UNKNOWN']);
    expect(await healthAt([checked()], 1_000)).toEqual(['HEALTHY', 'HEALTHY']);
  });

  it('a container with a check is UNKNOWN before the task runs', async () => {
    const ref = await launch([checked()]);
    const pending = await observe(ref, await enteredAt(ref, 'PENDING'));
    expect([pending.healthStatus, pending.containers[0].healthStatus]).toEqual([
      'UNKNOWN',
      'UNKNOWN',
    ]);
  });

  it.each([
    ['no checks at all', [container()], ['UNKNOWN', 'UNKNOWN']],
    [
      'one checked essential, one without a check',
      [checked(), container({ name: 'b' })],
      ['HEALTHY', 'HEALTHY', 'UNKNOWN'],
    ],
    [
      'an unhealthy essential container',
      [checked(), failing({ name: 'b' })],
      ['UNHEALTHY', 'HEALTHY', 'UNHEALTHY'],
    ],
    [
      'an unhealthy non-essential container',
      [checked(), failing({ name: 'b', essential: false })],
      ['HEALTHY', 'HEALTHY', 'UNHEALTHY'],
    ],
    [
      'only a non-essential check',
      [container(), checked({ name: 'b', essential: false })],
      ['UNKNOWN', 'UNKNOWN', 'HEALTHY'],
    ],
  ])('task health with %s', async (_, containers, expected) => {
    expect(await healthAt(containers, 60_000)).toEqual(expected);
  });
});

describe('SimulatedFleet overrides', () => {
  it('container override environment extends and replaces the definition environment', async () => {
    const overrides = {
      containerOverrides: [
        { name: 'app', environment: env({ [SIMULATE_ENV]: 'exit', [EXIT_CODE_ENV]: '7' }) },
      ],
    };
    const stopped = await finalState(
      await launch(
        [container({ environment: env({ [SIMULATE_ENV]: 'oom', [EXIT_CODE_ENV]: '5' }) })],
        { overrides },
      ),
    );
    expect(stopped.stoppedReason).toBe('Essential container in task exited');
    expect(stopped.containers[0].exitCode).toBe(7);
  });

  it('an override can switch a failure off', async () => {
    const overrides = {
      containerOverrides: [{ name: 'app', environment: env({ [SIMULATE_ENV]: '' }) }],
    };
    const ref = await launch([container({ environment: env({ [SIMULATE_ENV]: 'exit' }) })], {
      overrides,
    });
    expect((await finalState(ref)).lastStatus).toBe('RUNNING');
  });

  it('applies only to the container it names, cpu and memory included', async () => {
    const overrides = {
      containerOverrides: [
        { name: 'sidecar', cpu: 128, memory: 256, environment: env({ [SIMULATE_ENV]: 'exit' }) },
      ],
    };
    const running = await finalState(
      await launch(
        [container({ cpu: 64, memory: 128 }), container({ name: 'sidecar', essential: false })],
        { overrides },
      ),
    );
    expect(running.lastStatus).toBe('RUNNING');
    expect(
      running.containers.map(({ name, cpu, memory, lastStatus }) => ({
        name,
        cpu,
        memory,
        lastStatus,
      })),
    ).toEqual([
      { name: 'app', cpu: '64', memory: '128', lastStatus: 'RUNNING' },
      { name: 'sidecar', cpu: '128', memory: '256', lastStatus: 'STOPPED' },
    ]);
  });
});

describe('SimulatedFleet refs', () => {
  it('plans the same timeline for the same taskId, shifted by launch time only', async () => {
    const a = await launch();
    expect(await launch()).toEqual(a);
    expect(await launch([container()], { fleet: new SimulatedFleet({ profile: 'fast' }) })).toEqual(
      a,
    );
    const { timeline } = a as { timeline: object };
    expect(await launch([container()], { at: T0 + 60_000 })).toEqual({
      kind: 'simulated',
      timeline: { ...timeline, launchedAt: T0 + 60_000 },
    });
    expect(await launch([container()], { taskId: 'task-2' })).not.toEqual(a);
  });

  it('survives a JSON round trip and stays well under 1 KB', async () => {
    const ref = await stop(
      await launch([container({ image: 'public.ecr.aws/nginx/nginx:latest', healthCheck })]),
      T0 + 5_000,
      {
        reason: 'Scaling activity initiated by (deployment ecs-svc/1234567890123456789)',
        stopCode: 'ServiceSchedulerInitiated',
      },
    );
    const json = JSON.stringify(ref);
    expect(json.length).toBeLessThan(512);
    const copy = JSON.parse(json) as BackendRef;
    for (const at of [T0, T0 + 1_000, T0 + 3_000, T0 + 5_000, T0 + 5_500, T0 + 60_000]) {
      expect(shown(await observe(copy, at))).toEqual(shown(await observe(ref, at)));
    }
    expect(JSON.parse(JSON.stringify(await observe(ref, T0 + 5_500)))).toEqual(
      await observe(ref, T0 + 5_500),
    );
  });

  it.each([
    [
      'a Fargate ref',
      { kind: 'fargate', taskArn: 'arn:aws:ecs:us-east-1:0:task/c/1', cluster: 'c' },
    ],
    ['no timeline', { kind: 'simulated', timeline: null }],
    ['another version', { kind: 'simulated', timeline: { v: 2 } }],
    ['a broken timeline', { kind: 'simulated', timeline: { v: 1, launchedAt: 'yesterday' } }],
    [
      'a pull error naming no container',
      {
        kind: 'simulated',
        timeline: {
          v: 1,
          launchedAt: 0,
          up: [1, 2, 3, 4, 5],
          down: [1, 1, 1],
          containers: [{ name: 'app', image: 'nginx', essential: true }],
          pullError: 1,
        },
      },
    ],
  ])('throws a plain Error for %s', async (_, ref) => {
    for (const call of [
      () => fast.observe([{ taskId: TASK_ID, ref: ref as BackendRef }], T0),
      () =>
        fast.stop(
          [{ taskId: TASK_ID, ref: ref as BackendRef, reason: 'x', stopCode: 'UserInitiated' }],
          T0,
        ),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isDomainError(error)).toBe(false);
    }
  });
});

describe('SimulatedFleet nextChangeAt', () => {
  const scenarios: Array<[string, () => Promise<BackendRef>]> = [
    ['a plain task', () => launch([container({ healthCheck })])],
    ['a stopped task', async () => stop(await launch(), T0 + 4_000)],
    ['a pull error', () => launch([container({ image: 'nginx:does-not-exist' })])],
    [
      'an essential exit',
      () => launch([container({ environment: env({ [SIMULATE_ENV]: 'exit' }) })]),
    ],
    [
      'an unhealthy container',
      () => launch([container({ environment: env({ [SIMULATE_ENV]: 'unhealthy' }) })]),
    ],
  ];

  it.each(scenarios)(
    'for %s: nothing changes before it, something changes at it',
    async (_, make) => {
      const ref = await make();
      const states = await history(ref);
      for (const [i, { at, task }] of states.entries()) {
        const next = task.nextChangeAt;
        if (next === undefined) {
          expect(i).toBe(states.length - 1);
          expect(shown(await observe(ref, at + 86_400_000))).toEqual(shown(task));
          continue;
        }
        expect(next).toBeGreaterThan(at);
        for (const between of [at + 1, Math.floor((at + next) / 2), next - 1]) {
          expect(shown(await observe(ref, between))).toEqual(shown(task));
        }
        const { nextChangeAt: _a, ...now } = shown(task);
        const { nextChangeAt: _b, ...then } = shown(states[i + 1].task);
        expect(then).not.toEqual(now);
      }
    },
  );
});

describe('SimulatedFleet properties', () => {
  const scenario = fc.constantFrom<Array<Partial<ContainerDefinition>>>(
    [{}],
    [{ healthCheck }],
    [{ image: 'nginx:does-not-exist' }],
    [{ environment: env({ [SIMULATE_ENV]: 'exit' }) }],
    [{ environment: env({ [SIMULATE_ENV]: 'oom', [EXIT_AFTER_ENV]: '3' }) }],
    [{ environment: env({ [SIMULATE_ENV]: 'unhealthy' }) }],
    [{}, { name: 'job', essential: false, environment: env({ [SIMULATE_ENV]: 'exit' }) }],
  );
  const arbitraryTask = fc.record({
    profile: fc.constantFrom<TimingProfile>('fast', 'realistic'),
    taskId: fc.string({ minLength: 1, maxLength: 40 }),
    containers: scenario,
    launchedAt: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    /** Realistic-profile milliseconds after launch, compressed like the profile for `fast`. */
    stopAfter: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
    observeAfter: fc.array(fc.integer({ min: -1_000, max: 200_000 }), {
      minLength: 1,
      maxLength: 25,
    }),
  });
  type ArbitraryTask = typeof arbitraryTask extends fc.Arbitrary<infer T> ? T : never;

  async function setUp(task: ArbitraryTask) {
    const fleet = fleets[task.profile];
    const containers = task.containers.map((fields, i) => container({ name: `c${i}`, ...fields }));
    const [outcome] = await fleet.launch(
      [spec(containers, { taskId: task.taskId })],
      task.launchedAt,
    );
    if (!outcome.accepted) throw new Error('refused');
    const launched = outcome.ref;
    // Observations spread over the same phases whatever the profile.
    const after = (ms: number) =>
      task.launchedAt + Math.round(ms * (task.profile === 'fast' ? 0.1 : 1));
    const stopAt = task.stopAfter === undefined ? undefined : after(task.stopAfter);
    const ref =
      stopAt === undefined
        ? launched
        : (
            await fleet.stop(
              [{ taskId: task.taskId, ref: launched, reason: 'r', stopCode: 'UserInitiated' }],
              stopAt,
            )
          )[0].ref;
    const at = (ref: BackendRef, time: number) =>
      fleet.observe([{ taskId: task.taskId, ref }], time).then(([o]) => o);
    const times = [...task.observeAfter].sort((a, b) => a - b).map(after);
    return { launched, ref, stopAt, at, times };
  }

  it('lastStatus only moves forward and timestamps are ordered, bounded and never rewritten', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryTask, async (task) => {
        const { ref, at, times } = await setUp(task);
        const keys = [
          'pullStartedAt',
          'pullStoppedAt',
          'startedAt',
          'stoppingAt',
          'stoppedAt',
        ] as const;
        let previous: ObservedTask | undefined;
        for (const time of times) {
          const observed = await at(ref, time);
          const stamps = keys.map((k) => observed[k]).filter((v): v is number => v !== undefined);
          expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
          for (const stamp of stamps) {
            expect(stamp).toBeGreaterThanOrEqual(task.launchedAt);
            expect(stamp).toBeLessThanOrEqual(Math.max(time, task.launchedAt));
          }
          if (observed.nextChangeAt !== undefined)
            expect(observed.nextChangeAt).toBeGreaterThan(time);
          expect(observed.stoppedAt !== undefined).toBe(observed.lastStatus === 'STOPPED');
          if (previous) {
            expect(LIFECYCLE.indexOf(observed.lastStatus)).toBeGreaterThanOrEqual(
              LIFECYCLE.indexOf(previous.lastStatus),
            );
            if (previous.desiredStatus === 'STOPPED')
              expect(observed.desiredStatus).toBe('STOPPED');
            for (const key of keys) {
              if (previous[key] !== undefined) expect(observed[key]).toBe(previous[key]);
            }
          }
          previous = observed;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a stop does not rewrite what was observable before it', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryTask, async (task) => {
        const { launched, ref, stopAt, at, times } = await setUp(task);
        if (stopAt === undefined) return;
        const stopTookEffect = ref !== launched;
        for (const time of times.filter((t) => Math.max(t, task.launchedAt) < stopAt)) {
          const { nextChangeAt: before, ...withoutStop } = shown(await at(launched, time));
          const { nextChangeAt: after, ...withStop } = shown(await at(ref, time));
          expect(withStop).toEqual(withoutStop);
          expect(after).toBe(stopTookEffect ? Math.min(before ?? Infinity, stopAt) : before);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('nothing observable changes before nextChangeAt, something changes at it', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryTask,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (task, fraction) => {
          const { ref, at, times } = await setUp(task);
          const check = async (time: number) => {
            const observed = await at(ref, time);
            // Without a nextChangeAt the task must look the same forever; a day stands for that.
            const until = observed.nextChangeAt ?? time + 86_400_000;
            const between = time + Math.floor(fraction * (until - time - 1));
            expect(shown(await at(ref, between))).toEqual(shown(observed));
            if (observed.nextChangeAt !== undefined) {
              const { nextChangeAt: _now, ...now } = shown(observed);
              const { nextChangeAt: _then, ...then } = shown(await at(ref, observed.nextChangeAt));
              expect(then).not.toEqual(now);
            }
            return observed.nextChangeAt;
          };
          for (const time of times) await check(time);
          // Every state the task goes through, which random times can miss.
          for (let time: number | undefined = task.launchedAt; time !== undefined;) {
            time = await check(time);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('SimulatedFleet network', () => {
  const awsvpc = (...subnets: string[]) => ({ networkConfiguration: { awsvpcConfiguration: { subnets } } });
  const detail = (task: ObservedTask, name: string) =>
    task.network?.attachments[0]?.details.find((entry) => entry.name === name)?.value;

  it('attaches an ENI in the subnet as ECS shows it: PRECREATED, ATTACHED, DETACHING, DELETED', async () => {
    const launched = await launch([container()], awsvpc('subnet-0abc'));
    const states = await history(await stop(launched, (await enteredAt(launched, 'RUNNING')) + 1));
    const byStatus = (status: LifecycleStatus) => states.find((state) => state.task.lastStatus === status)!.task;

    expect(byStatus('PROVISIONING').network).toEqual({
      attachments: [
        { id: expect.any(String), type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [{ name: 'subnetId', value: 'subnet-0abc' }] },
      ],
      availabilityZone: expect.stringMatching(/^us-east-1[abc]$/),
    });
    const running = byStatus('RUNNING');
    const address = detail(running, 'privateIPv4Address')!;
    expect(address).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    expect(running.network).toEqual({
      attachments: [
        {
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
          type: 'ElasticNetworkInterface',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-0abc' },
            { name: 'networkInterfaceId', value: expect.stringMatching(/^eni-[0-9a-f]{17}$/) },
            { name: 'macAddress', value: expect.stringMatching(/^0e(:[0-9a-f]{2}){5}$/) },
            { name: 'privateDnsName', value: `ip-${address.replaceAll('.', '-')}.ec2.internal` },
            { name: 'privateIPv4Address', value: address },
          ],
        },
      ],
      availabilityZone: byStatus('PROVISIONING').network!.availabilityZone,
      connectivity: 'CONNECTED',
      connectivityAt: states.find((state) => state.task.lastStatus === 'PENDING')!.at,
    });
    expect(running.containers[0].networkInterfaces).toEqual([
      { attachmentId: running.network!.attachments[0].id, privateIpv4Address: address },
    ]);
    expect(byStatus('DEACTIVATING').network?.attachments[0].status).toBe('ATTACHED');
    expect(byStatus('DEPROVISIONING').network?.attachments[0].status).toBe('DETACHING');
    expect(byStatus('STOPPED').network?.attachments[0]).toMatchObject({ status: 'DELETED', details: running.network!.attachments[0].details });
  });

  it('gives the same task the same address every time, and tasks of one subnet addresses of its /16', async () => {
    const addressOf = async (taskId: string, subnet: string) => {
      const [outcome] = await fast.launch([spec([container()], { taskId, ...awsvpc(subnet) })], T0);
      if (!outcome.accepted) throw new Error('refused');
      const [task] = await fast.observe([{ taskId, ref: outcome.ref }], T0 + 60_000);
      return detail(task, 'privateIPv4Address')!;
    };
    expect(await addressOf('t-1', 'subnet-a')).toBe(await addressOf('t-1', 'subnet-a'));
    const addresses = await Promise.all(Array.from({ length: 50 }, (_, index) => addressOf(`t-${index}`, 'subnet-a')));
    expect(new Set(addresses).size).toBe(50);
    expect(new Set(addresses.map((address) => address.split('.').slice(0, 2).join('.'))).size).toBe(1);
    expect((await addressOf('t-1', 'subnet-b')).split('.')[1]).not.toBe(addresses[1].split('.')[1]);
  });

  it('names the zone after the task definition\'s region, and a task stopped while PROVISIONING never had an address', async () => {
    const taskDefinition = { ...sampleTaskDefinition(), taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/contract:1' };
    const launched = await launch([container()], { ...awsvpc('subnet-x'), taskDefinition });
    const running = await finalState(launched);
    expect(running.network?.availabilityZone).toMatch(/^eu-west-1[abc]$/);
    expect(detail(running, 'privateDnsName')).toMatch(/^ip-10-[\d-]+\.eu-west-1\.compute\.internal$/);
    const neverUp = await finalState(await stop(await launch([container()], awsvpc('subnet-x')), T0 + 1));
    expect(neverUp.network).toMatchObject({ attachments: [{ status: 'DELETED', details: [{ name: 'subnetId', value: 'subnet-x' }] }] });
    expect(neverUp.network?.connectivity).toBeUndefined();
    expect(neverUp.containers[0].networkInterfaces).toBeUndefined();
  });
});
