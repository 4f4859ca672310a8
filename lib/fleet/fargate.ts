import { createHash } from 'node:crypto';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type LogDriver,
  type OSFamily,
  type RegisterTaskDefinitionCommandInput,
  type Task as EcsTask,
} from '@aws-sdk/client-ecs';
import { scopeOf } from '../domain/arn';
import { systemClock, type Clock } from '../deps';
import {
  LIFECYCLE,
  type EpochMs,
  type HealthStatus,
  type LifecycleStatus,
  type NetworkConfiguration,
  type StopCode,
  type TaskDefinition,
} from '../domain/model';
import {
  LAUNCH_VISIBILITY_GRACE_MS,
  THROTTLED_REASON,
  type BackendRef,
  type FleetBackend,
  type LaunchOutcome,
  type LaunchSpec,
  type ObservedTask,
  type ObserveRequest,
  type StopRequest,
} from './backend';
import { TokenBucket, type TokenBucketOptions } from './token-bucket';

/**
 * The real backend: ecsbox tasks run as Fargate tasks in one ECS cluster (the target), through an
 * injected ECSClient, so the same adapter can also talk to any ECS-compatible endpoint.
 *
 * Identity. Each ecsbox taskId (a "slot") maps to exactly one ECS task: one RunTask per slot with
 * count 1, a `clientToken` derived from the slot (ECS returns the original task when a launch is
 * retried) and a `startedBy` derived from it too. Before launching, the slot is looked up with
 * ListTasks(startedBy): a reconciler that crashed between RunTask and recording the result finds and
 * adopts the task instead of launching another. The two cover each other's gaps: ListTasks is
 * eventually consistent (a task launched a moment ago may not be listed yet, but the clientToken
 * still returns it), and the clientToken is forgotten after some hours or refused with
 * ConflictException when parameters changed (but a task ECS still lists is adopted first).
 *
 * Task definitions. Each ecsbox revision is registered as its own ECS family, named after the ecsbox
 * family and revision plus a digest of what is registered, so a family only ever holds identical
 * revisions and a reset ecsbox (where "web:1" may mean something else) never runs a stale one.
 * RunTask names the family without a revision for the same reason: any ACTIVE revision is the same
 * definition, and the request stays identical across retries, as clientToken requires.
 *
 * ecsbox's own cluster name and startedBy (a deployment id) stay in ecsbox's task record: every task
 * runs in the target cluster, and the ECS task's startedBy is the slot's.
 *
 * Limits. Every ECS call is retried by the SDK's standard retry strategy (ECS_RETRY, set on the
 * ECSClient: exponential back-off with jitter on throttling and server errors, bounded attempts, a
 * retry quota); the adapter has no retry loop of its own. Launches also take tokens from Fargate's
 * task-launch bucket (one RunTask per task, so it paces the RunTask call rate as well). When the
 * bucket stays empty past `maxLaunchWaitMs`, or ECS keeps answering ThrottlingException, the slots
 * left get `{accepted: false, reason: THROTTLED_REASON}` and nothing is launched for them: the
 * reconciler backs off as ECS's own scheduler does ("operations are being throttled. Will try again
 * later."). Errors after which ECS certainly launched nothing (ClientException and the like) refuse
 * the slot; any other error propagates (a ServerException that outlasts the retries may hide a
 * launched task: the slot is tried again, and adopted, on a later pass).
 */

export interface FargateTarget {
  /** The ECS cluster that runs every ecsbox task: a name or an ARN. */
  cluster: string;
  /** Used when a launch brings no awsvpcConfiguration of its own. */
  subnets: string[];
  securityGroups?: string[];
  assignPublicIp?: 'ENABLED' | 'DISABLED';
  /**
   * The roles every registered definition gets. A tenant's own role ARNs are never passed on: they
   * name roles in ecsbox's account namespace, and passing them would let a tenant pick any role
   * ecsbox may pass.
   */
  executionRoleArn?: string;
  taskRoleArn?: string;
  /** Starts every ECS family ecsbox registers, so tenants cannot collide ("ecsbox-<account>-"). */
  familyPrefix: string;
}

/**
 * How the ECSClient given to the adapter retries: the SDK's standard mode (exponential back-off
 * with jitter, a retry quota), 5 attempts per call. What still fails after it is the adapter's to
 * judge (exhausted throttling becomes a THROTTLED_REASON refusal).
 */
export const ECS_RETRY = { retryMode: 'standard', maxAttempts: 5 } as const;

export interface FargateFleetOptions {
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** Fargate's task-launch bucket (default: 100 burst, 20 per second). */
  launchRate?: TokenBucketOptions;
  /** How long one launch may wait for launch tokens before leaving the rest as throttled (default 2 s). */
  maxLaunchWaitMs?: number;
  /**
   * Whether ECS's "ECS Task State Change" events of this target reach the reconciler (the stage's
   * FargateTaskStateRule, deployed): a due pass then asks DescribeTasks only about tasks whose events
   * are late (see describesOnDuePass). Off by default: every observation describes.
   */
  taskEvents?: boolean;
}

/** What a task ECS no longer knows reports as its stoppedReason. */
export const FORGOTTEN_REASON =
  'Task is no longer known to ECS (DescribeTasks: MISSING); it stopped at an unknown time';

/** Why the Fargate backend refuses EC2 launches. */
export const EC2_REFUSED = 'The EC2 launch type needs the simulated fleet: this cluster runs its tasks on real Fargate, which has no container instances.';

const FARGATE_LAUNCH_RATE: TokenBucketOptions = { capacity: 100, refillPerSecond: 20 };
const DEFAULT_MAX_LAUNCH_WAIT_MS = 2_000;
/** ECS calls in flight at once per launch, observe or stop. */
const CONCURRENCY = 5;
const DESCRIBE_BATCH = 100;
/**
 * With task events, how long a task in flight may go without its record moving (nor a DescribeTasks
 * of it by this process) before its events count as late and a due pass describes it.
 */
export const TASK_EVENT_LATE_MS = 30_000;
const MAX_FAMILY_LENGTH = 255;
const MAX_REASON_LENGTH = 255;
const STARTED_BY_PREFIX = 'ecsbox-';
const MAX_STARTED_BY_LENGTH = 36;
/**
 * How old an ECS task must be before the garbage collector may stop it for want of an owner: far
 * more than the reconcile index's replication lag and than a RunTask call takes (RunTask's own
 * caller records its tasks after launching them).
 */
export const STRAY_GRACE_MS = 2 * 60_000;
export const STRAY_REASON = 'ecsbox: no task record owns this task (a launch that was never recorded)';

/** Errors after which ECS certainly launched nothing, caused by the task itself: a refusal, not a fault. */
const REFUSALS = new Set([
  'ClientException',
  'InvalidParameterException',
  'ConflictException',
  'LimitExceededException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'BlockedException',
]);

const LIFECYCLE_STATUSES: ReadonlySet<string> = new Set<LifecycleStatus>(LIFECYCLE);
const HEALTH: ReadonlySet<string> = new Set<HealthStatus>(['HEALTHY', 'UNHEALTHY', 'UNKNOWN']);
const STOP_CODES: ReadonlySet<string> = new Set<StopCode>([
  'TaskFailedToStart',
  'EssentialContainerExited',
  'UserInitiated',
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TerminationNotice',
]);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

/** The slot's digest: 64 hex characters, exactly RunTask's clientToken limit. */
export const clientTokenFor = (familyPrefix: string, taskId: string): string =>
  sha256(`${familyPrefix}#${taskId}`);

/** The ECS startedBy that marks the slot's task: 36 characters, findable with ListTasks. */
export const startedByFor = (familyPrefix: string, taskId: string): string =>
  STARTED_BY_PREFIX +
  clientTokenFor(familyPrefix, taskId).slice(0, MAX_STARTED_BY_LENGTH - STARTED_BY_PREFIX.length);

const MAX_GROUP_LENGTH = 255;
const GROUP_PREFIX = 'ecsbox:';

/**
 * The ECS task's group names the ecsbox record it belongs to (account, cluster, task id), so that
 * ECS's "ECS Task State Change" events, which carry the group but not the tags, lead straight to
 * the record (see lib/reconciler/task-events.ts). A cluster name too long for ECS's 255 characters
 * keeps ecsbox's group: its tasks are then observed by DescribeTasks alone.
 */
export const ecsGroupFor = (accountId: string, clusterName: string, taskId: string, fallback: string): string => {
  const group = `${GROUP_PREFIX}${accountId}:${clusterName}:${taskId}`;
  return group.length <= MAX_GROUP_LENGTH ? group : fallback;
};

/** The record an ECS task's group names; undefined for a group ecsbox did not set. */
export const recordOfEcsGroup = (group: string | undefined): { accountId: string; clusterName: string; taskId: string } | undefined => {
  const match = /^ecsbox:(\d{12}):([A-Za-z0-9_-]{1,255}):([0-9a-f]{32})$/.exec(group ?? '');
  return match ? { accountId: match[1], clusterName: match[2], taskId: match[3] } : undefined;
};

/** The ECS Task a "ECS Task State Change" event's detail describes: timestamps are ISO strings there. */
export const taskOfEvent = (detail: Record<string, unknown>): EcsTask => {
  const task = { ...detail } as Record<string, unknown>;
  for (const field of ['createdAt', 'connectivityAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'stoppedAt', 'executionStoppedAt', 'updatedAt']) {
    if (typeof task[field] === 'string') task[field] = new Date(task[field] as string);
  }
  // Events name the ENI attachment "eni"; DescribeTasks says "ElasticNetworkInterface".
  task.attachments = ((task.attachments as Array<Record<string, unknown>> | undefined) ?? []).map((attachment) =>
    attachment.type === 'eni' ? { ...attachment, type: 'ElasticNetworkInterface' } : attachment,
  );
  return task as EcsTask;
};

/** The order and essential flags of a definition's containers: what DescribeTasks does not say. */
type ContainerLayout = Array<{ name: string; essential: boolean }>;

interface LaunchBatch {
  deadline: EpochMs;
  throttled: boolean;
}

type Refusal = Omit<Extract<LaunchOutcome, { accepted: false }>, 'taskId'>;
type FargateRef = Extract<BackendRef, { kind: 'fargate' }>;
type SlotOutcome = { accepted: true; ref: BackendRef } | Refusal;

export class FargateFleet implements FleetBackend {
  readonly name = 'fargate' as const;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxLaunchWaitMs: number;
  private readonly taskEvents: boolean;
  private readonly launchTokens: TokenBucket;
  /** Launches wait for tokens one at a time, in order, so none starves and no wait is counted twice. */
  private tokenQueue: Promise<unknown> = Promise.resolve();
  /**
   * ECS families this process registered, found or observed, with their container layout. A family
   * RunTask refuses is dropped, so the next launch checks it with ECS again.
   */
  private readonly families = new Map<string, ContainerLayout>();
  /** What RunTask (or adoption) returned, while DescribeTasks may not show the task yet. */
  private readonly recentLaunches = new Map<string, { at: EpochMs; task: EcsTask }>();
  /** When this process last described each task in flight that a due pass asked about (task events on). */
  private readonly describedAt = new Map<string, EpochMs>();

  constructor(
    private readonly client: ECSClient,
    private readonly target: FargateTarget,
    options: FargateFleetOptions = {},
  ) {
    if (!/^[A-Za-z0-9_-]{0,200}$/.test(target.familyPrefix)) {
      throw new Error(
        "FargateFleet: familyPrefix must be at most 200 letters, digits, '_' or '-', " +
          `got ${JSON.stringify(target.familyPrefix)}`,
      );
    }
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxLaunchWaitMs = options.maxLaunchWaitMs ?? DEFAULT_MAX_LAUNCH_WAIT_MS;
    this.taskEvents = options.taskEvents ?? false;
    this.launchTokens = new TokenBucket(options.launchRate ?? FARGATE_LAUNCH_RATE, () => this.clock.now());
  }

  async launch(specs: LaunchSpec[]): Promise<LaunchOutcome[]> {
    if (specs.some((spec) => spec.launchType === 'EC2')) {
      // Container instances are simulated: real Fargate has none to run the task on.
      return specs.map((spec) => ({ taskId: spec.taskId, accepted: false, reason: EC2_REFUSED }));
    }
    const families = new Map<string, { input: RegisterTaskDefinitionCommandInput; definition: TaskDefinition }>();
    const familyOf = specs.map((spec) => {
      const input = this.registration(spec.taskDefinition);
      families.set(input.family, { input, definition: spec.taskDefinition });
      return input.family;
    });
    const refused = new Map<string, Refusal>();
    for (const [family, { input, definition }] of families) {
      try {
        await this.ensureFamily(family, input, definition);
      } catch (error) {
        refused.set(family, refusal(error));
      }
    }
    const batch: LaunchBatch = { deadline: this.clock.now() + this.maxLaunchWaitMs, throttled: false };
    return pooled(specs, async (spec, index): Promise<LaunchOutcome> => {
      const family = familyOf[index];
      const refusedFamily = refused.get(family);
      if (refusedFamily) return { taskId: spec.taskId, ...refusedFamily };
      try {
        return { taskId: spec.taskId, ...(await this.launchSlot(spec, family, batch)) };
      } catch (error) {
        const outcome = refusal(error);
        if (outcome.reason === THROTTLED_REASON) batch.throttled = true;
        // A definition that ECS refuses to run may have been deregistered: look again next time.
        else this.families.delete(family);
        return { taskId: spec.taskId, ...outcome };
      }
    });
  }

  async observe(requests: ObserveRequest[], now: EpochMs): Promise<ObservedTask[]> {
    const tasks = requests.filter((request) => this.describesOnDuePass(request, now));
    const refs = tasks.map(({ taskId, ref }) => fargateRef(taskId, ref));
    const described = await this.describe(refs);
    const visible = refs.map((ref) => described.get(ref.taskArn) ?? this.recentLaunch(ref.taskArn));
    await this.loadLayouts(visible.filter((task): task is EcsTask => task !== undefined));
    return tasks.flatMap(({ taskId, createdAt }, index) => {
      const task = visible[index];
      const ref = refs[index];
      if (task?.lastStatus === 'STOPPED') this.describedAt.delete(taskId);
      if (task) return [{ taskId, ref, ...this.observation(task) }];
      // MISSING: a task launched a moment ago may not be visible yet; past the grace it is gone.
      return now - createdAt < LAUNCH_VISIBILITY_GRACE_MS ? [] : [{ taskId, ref, ...forgotten() }];
    });
  }

  /**
   * Whether observe describes a task. Always, unless the caller gave its record (a due pass) and the
   * task's events reach its record (task events on, and its group names the record). Then only a task
   * whose change is overdue: one starting or stopping whose record has not moved for
   * TASK_EVENT_LATE_MS (nor has this process described it since), or one RUNNING that waits for its
   * first health result (events carry no health). A steady task is left to its events and the resync.
   */
  private describesOnDuePass({ taskId, recorded }: ObserveRequest, now: EpochMs): boolean {
    if (!this.taskEvents || !recorded) return true;
    const { accountId } = scopeOf(recorded.taskArn);
    if (!recordOfEcsGroup(ecsGroupFor(accountId, recorded.clusterName, recorded.taskId, ''))) return true;
    const starting = recorded.lastStatus === 'PROVISIONING' || recorded.lastStatus === 'PENDING' || recorded.lastStatus === 'ACTIVATING';
    const stopping = recorded.desiredStatus === 'STOPPED' && recorded.lastStatus !== 'STOPPED';
    if (recorded.lastStatus === 'RUNNING' && recorded.healthChecked && recorded.healthStatus === 'UNKNOWN' && !stopping) return true;
    if (!starting && !stopping) {
      this.describedAt.delete(taskId);
      return false;
    }
    const { createdAt, pullStartedAt = 0, pullStoppedAt = 0, startedAt = 0, stoppingAt = 0 } = recorded;
    const lastMoved = Math.max(createdAt, pullStartedAt, pullStoppedAt, startedAt, stoppingAt, this.describedAt.get(taskId) ?? 0);
    if (now - lastMoved < TASK_EVENT_LATE_MS) return false;
    this.describedAt.set(taskId, now);
    return true;
  }

  /** What an "ECS Task State Change" event says of its task (taskOfEvent), as observe would report it. */
  async observeEvent(task: EcsTask): Promise<Omit<ObservedTask, 'taskId' | 'ref'>> {
    await this.loadLayouts([task]);
    return this.observation(task);
  }

  async collectStrays(owners: () => Promise<ReadonlySet<string>>, now: EpochMs): Promise<string[]> {
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListTasksCommand({ cluster: this.target.cluster, desiredStatus: 'RUNNING', nextToken }));
      taskArns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const described = await this.describe(taskArns.map((taskArn) => this.ref(taskArn)));
    // Only this tenant's tasks (its family prefix) that ecsbox started, old enough to have a record.
    const candidates = [...described.values()].filter(
      (task) =>
        task.desiredStatus === 'RUNNING' &&
        task.startedBy?.startsWith(STARTED_BY_PREFIX) &&
        familyOfArn(task.taskDefinitionArn)?.startsWith(this.target.familyPrefix) &&
        (task.createdAt?.getTime() ?? now) <= now - STRAY_GRACE_MS,
    );
    if (!candidates.length) return [];
    const owned = new Set([...(await owners())].map((taskId) => startedByFor(this.target.familyPrefix, taskId)));
    const strays = candidates.filter((task) => !owned.has(task.startedBy!));
    await pooled(strays, (task) =>
      this.client.send(new StopTaskCommand({ cluster: this.target.cluster, task: task.taskArn, reason: STRAY_REASON })),
    );
    return strays.map((task) => task.taskArn!);
  }

  async stop(requests: StopRequest[]): Promise<Array<{ taskId: string; ref: BackendRef }>> {
    const refs = requests.map(({ taskId, ref }) => fargateRef(taskId, ref));
    const described = await this.describe(refs);
    // Only tasks still meant to run: a stop already decided keeps its reason, a forgotten task is gone.
    // ECS records every StopTask as UserInitiated; the request's stopCode has no ECS counterpart.
    const running = requests
      .map((request, index) => ({ request, ref: refs[index] }))
      .filter(({ ref }) => described.get(ref.taskArn)?.desiredStatus === 'RUNNING');
    await pooled(running, ({ request, ref }) => {
      const reason = truncate(request.reason, MAX_REASON_LENGTH);
      return this.client.send(new StopTaskCommand({ cluster: ref.cluster, task: ref.taskArn, reason }));
    });
    return requests.map(({ taskId, ref }) => ({ taskId, ref }));
  }

  // -------------------------------------------------------------------------------------------
  // Launching

  /** What RegisterTaskDefinition gets for an ecsbox revision; its family names exactly this content. */
  private registration(definition: TaskDefinition): RegisterTaskDefinitionCommandInput & { family: string } {
    const content: Omit<RegisterTaskDefinitionCommandInput, 'family'> = {
      containerDefinitions: definition.containerDefinitions.map((container) => ({
        name: container.name,
        image: container.image,
        cpu: container.cpu,
        memory: container.memory,
        memoryReservation: container.memoryReservation,
        essential: container.essential,
        portMappings: container.portMappings?.map((mapping) => ({
          containerPort: mapping.containerPort,
          hostPort: mapping.hostPort,
          protocol: mapping.protocol,
          name: mapping.name,
          appProtocol: mapping.appProtocol,
        })),
        environment: container.environment,
        command: container.command,
        entryPoint: container.entryPoint,
        workingDirectory: container.workingDirectory,
        healthCheck: container.healthCheck,
        dependsOn: container.dependsOn,
        stopTimeout: container.stopTimeout,
        startTimeout: container.startTimeout,
        logConfiguration: container.logConfiguration && {
          logDriver: container.logConfiguration.logDriver as LogDriver,
          options: container.logConfiguration.options,
        },
      })),
      cpu: definition.cpu,
      memory: definition.memory,
      networkMode: definition.networkMode,
      // RunTask launches on Fargate only: ECS then checks the definition for it at registration.
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: this.target.executionRoleArn,
      taskRoleArn: this.target.taskRoleArn,
      runtimePlatform: definition.runtimePlatform && {
        cpuArchitecture: definition.runtimePlatform.cpuArchitecture,
        operatingSystemFamily: definition.runtimePlatform.operatingSystemFamily as OSFamily | undefined,
      },
    };
    const digest = sha256(JSON.stringify(content)).slice(0, 12);
    return { family: ecsFamilyName(this.target.familyPrefix, definition, digest), ...content };
  }

  /** Makes sure the family has an ACTIVE revision, registering one only when ECS has none. */
  private async ensureFamily(
    family: string,
    input: RegisterTaskDefinitionCommandInput,
    definition: TaskDefinition,
  ): Promise<void> {
    if (this.families.has(family)) return;
    const existing = await this.describeFamily(family);
    if (existing?.taskDefinition?.status !== 'ACTIVE') {
      await this.client.send(new RegisterTaskDefinitionCommand(input));
    }
    this.families.set(
      family,
      definition.containerDefinitions.map(({ name, essential }) => ({ name, essential })),
    );
  }

  /** The family's ACTIVE revision; undefined when it has none (ECS answers ClientException). */
  private async describeFamily(family: string) {
    try {
      return await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    } catch (error) {
      if (errorName(error) === 'ClientException') return undefined;
      throw error;
    }
  }

  private async launchSlot(spec: LaunchSpec, family: string, batch: LaunchBatch): Promise<SlotOutcome> {
    const adopted = await this.adopt(spec.taskId);
    if (adopted) return { accepted: true, ref: this.ref(adopted) };
    if (batch.throttled || !(await this.launchToken(batch.deadline))) {
      batch.throttled = true;
      return throttled('Fargate task launch rate exceeded; will try again later');
    }
    const response = await this.client.send(
      new RunTaskCommand({
        cluster: this.target.cluster,
        taskDefinition: family,
        ...(spec.capacityProviderName
          ? { capacityProviderStrategy: [{ capacityProvider: spec.capacityProviderName, weight: 1 }] }
          : { launchType: 'FARGATE' as const }),
        count: 1,
        clientToken: clientTokenFor(this.target.familyPrefix, spec.taskId),
        startedBy: startedByFor(this.target.familyPrefix, spec.taskId),
        group: ecsGroupFor(scopeOf(spec.taskDefinition.taskDefinitionArn).accountId, spec.clusterName, spec.taskId, spec.group),
        networkConfiguration: this.network(spec.networkConfiguration),
        overrides: spec.overrides,
      }),
    );
    const [task] = response.tasks ?? [];
    if (task?.taskArn) {
      this.remember(task);
      return { accepted: true, ref: this.ref(task.taskArn) };
    }
    const [failure] = response.failures ?? [];
    if (!failure) throw new Error(`RunTask for ${spec.taskId} returned neither a task nor a failure`);
    return { accepted: false, reason: failure.reason ?? 'UNKNOWN', detail: failure.detail };
  }

  /** The slot's task if ECS already has one, running or recently stopped (ListTasks shows those). */
  private async adopt(taskId: string): Promise<string | undefined> {
    const startedBy = startedByFor(this.target.familyPrefix, taskId);
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      const { taskArns = [] } = await this.client.send(new ListTasksCommand({ cluster: this.target.cluster, startedBy, desiredStatus }));
      if (!taskArns.length) continue;
      const described = await this.describe(taskArns.map((taskArn) => this.ref(taskArn)));
      const task = taskArns.map((arn) => described.get(arn)).find((found) => found !== undefined);
      if (task?.taskArn) {
        this.remember(task);
        return task.taskArn;
      }
    }
    return undefined;
  }

  /** Whether a launch token came before the deadline; waits for it if need be. */
  private launchToken(deadline: EpochMs): Promise<boolean> {
    const turn = this.tokenQueue.then(async () => {
      for (;;) {
        const wait = this.launchTokens.tryTake();
        if (wait === 0) return true;
        if (this.clock.now() + wait > deadline) return false;
        await this.sleep(wait);
      }
    });
    this.tokenQueue = turn.catch(() => undefined);
    return turn;
  }

  /** The launch's own awsvpcConfiguration as a whole, else the target's. */
  private network(own: NetworkConfiguration | undefined): NetworkConfiguration {
    return {
      awsvpcConfiguration: own?.awsvpcConfiguration ?? {
        subnets: this.target.subnets,
        securityGroups: this.target.securityGroups,
        assignPublicIp: this.target.assignPublicIp,
      },
    };
  }

  private remember(task: EcsTask): void {
    const now = this.clock.now();
    // Oldest first (insertion order): drop the ones past the grace, the rest are younger.
    for (const [arn, { at }] of this.recentLaunches) {
      if (at > now - LAUNCH_VISIBILITY_GRACE_MS) break;
      this.recentLaunches.delete(arn);
    }
    this.recentLaunches.delete(task.taskArn!);
    this.recentLaunches.set(task.taskArn!, { at: now, task });
  }

  private recentLaunch(taskArn: string): EcsTask | undefined {
    const recent = this.recentLaunches.get(taskArn);
    return recent && recent.at > this.clock.now() - LAUNCH_VISIBILITY_GRACE_MS ? recent.task : undefined;
  }

  private ref(taskArn: string): FargateRef {
    return { kind: 'fargate', taskArn, cluster: this.target.cluster };
  }

  // -------------------------------------------------------------------------------------------
  // Observing

  /** DescribeTasks in batches per cluster; a task ECS does not know is simply absent. */
  private async describe(refs: FargateRef[]): Promise<Map<string, EcsTask>> {
    const byCluster = new Map<string, Set<string>>();
    for (const { cluster, taskArn } of refs) {
      byCluster.set(cluster, (byCluster.get(cluster) ?? new Set()).add(taskArn));
    }
    const batches = [...byCluster].flatMap(([cluster, arns]) =>
      chunks([...arns], DESCRIBE_BATCH).map((tasks) => ({ cluster, tasks })),
    );
    const responses = await pooled(batches, (input) =>
      this.client.send(new DescribeTasksCommand(input)),
    );
    const found = new Map<string, EcsTask>();
    for (const { tasks = [], failures = [] } of responses) {
      for (const task of tasks) if (task.taskArn) found.set(task.taskArn, task);
      const unexpected = failures.find((failure) => failure.reason !== 'MISSING');
      if (unexpected) {
        const { arn, reason, detail = '' } = unexpected;
        throw new Error(`DescribeTasks could not describe ${arn}: ${reason} ${detail}`.trim());
      }
    }
    return found;
  }

  /** Learns the container layout of families this process has not launched (after a cold start). */
  private async loadLayouts(tasks: EcsTask[]): Promise<void> {
    const unknown = new Map<string, string>();
    for (const task of tasks) {
      const family = familyOfArn(task.taskDefinitionArn);
      if (family && !this.families.has(family)) unknown.set(family, task.taskDefinitionArn!);
    }
    await pooled([...unknown], async ([family, taskDefinition]) => {
      const { taskDefinition: described } = await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      this.families.set(
        family,
        (described?.containerDefinitions ?? []).map((container) => ({
          name: container.name ?? '',
          essential: container.essential ?? true,
        })),
      );
    });
  }

  private observation(task: EcsTask): Omit<ObservedTask, 'taskId' | 'ref'> {
    const layout = this.families.get(familyOfArn(task.taskDefinitionArn) ?? '') ?? [];
    const position = (name?: string) => {
      const index = layout.findIndex((container) => container.name === name);
      return index < 0 ? layout.length : index;
    };
    // In the definition's order: the record pairs containers by position.
    const containers = [...(task.containers ?? [])].sort((a, b) => position(a.name) - position(b.name));
    return {
      // ECS documents no other status; an unknown one counts as in flight, so it is polled again.
      lastStatus: LIFECYCLE_STATUSES.has(task.lastStatus ?? '') ? (task.lastStatus as LifecycleStatus) : 'PENDING',
      desiredStatus: task.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      healthStatus: health(task.healthStatus),
      containers: containers.map((container) => ({
        name: container.name ?? '',
        image: container.image ?? '',
        lastStatus: container.lastStatus === 'RUNNING' || container.lastStatus === 'STOPPED'
          ? container.lastStatus
          : 'PENDING',
        ...(container.imageDigest ? { imageDigest: container.imageDigest } : {}),
        ...(container.runtimeId ? { runtimeId: container.runtimeId } : {}),
        exitCode: container.exitCode,
        reason: container.reason,
        healthStatus: health(container.healthStatus),
        essential: layout.find((entry) => entry.name === container.name)?.essential ?? true,
        cpu: container.cpu,
        memory: container.memory,
        ...(container.networkInterfaces?.length
          ? {
              networkInterfaces: container.networkInterfaces.map((eni) => ({
                attachmentId: eni.attachmentId ?? '',
                ...(eni.privateIpv4Address ? { privateIpv4Address: eni.privateIpv4Address } : {}),
                ...(eni.ipv6Address ? { ipv6Address: eni.ipv6Address } : {}),
              })),
            }
          : {}),
      })),
      network: {
        attachments: (task.attachments ?? []).map((attachment) => ({
          id: attachment.id ?? '',
          type: attachment.type ?? '',
          status: attachment.status ?? '',
          details: (attachment.details ?? []).map((detail) => ({ name: detail.name ?? '', value: detail.value ?? '' })),
        })),
        ...(task.availabilityZone ? { availabilityZone: task.availabilityZone } : {}),
        ...(task.connectivity ? { connectivity: task.connectivity } : {}),
        ...(task.connectivityAt ? { connectivityAt: task.connectivityAt.getTime() } : {}),
      },
      pullStartedAt: task.pullStartedAt?.getTime(),
      pullStoppedAt: task.pullStoppedAt?.getTime(),
      startedAt: task.startedAt?.getTime(),
      stoppingAt: task.stoppingAt?.getTime(),
      stoppedAt: task.stoppedAt?.getTime(),
      stopCode: STOP_CODES.has(task.stopCode ?? '') ? (task.stopCode as StopCode) : undefined,
      stoppedReason: task.stoppedReason,
    };
  }
}

function fargateRef(taskId: string, ref: BackendRef): FargateRef {
  if (ref.kind !== 'fargate') {
    throw new Error(`FargateFleet: task ${taskId} has no Fargate task (ref kind ${ref.kind})`);
  }
  return ref;
}

/** familyPrefix + family + "-" + revision + "-" + digest, the ecsbox family shortened to fit 255. */
function ecsFamilyName(prefix: string, definition: TaskDefinition, digest: string): string {
  const suffix = `-${definition.revision}-${digest}`;
  return prefix + definition.family.slice(0, MAX_FAMILY_LENGTH - prefix.length - suffix.length) + suffix;
}

/** "arn:…:task-definition/FAMILY:REVISION" → FAMILY. */
function familyOfArn(taskDefinitionArn: string | undefined): string | undefined {
  return taskDefinitionArn ? /task-definition\/([^:/]+):\d+$/.exec(taskDefinitionArn)?.[1] : undefined;
}

function forgotten(): Omit<ObservedTask, 'taskId' | 'ref'> {
  return {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    healthStatus: 'UNKNOWN',
    containers: [],
    stoppedReason: FORGOTTEN_REASON,
  };
}

const throttled = (detail?: string): Refusal => ({ accepted: false, reason: THROTTLED_REASON, detail });

/**
 * The refusal an error of launching means when ECS certainly launched nothing; any other error (a
 * ServerException after retries: a task may exist) propagates, and the slot is tried again later.
 */
function refusal(error: unknown): Refusal {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : undefined;
  if (name === THROTTLED_REASON) return throttled(message);
  if (name && REFUSALS.has(name)) return { accepted: false, reason: name, detail: message };
  throw error;
}

const health = (status: string | undefined): HealthStatus =>
  HEALTH.has(status ?? '') ? (status as HealthStatus) : 'UNKNOWN';

/** At most `limit` characters (code points: a surrogate pair is never split). */
const truncate = (text: string, limit: number) => Array.from(text).slice(0, limit).join('');

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

/** Maps with at most CONCURRENCY calls in flight, keeping the input order. */
async function pooled<T, R>(items: T[], map: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
