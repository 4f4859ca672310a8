import { arns, scopeOf } from '../domain/arn';
import { sameData } from '../domain/equality';
import { eventIdFor, withServiceEvents, type ServiceState } from '../domain/service';
import { assignCapacityProviders, capacityProviderCounts } from '../domain/capacity-provider';
import {
  applyObservation,
  isPendingStatus,
  isUnlaunched,
  isWaitingForCapacity,
  plannedTaskRecord,
  stopNotDelivered,
  stopUnlaunched,
  type TaskRecord,
} from '../domain/task';
import type { EpochMs, ServiceEvent, TaskDefinition } from '../domain/model';
import { THROTTLED_REASON, type FleetBackend, type LaunchSpec, type ObservedTask, type StopRequest } from '../fleet/backend';
import type { FleetResolver } from '../fleet/resolver';
import { mapConcurrently } from '../concurrency';
import type { Clock } from '../deps';
import type { DueTarget, Lease, ReconcileStore, ReconcileTrigger, ServiceCommit, ServiceSlice, ShardPage } from '../ports';
import { dueNeedsWrite } from './due';
import { instanceIdOf, plan, PLACEMENT_RETRY_POLLS, recordLaunchRefusal, type LaunchAction, type PlanOptions, type ServicePlan, type TaskView } from './plan';
import { PageCapacity } from './capacity';
import { definitionConstraints, instancePlacement, place, placementSeed, requirementsOf, type Placement } from '../domain/placement';
import type { ContainerInstanceRecord } from '../domain/container-instance';

/**
 * One reconcile pass: read every live service and task of each shard, a page at a time, observe the
 * fleet, plan, and apply the plans. Level-triggered and idempotent: a pass that finds nothing to change writes
 * nothing and takes no lease; a pass that has work takes the shard's lease first, and every write
 * is conditioned on that lease's fencing token and on the versions it read.
 *
 * Effects are ordered so that a crash or a lost race never doubles nor loses anything: every
 * decision is committed before the backend is told. A launch is recorded first (a PROVISIONING
 * record without a ref), then made, then recorded with the backend's ref; a record left without one
 * is launched again on a later pass under the same deterministic task id, which the backend
 * recognises. A decision to stop is committed, then delivered (again, if need be). A task that runs
 * with no record owning it anyway is stopped by the garbage collector (collectStrays).
 */
export interface ReconcilerSettings {
  shards: number;
  leaseTtlMs: number;
  /** Services of a page acted on side by side (each its own commits, all under the shard's lease). */
  servicesAtOnce: number;
  plan: PlanOptions;
}

/** Structured logging, as lib/log.ts writes it: a fixed message, context as keys. */
export interface Logger {
  info(message: string, context: Record<string, unknown>): void;
}

/**
 * What a pass reads: `due`, only the services and tasks the "next due" index says are due by now
 * (what every wake-up and scheduled minute does); `resync`, every live service and task of the shard
 * (the level-triggered safety net, every RECONCILE_RESYNC_MINUTES).
 */
export type PassScope = 'due' | 'resync';

export interface PassOutcome {
  /** Another reconciler holds a lease this pass needed. */
  busy: boolean;
  /** Services and standalone tasks read and planned. */
  visited: number;
  /** When something in flight next needs a look; undefined when all is quiet. */
  nextWakeAt?: EpochMs;
  /** Services whose plan was committed. */
  acted: number;
  readUnits: number;
}

interface ServiceWork {
  slice: ServiceSlice;
  plan: ServicePlan;
  changed: TaskRecord[];
  undelivered: TaskRecord[];
  /** The page's container instances (EC2 services place against them). */
  capacity: PageCapacity;
}

interface PreparedPlan {
  commit: ServiceCommit & { service: ServiceCommit['service'] & { version: number } };
  /** Recorded launches without a ref, to make once the commit is in. */
  toLaunch: TaskRecord[];
  /** Committed stop decisions to deliver. */
  toStop: TaskRecord[];
}

/** Services prepared at once (their plans, task definitions and simulated launches). */
const PREPARE_CONCURRENCY = 100;

const earliest = (a: EpochMs | undefined, b: EpochMs | undefined): EpochMs | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

const bumped = (record: TaskRecord, original: TaskRecord): TaskRecord => ({ ...record, version: original.version + 1 });

/** Recorded but not launched yet, and launchable: an EC2 task waiting for capacity is launched once placed. */
const isLaunchable = (record: TaskRecord) => isUnlaunched(record) && !isWaitingForCapacity(record);

/** A standalone task still waiting for its Auto Scaling group provider's capacity. */
const isWaitingStandalone = (record: TaskRecord) =>
  record.serviceName === undefined && isWaitingForCapacity(record) && record.desiredStatus === 'RUNNING' && record.lastStatus === 'PROVISIONING';

/** Waiting standalone tasks placed per cluster and pass: bounded work, one transaction (commitPlacedTasks). */
const WAITING_PLACED_PER_CLUSTER = 20;

/** Standalone tasks that waited for capacity, placed by this pass on a cluster's instances (as read). */
interface PlacedWaiting {
  clusterArn: string;
  /** One version on, with their instance, charge and host ports. */
  tasks: TaskRecord[];
  instances: readonly ContainerInstanceRecord[];
}

/** A pass that read nothing yet. */
const noOutcome = (): PassOutcome => ({ busy: false, visited: 0, acted: 0, readUnits: 0 });

export class Reconciler {
  private readonly leases = new Map<number, Lease>();

  constructor(
    private readonly store: ReconcileStore,
    private readonly fleets: FleetResolver,
    private readonly clock: Clock,
    private readonly holder: string,
    private readonly settings: ReconcilerSettings,
    private readonly log: Logger,
    /** The one shard this reconciler passes over (an invocation per shard); every shard when unset. */
    readonly shard?: number,
    /** Wakes the capacity controller when a service's tasks start waiting for capacity. */
    private readonly capacityTrigger?: ReconcileTrigger,
  ) {}

  private shardsToPass(): number[] {
    return this.shard === undefined ? Array.from({ length: this.settings.shards }, (_, shard) => shard) : [this.shard];
  }

  async pass(scope: PassScope = 'resync'): Promise<PassOutcome> {
    const outcome = noOutcome();
    for (const shard of this.shardsToPass()) {
      const result = await this.passShard(shard, scope);
      outcome.busy ||= result.busy;
      outcome.visited += result.visited;
      outcome.acted += result.acted;
      outcome.readUnits += result.readUnits;
      outcome.nextWakeAt = earliest(outcome.nextWakeAt, result.nextWakeAt);
    }
    return outcome;
  }

  /** Gives up every lease this reconciler holds, so the next one need not wait for expiry. */
  async release(): Promise<void> {
    await Promise.all([...this.leases.values()].map((lease) => this.store.releaseLease(lease)));
    this.leases.clear();
  }

  /**
   * Each cluster's backend, looked up once per reconciler (one invocation): a cluster's fleet is
   * chosen when it is created and never changes.
   */
  private readonly clusterFleets = new Map<string, Promise<FleetBackend>>();

  private fleetOf(clusterArn: string): Promise<FleetBackend> {
    let fleet = this.clusterFleets.get(clusterArn);
    if (!fleet) {
      fleet = this.store.clusterFleet(clusterArn).then((setting) => this.fleets.forCluster({ clusterArn, fleet: setting }));
      fleet.catch(() => this.clusterFleets.delete(clusterArn));
      this.clusterFleets.set(clusterArn, fleet);
    }
    return fleet;
  }

  /**
   * Runs `work` once per cluster with that cluster's backend and records, and joins the results. A
   * cluster whose backend fails (unreachable, misconfigured) is left for the next pass; the other
   * clusters go on.
   */
  private async perCluster<T>(records: TaskRecord[], work: (fleet: FleetBackend, records: TaskRecord[]) => Promise<T[]>): Promise<T[]> {
    const groups = new Map<string, TaskRecord[]>();
    for (const record of records) {
      const group = groups.get(record.clusterArn);
      if (group) group.push(record);
      else groups.set(record.clusterArn, [record]);
    }
    const results = await Promise.all(
      [...groups].map(async ([clusterArn, group]) => {
        try {
          return await work(await this.fleetOf(clusterArn), group);
        } catch (error) {
          this.log.info('cluster backend failed', { clusterArn, error: String(error) });
          return [];
        }
      }),
    );
    return results.flat();
  }

  /**
   * A shard, page by page of its reconcile index: each page is observed, planned and applied while
   * only the next one is read, so a pass holds two pages in memory however large the shard. The lease is
   * taken at the first page with work and kept (renewed) for the rest of the pass.
   */
  private async passShard(shard: number, scope: PassScope): Promise<PassOutcome> {
    const now = this.clock.now();
    const outcome = noOutcome();
    const pages = (scope === 'due' ? this.store.duePages(shard, now) : this.store.shardPages(shard))[Symbol.asyncIterator]();
    // The next page is read while this one is acted on: DynamoDB's read latency overlaps the pass's
    // work, and memory holds two pages at most.
    const readAhead = () => {
      const read = pages.next();
      // Handled now (a failed read surfaces where it is awaited), so it is never an unhandled rejection meanwhile.
      read.catch(() => undefined);
      return read;
    };
    let next = readAhead();
    try {
      for (;;) {
        const read = await next;
        if (read.done) break;
        const page = read.value;
        next = readAhead();
        outcome.readUnits += page.readUnits;
        outcome.visited += page.services.length + page.standalone.length;
        const result = await this.passPage(shard, page, now, scope);
        outcome.acted += result.acted;
        outcome.nextWakeAt = earliest(outcome.nextWakeAt, result.nextWakeAt);
        if (result.busy) {
          outcome.busy = true;
          break;
        }
      }
    } finally {
      // A pass that stopped early (lease lost, or failed) drops the page read ahead.
      await next.catch(() => undefined);
      await pages.return?.(undefined);
    }
    // What a pass changed is looked at again at once: its launches and stops are in flight.
    if (outcome.acted) outcome.nextWakeAt = now;
    else if (!outcome.busy) {
      // What others made due (or this pass left due) in the shard is followed too. A due time already
      // passed was read by this pass or lands right after it: looked at again after a poll interval.
      const due = await this.store.nextDueAt(shard);
      if (due !== undefined) outcome.nextWakeAt = earliest(outcome.nextWakeAt, Math.max(due, now + this.settings.plan.pollIntervalMs));
    }
    return outcome;
  }

  /**
   * When a standalone task must next be looked at: its announced transition, or a poll while it is
   * starting or stopping; a service's task is looked at through its service's due time (undefined).
   */
  private standaloneDue(record: TaskRecord, nextChangeAt: EpochMs | undefined, now: EpochMs): EpochMs | undefined {
    if (record.serviceName || record.lastStatus === 'STOPPED') return undefined;
    if (nextChangeAt !== undefined) return nextChangeAt;
    // Waiting for capacity: looked at again now and then (an instance registering makes it due at once).
    if (isWaitingStandalone(record)) return now + this.settings.plan.pollIntervalMs * PLACEMENT_RETRY_POLLS;
    return isPendingStatus(record.lastStatus) || record.desiredStatus === 'STOPPED' ? now + this.settings.plan.pollIntervalMs : undefined;
  }

  /**
   * Brings the stored due times of what a pass read but had nothing else to write about in line
   * with what it computed (see dueNeedsWrite); no lease needed, each write holds only at the
   * version read.
   */
  private async settleDues(page: ShardPage, desired: Array<{ target: DueTarget; id: string; dueAt: EpochMs | undefined }>, now: EpochMs) {
    const writes = desired.filter(({ id, dueAt }) => dueNeedsWrite(page.dues.get(id), dueAt, now));
    await Promise.all(writes.map(({ target, dueAt }) => this.store.setDue(target, dueAt)));
  }

  private async passPage(shard: number, page: ShardPage, now: EpochMs, scope: PassScope): Promise<Omit<PassOutcome, 'readUnits' | 'visited'>> {
    const everyTask: TaskRecord[] = [...page.standalone];
    for (const slice of page.services) for (const task of slice.tasks) everyTask.push(task);
    const observations = await this.observe(everyTask.filter((record) => record.ref !== undefined), now, scope);
    const observed = new Map<string, ObservedTask>(observations.map((entry) => [entry.taskId, entry]));
    const view = (record: TaskRecord): TaskView => {
      const observation = observed.get(record.taskId);
      // A stop decided before the launch was made: nothing runs, so the task is simply STOPPED.
      const stoppedUnlaunched = isUnlaunched(record) && record.desiredStatus === 'STOPPED';
      return {
        record: observation ? applyObservation(record, observation) : stoppedUnlaunched ? stopUnlaunched(record, now) : record,
        wasStopped: record.lastStatus === 'STOPPED',
        nextChangeAt: observation?.nextChangeAt,
      };
    };
    const undeliveredStops = (records: TaskRecord[]) =>
      records.filter((record) => {
        const observation = observed.get(record.taskId);
        return observation !== undefined && stopNotDelivered(record, observation);
      });

    let nextWakeAt: EpochMs | undefined;
    const work: ServiceWork[] = [];
    const dues: Array<{ target: DueTarget; id: string; dueAt: EpochMs | undefined }> = [];
    const capacity = await this.pageCapacity(page, now);
    for (const slice of page.services) {
      const views = slice.tasks.map(view);
      const servicePlan = plan(slice.service, views, now, this.settings.plan, capacity.forService(slice.service));
      capacity.planned(slice.service, servicePlan);
      nextWakeAt = earliest(nextWakeAt, servicePlan.nextWakeAt);
      const changed = views.filter((entry, index) => entry.record !== slice.tasks[index]).map((entry) => entry.record);
      const undelivered = undeliveredStops(slice.tasks);
      const serviceChanged = !sameData(servicePlan.service, slice.service);
      const unlaunched = slice.tasks.some(isLaunchable);
      const acts = servicePlan.launches.length || servicePlan.stops.length || servicePlan.binds.length;
      if (serviceChanged || changed.length || undelivered.length || unlaunched || acts) {
        work.push({ slice, plan: servicePlan, changed, undelivered, capacity });
      } else {
        dues.push({ target: { service: slice.service }, id: slice.service.serviceArn, dueAt: servicePlan.nextWakeAt });
        for (const task of slice.tasks) dues.push({ target: { task }, id: task.taskId, dueAt: undefined });
      }
    }
    const placedWaiting = await this.placeWaiting(page.standalone.filter(isWaitingStandalone), now);
    const placedIds = new Set(placedWaiting.flatMap((placed) => placed.tasks.map((task) => task.taskId)));
    const standaloneViews = page.standalone.map(view);
    const standaloneChanged = standaloneViews
      .map((entry, index) => (entry.record === page.standalone[index] ? undefined : bumped(entry.record, page.standalone[index])))
      .filter((record): record is TaskRecord => record !== undefined);
    const standaloneUndelivered = undeliveredStops(page.standalone);
    const standaloneDues = new Map<string, EpochMs>();
    for (const [index, { record, nextChangeAt }] of standaloneViews.entries()) {
      const dueAt = this.standaloneDue(record, nextChangeAt, now);
      nextWakeAt = earliest(nextWakeAt, dueAt);
      if (dueAt !== undefined) standaloneDues.set(record.taskId, dueAt);
      if (record === page.standalone[index] && !placedIds.has(record.taskId)) dues.push({ target: { task: record }, id: record.taskId, dueAt });
    }
    await this.settleDues(page, dues, now);
    if (!work.length && !standaloneChanged.length && !standaloneUndelivered.length && !placedWaiting.length) {
      return { busy: false, acted: 0, nextWakeAt };
    }

    if (!this.leases.has(shard)) {
      const acquired = await this.store.acquireLease(shard, this.holder, this.clock.now(), this.settings.leaseTtlMs);
      if (!acquired) return { busy: true, acted: 0, nextWakeAt };
      this.leases.set(shard, acquired);
    }

    // Every service's decisions are prepared (side by side), then
    // committed together in shared transactions, then made (launches, stops) several services at once.
    const slots = await mapConcurrently(work, PREPARE_CONCURRENCY, async (item): Promise<PreparedPlan | undefined> => {
      try {
        return await this.prepareServicePlan(item, now);
      } catch (error) {
        // Every effect is repeatable: a service whose backend failed is simply planned again next pass.
        this.log.info('service reconcile failed', { serviceArn: item.slice.service.serviceArn, error: String(error) });
        return undefined;
      }
    });
    const prepared = slots.filter((plan): plan is PreparedPlan => plan !== undefined);
    const commitLease = await this.keepLease(shard);
    if (!commitLease) return { busy: true, acted: 0, nextWakeAt };
    const committed = prepared.length
      ? await this.commitPrepared(commitLease, prepared, capacity).catch((error: unknown) => {
          this.log.info('service reconcile failed', { shard, services: prepared.length, error: String(error) });
          return prepared.map(() => false);
        })
      : [];
    const toMake = prepared.filter((plan, index) => {
      if (!committed[index]) this.log.info('reconcile commit lost a race', { serviceArn: plan.commit.service.serviceArn });
      return committed[index];
    });
    const acted = toMake.length;
    // A service's tasks that fit nowhere were recorded waiting: its provider's group scales out for them.
    if (toMake.some((plan) => plan.commit.newTasks.some(isWaitingForCapacity))) await this.capacityTrigger?.wake();
    let lost = false;
    // Committed services are independent (each later commit holds only at the versions it wrote,
    // fenced by the lease): making several at once overlaps the backend's and DynamoDB's latency.
    await mapConcurrently(toMake, this.settings.servicesAtOnce, async (plan) => {
      if (lost || !(await this.keepLease(shard))) {
        lost = true;
        return;
      }
      try {
        await this.makeCommittedPlan(shard, plan, now);
      } catch (error) {
        this.log.info('service reconcile failed', { serviceArn: plan.commit.service.serviceArn, error: String(error) });
      }
    });
    if (lost) return { busy: true, acted, nextWakeAt };
    const lease = await this.keepLease(shard);
    if (!lease) return { busy: true, acted, nextWakeAt };
    if (standaloneChanged.length && !(await this.store.commitTasks(lease, standaloneChanged, this.clock.now(), standaloneDues))) {
      this.log.info('reconcile commit lost a race', { shard, scope: 'standalone tasks' });
    }
    await this.launchPlacedWaiting(shard, placedWaiting, page.standalone, now);
    const latest = new Map(standaloneChanged.map((record) => [record.taskId, record]));
    await this.deliverStops(
      shard,
      standaloneUndelivered.map((record) => latest.get(record.taskId) ?? record),
      now,
    );
    return { busy: false, acted, nextWakeAt };
  }

  /**
   * The shard's lease, renewed once a third of its time has passed, so a long pass keeps it; undefined
   * once it is lost (expired, or a successor took it): the pass stops, and every commit it would
   * still make is fenced out anyway, as each checks the lease against the time of the commit.
   */
  private keepLease(shard: number): Promise<Lease | undefined> {
    // One renewal at a time per shard, shared by the services acted on side by side.
    let renewal = this.renewals.get(shard);
    if (!renewal) {
      renewal = this.renewIfOld(shard).finally(() => this.renewals.delete(shard));
      this.renewals.set(shard, renewal);
    }
    return renewal;
  }

  private readonly renewals = new Map<number, Promise<Lease | undefined>>();

  private async renewIfOld(shard: number): Promise<Lease | undefined> {
    const lease = this.leases.get(shard);
    if (!lease) return undefined;
    const now = this.clock.now();
    if (lease.expiresAt - now > (this.settings.leaseTtlMs * 2) / 3) return lease;
    const renewed = await this.store.renewLease(lease, now, this.settings.leaseTtlMs);
    if (renewed) this.leases.set(shard, renewed);
    else {
      this.leases.delete(shard);
      this.log.info('reconcile lease lost', { shard });
    }
    return renewed;
  }

  /**
   * Observes tasks the backend has (a ref), cluster by cluster. A due pass gives the backend each
   * task's record, so one whose tasks announce their changes (Fargate's task events) asks only about
   * those whose events are late; the resync looks at every task.
   */
  private observe(records: TaskRecord[], now: EpochMs, scope: PassScope): Promise<ObservedTask[]> {
    return this.perCluster(records, (fleet, group) =>
      fleet.observe(
        group.map((record) => ({ taskId: record.taskId, ref: record.ref!, createdAt: record.createdAt, ...(scope === 'due' ? { recorded: record } : {}) })),
        now,
      ),
    );
  }

  /**
   * The garbage collector, run on the scheduled pass: every backend that can hold a task without a
   * record (Fargate) stops the ecsbox tasks that no live record owns. Backends are found through
   * the clusters of the live services and tasks.
   */
  async collectStrays(): Promise<number> {
    const clusters = new Set<string>();
    for (let shard = 0; shard < this.settings.shards; shard++) {
      for await (const page of this.store.shardPages(shard)) {
        for (const { service } of page.services) clusters.add(service.clusterArn);
        for (const task of page.standalone) clusters.add(task.clusterArn);
      }
    }
    const fleets = new Set<FleetBackend>();
    for (const clusterArn of clusters) {
      try {
        fleets.add(await this.fleetOf(clusterArn));
      } catch (error) {
        this.log.info('cluster backend failed', { clusterArn, error: String(error) });
      }
    }
    let stopped = 0;
    for (const fleet of fleets) {
      if (!fleet.collectStrays) continue;
      const strays = await fleet.collectStrays(() => this.store.liveTaskIds(), this.clock.now());
      if (strays.length) this.log.info('stray tasks stopped', { backend: fleet.name, tasks: strays });
      stopped += strays.length;
    }
    return stopped;
  }

  /**
   * Places standalone tasks waiting for capacity on their provider's instances, read afresh (the
   * oldest first, as the request placed them: at random, with the task definition's constraints).
   * What still fits nowhere keeps waiting; a cluster whose instances cannot be read waits too.
   */
  private async placeWaiting(waiting: TaskRecord[], now: EpochMs): Promise<PlacedWaiting[]> {
    if (!waiting.length) return [];
    const byCluster = new Map<string, TaskRecord[]>();
    for (const record of waiting) byCluster.set(record.clusterArn, [...(byCluster.get(record.clusterArn) ?? []), record]);
    const definitions = await this.taskDefinitions([...new Set(waiting.map((record) => record.taskDefinitionArn))]);
    const placed = await Promise.all(
      [...byCluster].map(async ([clusterArn, records]): Promise<PlacedWaiting | undefined> => {
        let loaded;
        try {
          loaded = await this.store.clusterInstances(clusterArn, now);
        } catch (error) {
          this.log.info('container instances not read', { clusterArn, error: String(error) });
          return undefined;
        }
        for (const instance of loaded.instances) this.instanceZones.set(instance.id, instance.availabilityZone);
        const current = new Map(loaded.instances.map((instance) => [instance.id, instance]));
        const taskGroups = new Map(loaded.taskGroups);
        const tasks: TaskRecord[] = [];
        const oldestFirst = [...records].sort((a, b) => a.createdAt - b.createdAt || a.taskId.localeCompare(b.taskId));
        for (const record of oldestFirst.slice(0, WAITING_PLACED_PER_CLUSTER)) {
          const definition = definitions.get(record.taskDefinitionArn);
          if (!definition) continue;
          const requirements = requirementsOf(definition, record.group, record.overrides);
          const result = place({
            task: requirements,
            count: 1,
            instances: [...current.values()].filter((instance) => instance.capacityProviderName === record.capacityProviderName),
            taskGroups,
            strategies: [{ type: 'random' }],
            constraints: definitionConstraints(definition),
            seed: placementSeed([record.taskId]),
          });
          const [placement] = result.placements;
          if (!placement) continue;
          for (const charged of result.instances) current.set(charged.id, charged);
          taskGroups.set(placement.instanceId, [...(taskGroups.get(placement.instanceId) ?? []), record.group]);
          const instanceArn = arns.containerInstance(scopeOf(record.taskArn), record.clusterName, placement.instanceId);
          tasks.push({ ...bumped(record, record), ...instancePlacement(definition, requirements, placement, instanceArn) });
        }
        return tasks.length ? { clusterArn, tasks, instances: loaded.instances } : undefined;
      }),
    );
    return placed.filter((entry): entry is PlacedWaiting => entry !== undefined);
  }

  /**
   * Launches the placed waiting tasks (a simulated launch has no effect until recorded) and records
   * them with their refs and charges in one transaction per cluster, at the instance versions read:
   * a launch elsewhere that charged one of them first makes it fail, and the next pass places again
   * (the backend recognises the task ids). A backend that refuses the launch stops the task.
   */
  private async launchPlacedWaiting(shard: number, placed: PlacedWaiting[], originals: TaskRecord[], now: EpochMs): Promise<void> {
    const waitingOf = new Map(originals.map((record) => [record.taskId, record]));
    await Promise.all(
      placed.map(async ({ clusterArn, tasks, instances }) => {
        try {
          const { launched, refused } = await this.makeLaunches(await this.fleetOf(clusterArn), tasks, now);
          const stopped = refused.map(({ record, reason }): TaskRecord => {
            const original = waitingOf.get(record.taskId)!;
            return stopUnlaunched({ ...bumped(original, original), stopCode: 'TaskFailedToStart', stoppedReason: reason }, now);
          });
          const dues = new Map<string, EpochMs>();
          for (const record of launched) {
            const dueAt = this.standaloneDue(record, undefined, now);
            if (dueAt !== undefined) dues.set(record.taskId, dueAt);
          }
          const lease = await this.keepLease(shard);
          if (!lease) return;
          if (!(await this.store.commitPlacedTasks(lease, [...launched, ...stopped], instances, this.clock.now(), dues))) {
            this.log.info('reconcile commit lost a race', { shard, clusterArn, scope: 'tasks placed after waiting for capacity' });
          }
        } catch (error) {
          this.log.info('waiting tasks not launched', { clusterArn, error: String(error) });
        }
      }),
    );
  }

  /** Each instance's zone, as the last read of its cluster said (an EC2 task's network lives there). */
  private readonly instanceZones = new Map<string, string>();

  /** The container instances of the page's EC2 services' clusters, and what their tasks need. */
  private pageCapacity(page: ShardPage, now: EpochMs): Promise<PageCapacity> {
    return PageCapacity.forPage(
      page.services.map((slice) => slice.service),
      (clusterArn, at) => this.store.clusterInstances(clusterArn, at),
      (references) => this.taskDefinitions(references),
      this.instanceZones,
      now,
      (clusterArn, error) => this.log.info('container instances not read', { clusterArn, error: String(error) }),
    );
  }

  /**
   * Commits the page's services: those that place tasks on instances one at a time, each charging
   * the instances at the versions the page's earlier commits left them at (two commits of one
   * transaction cannot both write an instance); the others together, as before.
   */
  private async commitPrepared(lease: Lease, prepared: PreparedPlan[], capacity: PageCapacity): Promise<boolean[]> {
    const committed = prepared.map(() => false);
    const shared = prepared.flatMap((plan, index) => (plan.commit.instanceCharges ? [] : [index]));
    const results = shared.length
      ? await this.store.commitServices(lease, shared.map((index) => prepared[index].commit), this.clock.now())
      : [];
    shared.forEach((index, position) => (committed[index] = results[position]));
    for (const [index, plan] of prepared.entries()) {
      const charges = plan.commit.instanceCharges;
      if (!charges) continue;
      const commit = { ...plan.commit, instanceCharges: { ...charges, instances: capacity.instancesAtVersion(plan.commit.service.clusterArn) } };
      committed[index] = await this.store.commitService(lease, commit, this.clock.now());
      if (committed[index]) capacity.charged(charges.tasks.flatMap((task) => instanceIdOf(task) ?? []));
    }
    return committed;
  }

  /** A service's decisions as one commit, and what to do once it is committed. */
  private async prepareServicePlan(work: ServiceWork, now: EpochMs): Promise<PreparedPlan> {
    const { slice, plan: servicePlan } = work;
    const service = { ...servicePlan.service, version: slice.service.version + 1 };
    const originals = new Map(slice.tasks.map((task) => [task.taskId, task]));
    const latest = new Map(work.changed.map((record) => [record.taskId, bumped(record, originals.get(record.taskId)!)]));
    const stopIds = new Set(servicePlan.stops.map((stop) => stop.taskId));
    for (const stop of servicePlan.stops) {
      const original = originals.get(stop.taskId)!;
      const decided: TaskRecord = {
        ...(latest.get(stop.taskId) ?? bumped(original, original)),
        desiredStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: stop.reason,
      };
      latest.set(stop.taskId, decided.ref ? decided : stopUnlaunched(decided, now));
    }
    // Tasks that waited for capacity, now placed: recorded on their instance, launched after the commit.
    const bound: TaskRecord[] = [];
    for (const bind of servicePlan.binds) {
      const original = originals.get(bind.taskId)!;
      const placement = this.instancePlacementOf(service, work.capacity, original.taskDefinitionArn, bind.placement);
      if (!placement) continue;
      const record = { ...(latest.get(bind.taskId) ?? bumped(original, original)), ...placement };
      latest.set(bind.taskId, record);
      bound.push(record);
    }
    const { records: planned, failures } = await this.plannedTasks(service, servicePlan, slice.tasks, now, work.capacity);
    // A backend whose launch has no effect (the simulated fleet) is launched now, and the task
    // recorded with its ref in the decision's own write; any other is recorded first, launched after.
    const fleet = planned.length ? await this.fleetOf(service.clusterArn) : undefined;
    const launchedNow = fleet?.launchHasNoEffect ? await this.makeLaunches(fleet, planned, now) : undefined;
    for (const { record, reason } of launchedNow?.refused ?? []) failures.push({ deploymentId: record.deploymentId!, reason });
    const newTasks = launchedNow?.launched ?? planned;
    const messages = [
      ...servicePlan.events,
      ...failures.map(({ deploymentId, reason }) => recordLaunchRefusal(service, deploymentId, reason, now, this.settings.plan)),
    ];
    const changed = [...latest.values()];
    const undeliveredIds = work.undelivered.map((task) => task.taskId);
    const boundIds = new Set(bound.map((record) => record.taskId));
    const placed = [...newTasks.filter((record) => record.containerInstanceArn), ...bound];
    return {
      commit: {
        service: messages.length ? this.withEvents(service, messages, now) : service,
        dueAt: servicePlan.nextWakeAt,
        newTasks,
        changedTasks: changed.filter((record) => stopIds.has(record.taskId) || boundIds.has(record.taskId)),
        observedTasks: changed.filter((record) => !stopIds.has(record.taskId) && !boundIds.has(record.taskId)),
        // The instances are set at commit time, at the versions earlier commits left them at.
        ...(placed.length ? { instanceCharges: { instances: [], tasks: placed } } : {}),
      },
      // This pass's launches, and any an earlier pass recorded but did not get to make.
      toLaunch: [...newTasks, ...slice.tasks.map((task) => latest.get(task.taskId) ?? task)].filter(isLaunchable),
      toStop: [...new Set([...stopIds, ...undeliveredIds])].map((taskId) => latest.get(taskId) ?? originals.get(taskId)!),
    };
  }

  /**
   * After the commit: the launches are recorded before they are made (a task can never run without
   * a record), and stops are committed before they are delivered.
   */
  private async makeCommittedPlan(shard: number, plan: PreparedPlan, now: EpochMs): Promise<void> {
    await this.launchRecorded(shard, plan.commit.service, plan.toLaunch, now, plan.commit.dueAt);
    await this.deliverStops(shard, plan.toStop, now);
  }

  /** Where a task placed on an instance is recorded: the instance's ARN, what it charged, its host ports. */
  private instancePlacementOf(service: ServicePlan['service'], capacity: PageCapacity, taskDefinition: string, placement: Placement) {
    const definition = capacity.definition(taskDefinition);
    const requirements = capacity.requirementsFor(service, taskDefinition);
    if (!definition || !requirements) return undefined;
    const instanceArn = arns.containerInstance(scopeOf(service.serviceArn), service.clusterName, placement.instanceId);
    return instancePlacement(definition, requirements, placement, instanceArn);
  }

  /** Records for the plan's launches (PROVISIONING, no ref), and the launches that cannot be made. */
  private async plannedTasks(
    service: ServicePlan['service'],
    servicePlan: ServicePlan,
    liveTasks: TaskRecord[],
    now: EpochMs,
    capacity: PageCapacity,
  ): Promise<{ records: TaskRecord[]; failures: Array<{ deploymentId: string; reason: string }> }> {
    const definitions = await this.taskDefinitions(servicePlan.launches.map((launch) => launch.taskDefinition));
    const failures: Array<{ deploymentId: string; reason: string }> = [];
    const records: TaskRecord[] = [];
    const strategy = service.capacityProviderStrategy;
    // EC2 launches carry their provider from the plan (the Auto Scaling group one they wait for).
    const providers =
      strategy && service.launchType !== 'EC2'
        ? assignCapacityProviders(strategy, capacityProviderCounts(liveTasks), servicePlan.launches.length)
        : [];
    for (const [index, launch] of servicePlan.launches.entries()) {
      const taskDefinition = definitions.get(launch.taskDefinition);
      if (!taskDefinition) {
        failures.push({ deploymentId: launch.deploymentId, reason: `task definition ${launch.taskDefinition} does not exist` });
        continue;
      }
      records.push(
        plannedTaskRecord({
          taskId: launch.taskId,
          taskArn: arns.task(scopeOf(service.serviceArn), service.clusterName, launch.taskId),
          clusterName: service.clusterName,
          clusterArn: service.clusterArn,
          taskDefinition,
          serviceName: service.serviceName,
          deploymentId: launch.deploymentId,
          startedBy: launch.deploymentId,
          group: `service:${service.serviceName}`,
          ...(providers[index] ? { capacityProviderName: providers[index] } : {}),
          ...(service.launchType === 'EC2' ? this.ec2Launch(service, capacity, launch) : {}),
          networkConfiguration: service.networkConfiguration,
          createdAt: now,
        }),
      );
    }
    return { records, failures };
  }

  /** An EC2 launch's record fields: placed on its instance, or waiting for its provider's capacity. */
  private ec2Launch(service: ServicePlan['service'], capacity: PageCapacity, launch: LaunchAction) {
    const placement = launch.placement && this.instancePlacementOf(service, capacity, launch.taskDefinition, launch.placement);
    return {
      launchType: 'EC2' as const,
      ...(launch.capacityProviderName ? { capacityProviderName: launch.capacityProviderName } : {}),
      ...(placement ? { placement } : {}),
    };
  }

  /**
   * Task definitions by ARN, read once per reconciler (one invocation): a revision never changes
   * once registered, so the services of a pass that launch the same one share a read. One not found
   * is not kept.
   */
  private readonly definitions = new Map<string, Promise<TaskDefinition | undefined>>();

  private async taskDefinitions(references: string[]): Promise<Map<string, TaskDefinition | undefined>> {
    const found = new Map<string, TaskDefinition | undefined>();
    for (const reference of references) {
      let definition = this.definitions.get(reference);
      if (!definition) {
        definition = this.store.taskDefinition(reference);
        this.definitions.set(reference, definition);
        // Only what exists is kept: a failed or empty read is asked again.
        definition.then((value) => value ?? this.definitions.delete(reference), () => this.definitions.delete(reference));
      }
      found.set(reference, await definition);
    }
    return found;
  }

  /**
   * Makes the recorded launches, then records the backend's refs. A launch the backend refuses
   * leaves no task: its record is removed and the service counts the refusal, in one commit. If
   * that commit loses a race, the records stay without a ref and the next pass launches them again
   * (the backend recognises the task id).
   */
  private async launchRecorded(
    shard: number,
    service: ServicePlan['service'] & { version: number },
    records: TaskRecord[],
    now: EpochMs,
    dueAt: EpochMs | undefined,
  ): Promise<void> {
    if (!records.length) return;
    const { launched, refused } = await this.makeLaunches(await this.fleetOf(service.clusterArn), records, now);
    const originals = new Map(records.map((record) => [record.taskId, record]));
    const recorded = launched.map((record) => bumped(record, originals.get(record.taskId)!));
    // Renewed (or found lost) now: launches of the services made side by side may have been slow.
    const lease = await this.keepLease(shard);
    if (!lease) return;
    let committed: boolean;
    if (refused.length) {
      const next = { ...structuredClone(service), version: service.version + 1 };
      const messages = refused.map(({ record, reason }) =>
        recordLaunchRefusal(next, record.deploymentId!, reason, now, this.settings.plan),
      );
      committed = await this.store.commitService(
        lease,
        {
          service: this.withEvents(next, messages, now),
          dueAt,
          newTasks: [],
          changedTasks: [],
          removedTasks: refused.map(({ record }) => record),
          observedTasks: recorded,
        },
        this.clock.now(),
      );
    } else {
      committed = await this.store.commitTasks(lease, recorded, this.clock.now());
    }
    if (!committed) this.log.info('reconcile commit lost a race', { serviceArn: service.serviceArn, scope: 'launch' });
  }

  /**
   * Launches the records' tasks on the backend and takes a first look at those it accepted: the
   * records with their refs and first observation, and the launches refused (their reasons).
   */
  private async makeLaunches(
    fleet: FleetBackend,
    records: TaskRecord[],
    now: EpochMs,
  ): Promise<{ launched: TaskRecord[]; refused: Array<{ record: TaskRecord; reason: string }> }> {
    const definitions = await this.taskDefinitions(records.map((record) => record.taskDefinitionArn));
    const refused: Array<{ record: TaskRecord; reason: string }> = [];
    const specs: LaunchSpec[] = [];
    for (const record of records) {
      const taskDefinition = definitions.get(record.taskDefinitionArn);
      if (!taskDefinition) refused.push({ record, reason: `task definition ${record.taskDefinitionArn} does not exist` });
      else {
        specs.push({
          taskId: record.taskId,
          clusterName: record.clusterName,
          taskDefinition,
          startedBy: record.startedBy,
          group: record.group,
          ...(record.capacityProviderName ? { capacityProviderName: record.capacityProviderName } : {}),
          ...(record.launchType === 'EC2' ? this.onInstance(record) : {}),
          networkConfiguration: record.networkConfiguration,
        });
      }
    }
    const outcomes = specs.length ? await fleet.launch(specs, now) : [];
    const byId = new Map(records.map((record) => [record.taskId, record]));
    const accepted: TaskRecord[] = [];
    for (const outcome of outcomes) {
      const record = byId.get(outcome.taskId)!;
      if (outcome.accepted) accepted.push({ ...record, ref: outcome.ref });
      else {
        const reason = outcome.reason === THROTTLED_REASON || !outcome.detail ? outcome.reason : `${outcome.reason} (${outcome.detail})`;
        refused.push({ record, reason });
      }
    }
    const firstLooks = accepted.length
      ? await fleet.observe(accepted.map(({ taskId, ref, createdAt }) => ({ taskId, ref: ref!, createdAt })), now)
      : [];
    const observations = new Map(firstLooks.map((entry) => [entry.taskId, entry]));
    const launched = accepted.map((record) => {
      const observation = observations.get(record.taskId);
      return observation ? applyObservation(record, observation) : record;
    });
    return { launched, refused };
  }

  /** An EC2 task's launch: on its instance, in the instance's zone. */
  private onInstance(record: TaskRecord): Pick<LaunchSpec, 'launchType' | 'availabilityZone'> {
    const id = instanceIdOf(record);
    const zone = id === undefined ? undefined : this.instanceZones.get(id);
    return { launchType: 'EC2', ...(zone ? { availabilityZone: zone } : {}) };
  }

  /** The service with the messages as its newest events (the last one said newest). */
  private withEvents<S extends ServiceState>(service: S, messages: string[], now: EpochMs): S {
    const added = messages
      .map((message, index) => ({ id: eventIdFor(service.serviceArn, now + index, message), createdAt: now, message }))
      .reverse();
    return withServiceEvents(service, added) as S;
  }

  /** Tells the backend about committed stop decisions, then records what it reports. */
  private async deliverStops(shard: number, decided: TaskRecord[], now: EpochMs): Promise<void> {
    // A task never launched was recorded STOPPED at once: there is nothing to tell.
    const records = decided.filter((record) => record.ref !== undefined && record.lastStatus !== 'STOPPED');
    if (!records.length) return;
    const observations = await this.perCluster(records, async (fleet, group) => {
      const requests: StopRequest[] = group.map((record) => ({
        taskId: record.taskId,
        ref: record.ref!,
        reason: record.stoppedReason ?? 'Task stopped by the service scheduler',
        stopCode: record.stopCode === 'UserInitiated' ? 'UserInitiated' : 'ServiceSchedulerInitiated',
      }));
      const createdAt = new Map(group.map((record) => [record.taskId, record.createdAt]));
      const stopped = await fleet.stop(requests, now);
      return fleet.observe(stopped.map((entry) => ({ ...entry, createdAt: createdAt.get(entry.taskId)! })), now);
    });
    const byId = new Map(records.map((record) => [record.taskId, record]));
    const dues = new Map<string, EpochMs>();
    const updates = observations
      .map((observation) => {
        const record = byId.get(observation.taskId)!;
        const next = applyObservation(record, observation);
        const dueAt = this.standaloneDue(next, observation.nextChangeAt, now);
        if (dueAt !== undefined) dues.set(record.taskId, dueAt);
        return next === record ? undefined : bumped(next, record);
      })
      .filter((record): record is TaskRecord => record !== undefined);
    const lease = updates.length ? await this.keepLease(shard) : undefined;
    if (lease && !(await this.store.commitTasks(lease, updates, this.clock.now(), dues))) {
      // The stop reached the backend; the next pass observes and records it.
      this.log.info('reconcile commit lost a race', { scope: 'stop delivery', tasks: updates.length });
    }
  }
}
