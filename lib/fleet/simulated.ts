import { hash } from 'node:crypto';
import * as z from 'zod';
import type {
  Attachment,
  ContainerDefinition,
  EpochMs,
  HealthCheck,
  HealthStatus,
  LifecycleStatus,
  StopCode,
  TaskNetwork,
} from '../domain/model';
import { lazySchema, type SchemaOutput } from '../domain/validation';
import type {
  BackendRef,
  FleetBackend,
  LaunchOutcome,
  LaunchSpec,
  ObservedTask,
  StopRequest,
  TaskOverrides,
} from './backend';

/**
 * The simulated fleet: tasks walk ECS's lifecycle on a timing profile without running anything.
 * A task's whole future is planned at launch into a small timeline (its BackendRef), and every
 * observation is a pure function of that timeline and the caller's clock. Randomness (jitter) is
 * a hash of the taskId, so a task behaves the same however often it is launched or observed.
 * Failures are opt-in through container environment variables; docs/simulated-fleet.md is the
 * user-facing description of the convention.
 */

export type TimingProfile = 'fast' | 'realistic';

/** Container environment variable that selects a simulated failure (one of SIMULATED_FAILURES). */
export const SIMULATE_ENV = 'ECSBOX_SIMULATE';
/** Seconds of RUNNING before an `exit` or `oom` container dies (default 10; ×0.1 when fast). */
export const EXIT_AFTER_ENV = 'ECSBOX_EXIT_AFTER';
/** Exit code of an `exit` container, 0–255 (default 1). */
export const EXIT_CODE_ENV = 'ECSBOX_EXIT_CODE';
export const SIMULATED_FAILURES = ['pull-error', 'exit', 'unhealthy', 'oom'] as const;
export type SimulatedFailure = (typeof SIMULATED_FAILURES)[number];
/** An image with this tag cannot be pulled: a real registry has no such tag either. */
export const UNPULLABLE_TAG = 'does-not-exist';

const DEFAULT_EXIT_AFTER_S = 10;
/**
 * The longest duration a user declares that the fleet plans (a year): longer ones are taken as
 * this. Every planned instant then stays a safe integer of milliseconds that DynamoDB can store
 * and a Date can render, however large the declared value (ECSBOX_EXIT_AFTER=1e15).
 */
export const MAX_DECLARED_DURATION_S = 365 * 24 * 60 * 60;
const DEFAULT_EXIT_CODE = 1;
const OOM_EXIT_CODE = 137;
/** Fargate's default when a container sets no stopTimeout. */
const DEFAULT_STOP_TIMEOUT_S = 30;
/** ECS's healthCheck defaults, for the check `unhealthy` implies on a container without one. */
const IMPLICIT_HEALTH_CHECK: Pick<HealthCheck, 'interval' | 'retries' | 'startPeriod'> = {
  interval: 30,
  retries: 3,
};

const ESSENTIAL_EXITED_REASON = 'Essential container in task exited';
const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

type Range = readonly [min: number, max: number];

interface Profile {
  provisioning: Range;
  /** From entering PENDING to the start of the image pull. */
  pullDelay: Range;
  pull: Range;
  /** From the end of the pull to ACTIVATING (container creation). */
  containerStart: Range;
  activating: Range;
  deactivating: Range;
  /** Capped by the longest container stopTimeout: that is when ECS sends SIGKILL. */
  stopping: Range;
  deprovisioning: Range;
  /** Factor on durations the user declares: health checks, ECSBOX_EXIT_AFTER, stopTimeout. */
  userTimeScale: number;
}

/** Milliseconds, as [min, max]; each task draws its own value in the range from its taskId. */
const PROFILES: Record<TimingProfile, Profile> = {
  fast: {
    provisioning: [250, 350],
    pullDelay: [50, 100],
    pull: [600, 800],
    containerStart: [50, 100],
    activating: [400, 600],
    deactivating: [150, 250],
    stopping: [400, 600],
    deprovisioning: [250, 350],
    userTimeScale: 0.1,
  },
  realistic: {
    provisioning: [5_000, 15_000],
    pullDelay: [500, 1_500],
    pull: [10_000, 30_000],
    containerStart: [1_000, 2_000],
    activating: [2_000, 5_000],
    deactivating: [1_000, 3_000],
    stopping: [3_000, 8_000],
    deprovisioning: [5_000, 10_000],
    userTimeScale: 1,
  },
};

const containerPlanSchema = lazySchema(() =>
  z.object({
    name: z.string(),
    image: z.string(),
    essential: z.boolean(),
    cpu: z.number().optional(),
    memory: z.number().optional(),
    /** Ms after the task's RUNNING at which the first health check passes. */
    healthyAfter: z.number().optional(),
    /** Ms after RUNNING at which a failing check has used up its start period and retries. */
    unhealthyAfter: z.number().optional(),
    /** The container dies on its own this many ms after RUNNING. */
    exit: z
      .object({ after: z.number(), code: z.number(), oom: z.literal(true).optional() })
      .optional(),
  }),
);

/**
 * Stored with the task record, so it holds only what observing needs, relative to launchedAt.
 * The planned outcome is implied: `pullError`, containers' `exit` and `unhealthyAfter`; `stop`
 * is the first stop request, which wins over any failure planned for later.
 */
const timelineSchema = lazySchema(() =>
  z
    .object({
      v: z.literal(1),
      launchedAt: z.number(),
      /** Offsets from launchedAt: PENDING, pull start, pull stop, ACTIVATING, RUNNING. */
      up: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()]),
      /** Durations of DEACTIVATING, STOPPING, DEPROVISIONING. */
      down: z.tuple([z.number(), z.number(), z.number()]),
      containers: z.array(containerPlanSchema()).min(1),
      /** Where the task's ENI lives: the region, and the subnet picked from the launch's awsvpcConfiguration. */
      net: z.object({ region: z.string(), subnet: z.string().optional(), zone: z.string().optional() }).optional(),
      /** Index of the container whose image cannot be pulled: the task fails when the pull ends. */
      pullError: z.number().int().nonnegative().optional(),
      stop: z
        .object({
          at: z.number(),
          code: z.enum(['UserInitiated', 'ServiceSchedulerInitiated', 'SpotInterruption']),
          reason: z.string(),
        })
        .optional(),
    })
    .refine((t) => t.pullError === undefined || t.pullError < t.containers.length),
);

export type SimulatedTimeline = SchemaOutput<typeof timelineSchema>;
type ContainerPlan = SchemaOutput<typeof containerPlanSchema>;

export class SimulatedFleet implements FleetBackend {
  readonly name = 'simulated' as const;
  readonly launchHasNoEffect = true;
  private readonly profile: Profile;

  constructor(options: { profile: TimingProfile }) {
    this.profile = PROFILES[options.profile];
  }

  async launch(specs: LaunchSpec[], now: EpochMs): Promise<LaunchOutcome[]> {
    return specs.map((spec) => ({
      taskId: spec.taskId,
      accepted: true,
      ref: toRef(planTimeline(spec, now, this.profile)),
    }));
  }

  async observe(
    tasks: Array<{ taskId: string; ref: BackendRef }>,
    now: EpochMs,
  ): Promise<ObservedTask[]> {
    return tasks.map(({ taskId, ref }) => {
      // Completed in place (a fresh object), not copied: every pass observes every task.
      const observed = observeTimeline(taskId, parseRef(taskId, ref), now) as ObservedTask;
      observed.taskId = taskId;
      observed.ref = ref;
      return observed;
    });
  }

  async stop(
    requests: StopRequest[],
    now: EpochMs,
  ): Promise<Array<{ taskId: string; ref: BackendRef }>> {
    return requests.map(({ taskId, ref, reason, stopCode }) => {
      const timeline = parseRef(taskId, ref);
      const { end } = resolve(timeline);
      if (timeline.stop || (end && end.at <= now)) return { taskId, ref };
      const at = Math.max(now, timeline.launchedAt);
      return { taskId, ref: toRef({ ...timeline, stop: { at, code: stopCode, reason } }) };
    });
  }
}

const toRef = (timeline: SimulatedTimeline): BackendRef => ({ kind: 'simulated', timeline });

function parseRef(taskId: string, ref: BackendRef): SimulatedTimeline {
  const parsed = ref.kind === 'simulated' ? timelineSchema().safeParse(ref.timeline) : undefined;
  if (!parsed?.success) {
    throw new Error(
      `SimulatedFleet: task ${taskId} has no simulated timeline (ref kind ${ref.kind})`,
    );
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Planning (launch)

type ContainerOverride = NonNullable<TaskOverrides['containerOverrides']>[number];

/** A container definition as the task will run it: overrides applied, failure convention read. */
interface EffectiveContainer {
  definition: ContainerDefinition;
  override?: ContainerOverride;
  env: Map<string, string>;
  failure?: SimulatedFailure;
}

function planTimeline(spec: LaunchSpec, now: EpochMs, profile: Profile): SimulatedTimeline {
  const draw = (phase: keyof Profile & string, [min, max]: Range) =>
    Math.round(min + unitHash(`${spec.taskId}/${phase}`) * (max - min));
  // Declared durations are in seconds; at least 1 ms keeps every planned event strictly later.
  const scaled = (seconds: number) =>
    Math.max(1, Math.round(Math.min(seconds, MAX_DECLARED_DURATION_S) * 1000 * profile.userTimeScale));

  const effective = spec.taskDefinition.containerDefinitions.map((definition) =>
    effectiveContainer(definition, spec.overrides),
  );
  const pending = draw('provisioning', profile.provisioning);
  const pullStart = pending + draw('pullDelay', profile.pullDelay);
  const pullStop = pullStart + draw('pull', profile.pull);
  const activating = pullStop + draw('containerStart', profile.containerStart);
  const running = activating + draw('activating', profile.activating);
  const up: SimulatedTimeline['up'] = [pending, pullStart, pullStop, activating, running];
  const stopTimeout = Math.max(
    ...effective.map((c) => c.definition.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S),
  );
  const down: SimulatedTimeline['down'] = [
    draw('deactivating', profile.deactivating),
    Math.min(draw('stopping', profile.stopping), scaled(stopTimeout)),
    draw('deprovisioning', profile.deprovisioning),
  ];
  const pullError = effective.findIndex(
    (c) => c.failure === 'pull-error' || imageTag(c.definition.image) === UNPULLABLE_TAG,
  );
  // ECS spreads a task's ENI over the launch's subnets; here the task's id picks one.
  const subnets = spec.networkConfiguration?.awsvpcConfiguration?.subnets ?? [];
  const subnet = subnets.length
    ? subnets[Math.floor(unitHash(`${spec.taskId}/subnet`) * subnets.length)]
    : undefined;

  return compact({
    v: 1 as const,
    launchedAt: now,
    up,
    down,
    containers: effective.map((c) => planContainer(c, scaled)),
    // An EC2 task lives in its container instance's zone.
    net: compact({ region: regionOf(spec.taskDefinition.taskDefinitionArn), subnet, zone: spec.availabilityZone }),
    pullError: pullError >= 0 ? pullError : undefined,
  });
}

function effectiveContainer(
  definition: ContainerDefinition,
  overrides: TaskOverrides | undefined,
): EffectiveContainer {
  const override = overrides?.containerOverrides?.find((o) => o.name === definition.name);
  // An override entry replaces the definition's variable of the same name or adds one.
  const env = new Map(
    [...(definition.environment ?? []), ...(override?.environment ?? [])].map((e) => [
      e.name,
      e.value,
    ]),
  );
  const failure = env.get(SIMULATE_ENV)?.trim().toLowerCase();
  return { definition, override, env, failure: SIMULATED_FAILURES.find((f) => f === failure) };
}

function planContainer(
  { definition, override, env, failure }: EffectiveContainer,
  scaled: (seconds: number) => number,
): ContainerPlan {
  const check =
    failure === 'unhealthy'
      ? (definition.healthCheck ?? IMPLICIT_HEALTH_CHECK)
      : definition.healthCheck;
  const exitAfter = scaled(numberFrom(env, EXIT_AFTER_ENV, DEFAULT_EXIT_AFTER_S));
  const exitCode = numberFrom(env, EXIT_CODE_ENV, DEFAULT_EXIT_CODE);
  return compact({
    name: definition.name,
    image: definition.image,
    essential: definition.essential,
    cpu: override?.cpu ?? definition.cpu,
    memory: override?.memory ?? definition.memory,
    healthyAfter: check && failure !== 'unhealthy' ? scaled(check.interval) : undefined,
    // A check failing from the start is ignored during startPeriod, then must fail `retries` times.
    unhealthyAfter:
      check && failure === 'unhealthy'
        ? scaled((check.startPeriod ?? 0) + check.interval * check.retries)
        : undefined,
    exit:
      failure === 'exit'
        ? {
            after: exitAfter,
            code: Number.isInteger(exitCode) && exitCode <= 255 ? exitCode : DEFAULT_EXIT_CODE,
          }
        : failure === 'oom'
          ? { after: exitAfter, code: OOM_EXIT_CODE, oom: true as const }
          : undefined,
  });
}

/**
 * A non-negative number from the environment, or the fallback when unset or not one. Values are
 * never refused: these are ordinary container variables, which ECS takes with any value, and the
 * same task definition must run unchanged on real Fargate (docs/simulated-fleet.md).
 */
function numberFrom(env: Map<string, string>, name: string, fallback: number): number {
  const raw = env.get(name)?.trim();
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

function imageTag(image: string): string | undefined {
  const name = image.split('@')[0];
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
}

/** The reference as containerd resolves it: what ECS quotes in CannotPullContainerError. */
function qualifiedImage(image: string): string {
  const [first, ...rest] = image.split('/');
  const hasRegistry =
    rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasRegistry
    ? image
    : rest.length > 0
      ? `docker.io/${image}`
      : `docker.io/library/${image}`;
  return imageTag(path) !== undefined || path.includes('@') ? path : `${path}:latest`;
}

const cannotPullReason = (image: string) =>
  'CannotPullContainerError: pull image manifest has been retried 7 time(s): ' +
  `failed to resolve ref ${qualifiedImage(image)}: not found`;

/** FNV-1a plus a murmur3 finaliser, into [0, 1): keys differing only at the end still spread. */
function unitHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

// ---------------------------------------------------------------------------------------------
// Resolving (every instant at which something becomes visible) and observing

interface TaskEnd {
  at: EpochMs;
  stopCode: StopCode;
  stoppedReason: string;
}

interface ResolvedContainer {
  plan: ContainerPlan;
  startedAt?: EpochMs;
  stoppedAt?: EpochMs;
  exitCode?: number;
  reason?: string;
  healthyAt?: EpochMs;
  unhealthyAt?: EpochMs;
}

/** The task's whole history as absolute instants; an observation shows what happened by `now`. */
interface Resolved {
  transitions: Array<{ at: EpochMs; status: LifecycleStatus }>;
  end?: TaskEnd;
  pullStartedAt?: EpochMs;
  pullStoppedAt?: EpochMs;
  startedAt?: EpochMs;
  containers: ResolvedContainer[];
}

const DOWN_PHASES = ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING'] as const;
/** Down phases that do not apply to a task that got no further (nothing to deactivate or stop). */
const SKIPPED_DOWN_PHASES: Partial<Record<LifecycleStatus, number>> = {
  PROVISIONING: 2,
  PENDING: 1,
};

function resolve(timeline: SimulatedTimeline): Resolved {
  const { launchedAt, containers: plans } = timeline;
  const [pendingAt, pullStartAt, pullStopAt, activatingAt, runningAt] = timeline.up.map(
    (offset) => launchedAt + offset,
  );

  const pullFailure: TaskEnd | undefined =
    timeline.pullError === undefined
      ? undefined
      : {
          at: pullStopAt,
          stopCode: 'TaskFailedToStart',
          stoppedReason: cannotPullReason(plans[timeline.pullError].image),
        };
  const end = earliest([
    pullFailure,
    ...plans.map((plan): TaskEnd | undefined =>
      plan.essential && plan.exit
        ? {
            at: runningAt + plan.exit.after,
            stopCode: 'EssentialContainerExited',
            stoppedReason: plan.exit.oom ? OOM_REASON : ESSENTIAL_EXITED_REASON,
          }
        : undefined,
    ),
    timeline.stop && {
      at: timeline.stop.at,
      stopCode: timeline.stop.code,
      stoppedReason: timeline.stop.reason,
    },
  ]);
  const downAt = end?.at ?? Infinity;

  const upPath: Resolved['transitions'] = [
    { at: launchedAt, status: 'PROVISIONING' },
    { at: pendingAt, status: 'PENDING' },
    { at: activatingAt, status: 'ACTIVATING' },
    { at: runningAt, status: 'RUNNING' },
  ];
  // A phase that began at the very instant the task was told to go down was reached: an observer
  // at that instant already saw it (a stop at the moment a task turns RUNNING stops a running task).
  const transitions = upPath.filter((t) => t.at <= downAt);
  const reached = transitions[transitions.length - 1].status;
  const ran = reached === 'RUNNING';

  let containersKilledAt = Infinity;
  if (end) {
    let at = end.at;
    for (let i = SKIPPED_DOWN_PHASES[reached] ?? 0; i < DOWN_PHASES.length; i++) {
      transitions.push({ at, status: DOWN_PHASES[i] });
      at += timeline.down[i];
    }
    transitions.push({ at, status: 'STOPPED' });
    // Running containers get SIGTERM on entering STOPPING and are gone by DEPROVISIONING.
    containersKilledAt = at - timeline.down[2];
  }

  const containers = plans.map((plan, index): ResolvedContainer => {
    if (!ran) {
      // Never started: the containers stop with the task, the unpullable one saying why.
      return {
        plan,
        stoppedAt: end?.at,
        reason:
          end === pullFailure && index === timeline.pullError ? end?.stoppedReason : undefined,
      };
    }
    const exitAt = plan.exit ? runningAt + plan.exit.after : Infinity;
    const stoppedAt = Math.min(exitAt, containersKilledAt);
    const exitedOnItsOwn = plan.exit !== undefined && exitAt < containersKilledAt;
    const whileRunning = (offset?: number) =>
      offset !== undefined && runningAt + offset < stoppedAt ? runningAt + offset : undefined;
    return {
      plan,
      startedAt: runningAt,
      stoppedAt: Number.isFinite(stoppedAt) ? stoppedAt : undefined,
      // The simulated application shuts down cleanly on SIGTERM.
      exitCode: exitedOnItsOwn ? plan.exit?.code : Number.isFinite(stoppedAt) ? 0 : undefined,
      reason: exitedOnItsOwn && plan.exit?.oom ? OOM_REASON : undefined,
      healthyAt: whileRunning(plan.healthyAfter),
      unhealthyAt: whileRunning(plan.unhealthyAfter),
    };
  });

  return {
    transitions,
    end,
    pullStartedAt: pullStartAt < downAt ? pullStartAt : undefined,
    pullStoppedAt: pullStopAt <= downAt ? pullStopAt : undefined,
    startedAt: ran ? runningAt : undefined,
    containers,
  };
}

function earliest(ends: Array<TaskEnd | undefined>): TaskEnd | undefined {
  return ends.reduce<TaskEnd | undefined>(
    (first, candidate) => (candidate && (!first || candidate.at < first.at) ? candidate : first),
    undefined,
  );
}

function observeTimeline(
  taskId: string,
  timeline: SimulatedTimeline,
  now: EpochMs,
): Omit<ObservedTask, 'taskId' | 'ref'> {
  const resolved = resolve(timeline);
  const at = Math.max(now, timeline.launchedAt);
  const happened = (instant?: EpochMs) => instant !== undefined && instant <= at;
  const shown = (instant?: EpochMs) => (happened(instant) ? instant : undefined);

  const lastStatus = resolved.transitions.findLast((t) => t.at <= at)?.status ?? 'PROVISIONING';
  const end = happened(resolved.end?.at) ? resolved.end : undefined;
  const eni = simulatedEni(taskId, timeline.net);
  // The ENI is attached when the task enters PENDING; a task stopped before that never had one.
  const attachedAt = shown(resolved.transitions.find((t) => t.status === 'PENDING')?.at);
  const containers = resolved.containers.map((c, index): ObservedTask['containers'][number] => {
    const stopped = happened(c.stoppedAt);
    const running = happened(c.startedAt) && !stopped;
    const healthStatus: HealthStatus = !running
      ? 'UNKNOWN'
      : happened(c.unhealthyAt)
        ? 'UNHEALTHY'
        : happened(c.healthyAt)
          ? 'HEALTHY'
          : 'UNKNOWN';
    const pulled = happened(resolved.pullStoppedAt) && index !== timeline.pullError;
    return compact({
      name: c.plan.name,
      image: c.plan.image,
      imageDigest: pulled ? imageDigestOf(c.plan.image) : undefined,
      runtimeId: happened(c.startedAt) ? runtimeIdOf(taskId, c.plan.name) : undefined,
      lastStatus: stopped ? 'STOPPED' : running ? 'RUNNING' : 'PENDING',
      exitCode: stopped ? c.exitCode : undefined,
      reason: stopped ? c.reason : undefined,
      healthStatus,
      essential: c.plan.essential,
      cpu: c.plan.cpu?.toString(),
      memory: c.plan.memory?.toString(),
      networkInterfaces:
        eni?.subnet && attachedAt !== undefined
          ? [{ attachmentId: eni.attachmentId, privateIpv4Address: eni.privateIPv4Address }]
          : undefined,
    });
  });

  const instants = [
    ...resolved.transitions.map((t) => t.at),
    resolved.end?.at,
    resolved.pullStartedAt,
    resolved.pullStoppedAt,
    ...resolved.containers.flatMap((c) => [c.startedAt, c.stoppedAt, c.healthyAt, c.unhealthyAt]),
  ].filter((instant): instant is EpochMs => instant !== undefined && instant > at);

  return compact({
    lastStatus,
    desiredStatus: end ? 'STOPPED' : 'RUNNING',
    healthStatus: taskHealth(
      containers
        .filter((c, i) => c.essential && hasHealthCheck(resolved.containers[i].plan))
        .map((c) => c.healthStatus),
    ),
    containers,
    pullStartedAt: shown(resolved.pullStartedAt),
    pullStoppedAt: shown(resolved.pullStoppedAt),
    startedAt: shown(resolved.startedAt),
    stoppingAt: end?.at,
    stoppedAt: lastStatus === 'STOPPED' ? resolved.transitions.at(-1)?.at : undefined,
    stopCode: end?.stopCode,
    stoppedReason: end?.stoppedReason,
    network: eni && observeNetwork(eni, lastStatus, attachedAt),
    nextChangeAt: instants.length > 0 ? Math.min(...instants) : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// The task's network: an ENI in the launch's subnet, all of it derived from the task and subnet ids

interface SimulatedEni {
  availabilityZone: string;
  attachmentId: string;
  subnet?: string;
  networkInterfaceId: string;
  macAddress: string;
  privateDnsName: string;
  privateIPv4Address: string;
}

const digestOf = (key: string): Buffer => hash('sha256', key, 'buffer');

/** Digests of keys shared by many tasks (a subnet's, an image's), kept: every observation needs them. */
const sharedDigests = new Map<string, Buffer>();
/** Distinct subnets and images are few; the cache is emptied rather than grown past this. */
const SHARED_DIGESTS_KEPT = 4096;
const sharedDigestOf = (key: string): Buffer => {
  let digest = sharedDigests.get(key);
  if (!digest) {
    if (sharedDigests.size >= SHARED_DIGESTS_KEPT) sharedDigests.clear();
    digest = digestOf(key);
    sharedDigests.set(key, digest);
  }
  return digest;
};

/** The ARN's region; the tests' and ecsbox's own ARNs always name one. */
const regionOf = (arn: string) => /^arn:[^:]+:ecs:([^:]+):/.exec(arn)?.[1] ?? 'us-east-1';

/**
 * The ENI a task gets: each subnet is a /16 of 10.0.0.0/8 in one zone (both from the subnet id),
 * and the task's address is a host of it (from the task id; the first four are AWS's, as in a VPC).
 * A task launched without an awsvpcConfiguration gets a zone only.
 */
function simulatedEni(taskId: string, net: SimulatedTimeline['net']): SimulatedEni | undefined {
  if (!net) return undefined;
  const zone = (net.subnet === undefined ? digestOf(`zone/${taskId}`) : sharedDigestOf(`zone/${net.subnet}`))[0] % 3;
  const task = digestOf(`eni/${net.subnet ?? ''}/${taskId}`);
  const host = 4 + (task.readUInt32BE(0) % (65_536 - 5));
  const address = `10.${sharedDigestOf(`subnet/${net.subnet ?? ''}`)[0]}.${host >> 8}.${host & 255}`;
  const hex = task.toString('hex');
  return {
    availabilityZone: net.zone ?? `${net.region}${'abc'[zone]}`,
    attachmentId: uuidOf(hex.slice(8, 40)),
    subnet: net.subnet,
    networkInterfaceId: `eni-${hex.slice(40, 57)}`,
    // A locally administered unicast address, as AWS gives ENIs.
    macAddress: ['0e', ...(hex.slice(0, 10).match(/../g) ?? [])].join(':'),
    privateDnsName: `ip-${address.replaceAll('.', '-')}.${net.region === 'us-east-1' ? 'ec2.internal' : `${net.region}.compute.internal`}`,
    privateIPv4Address: address,
  };
}

/** ECS's attachment status for a task's lastStatus; the details once the ENI was attached. */
function observeNetwork(eni: SimulatedEni, lastStatus: LifecycleStatus, attachedAt: EpochMs | undefined): TaskNetwork {
  if (!eni.subnet) return { attachments: [], availabilityZone: eni.availabilityZone };
  const status =
    lastStatus === 'PROVISIONING'
      ? 'PRECREATED'
      : lastStatus === 'DEPROVISIONING'
        ? 'DETACHING'
        : lastStatus === 'STOPPED'
          ? 'DELETED'
          : 'ATTACHED';
  const attachment: Attachment = {
    id: eni.attachmentId,
    type: 'ElasticNetworkInterface',
    status,
    details: [
      { name: 'subnetId', value: eni.subnet },
      ...(attachedAt === undefined
        ? []
        : [
            { name: 'networkInterfaceId', value: eni.networkInterfaceId },
            { name: 'macAddress', value: eni.macAddress },
            { name: 'privateDnsName', value: eni.privateDnsName },
            { name: 'privateIPv4Address', value: eni.privateIPv4Address },
          ]),
    ],
  };
  return compact({
    attachments: [attachment],
    availabilityZone: eni.availabilityZone,
    connectivity: attachedAt === undefined ? undefined : ('CONNECTED' as const),
    connectivityAt: attachedAt,
  });
}

const uuidOf = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

/** The same image always has the same digest, as a registry's tag does until it is pushed again. */
const imageDigestOf = (image: string) => `sha256:${sharedDigestOf(`image/${image}`).toString('hex')}`;

/** Fargate's runtime ids: the task id, a dash and ten digits. */
const runtimeIdOf = (taskId: string, container: string) =>
  `${taskId}-${digestOf(`runtime/${taskId}/${container}`).readUInt32BE(0).toString().padStart(10, '0')}`;

const hasHealthCheck = (plan: ContainerPlan) =>
  plan.healthyAfter !== undefined || plan.unhealthyAfter !== undefined;

/** Of the essential containers with a check: UNHEALTHY if any is, HEALTHY only if all are. */
function taskHealth(essentialChecks: HealthStatus[]): HealthStatus {
  if (essentialChecks.includes('UNHEALTHY')) return 'UNHEALTHY';
  return essentialChecks.length > 0 && essentialChecks.every((h) => h === 'HEALTHY')
    ? 'HEALTHY'
    : 'UNKNOWN';
}

/** Drops undefined fields, so refs stay compact and observations compare equal after JSON. */
function compact<T extends object>(value: T): T {
  const kept: Record<string, unknown> = {};
  // A loop, not entries and fromEntries: every observation of every task compacts several objects.
  for (const key in value) if (value[key] !== undefined) kept[key] = value[key];
  return kept as T;
}
