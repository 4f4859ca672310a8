import { arns, scopeOf } from '../domain/arn';
import { sameData } from '../domain/equality';
import { eventIdFor, MAX_SERVICE_EVENTS } from '../domain/service';
import { assignCapacityProviders, capacityProviderCounts } from '../domain/capacity-provider';
import { applyObservation, isPendingStatus, newTaskRecord, stopNotDelivered, type TaskRecord } from '../domain/task';
import type { EpochMs, ServiceEvent, TaskDefinition } from '../domain/model';
import { THROTTLED_REASON, type FleetBackend, type LaunchSpec, type ObservedTask, type StopRequest } from '../fleet/backend';
import type { FleetResolver } from '../fleet/resolver';
import type { Clock } from '../deps';
import type { Lease, ReconcileStore, ServiceSlice } from '../ports';
import { plan, recordLaunchRefusal, type PlanOptions, type ServicePlan, type TaskView } from './plan';

/**
 * One reconcile pass: read every live service and task of each shard, observe the fleet, plan, and
 * apply the plans. Level-triggered and idempotent: a pass that finds nothing to change writes
 * nothing and takes no lease; a pass that has work takes the shard's lease first, and every write
 * is conditioned on that lease's fencing token and on the versions it read.
 *
 * Effects are ordered so that a crash or a lost race never doubles anything: launches use
 * deterministic task ids (a backend recognises a repeated launch), and a decision to stop is
 * committed before the backend is told, then delivered (again, if need be) on later passes.
 */
export interface ReconcilerSettings {
  shards: number;
  leaseTtlMs: number;
  plan: PlanOptions;
}

/** Structured logging, as Powertools' Logger offers it: a fixed message, context as keys. */
export interface Logger {
  info(message: string, context: Record<string, unknown>): void;
}

export interface PassOutcome {
  /** Another reconciler holds a lease this pass needed. */
  busy: boolean;
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
}

const bumped = (record: TaskRecord, original: TaskRecord): TaskRecord => ({ ...record, version: original.version + 1 });

export class Reconciler {
  private readonly leases = new Map<number, Lease>();

  constructor(
    private readonly store: ReconcileStore,
    private readonly fleets: FleetResolver,
    private readonly clock: Clock,
    private readonly holder: string,
    private readonly settings: ReconcilerSettings,
    private readonly log: Logger,
  ) {}

  async pass(): Promise<PassOutcome> {
    const outcome: PassOutcome = { busy: false, acted: 0, readUnits: 0 };
    for (let shard = 0; shard < this.settings.shards; shard++) {
      const result = await this.passShard(shard);
      outcome.busy ||= result.busy;
      outcome.acted += result.acted;
      outcome.readUnits += result.readUnits;
      if (result.nextWakeAt !== undefined) outcome.nextWakeAt = Math.min(outcome.nextWakeAt ?? Infinity, result.nextWakeAt);
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
    for (const record of records) groups.set(record.clusterArn, [...(groups.get(record.clusterArn) ?? []), record]);
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

  private async passShard(shard: number): Promise<PassOutcome> {
    const now = this.clock.now();
    const snapshot = await this.store.loadShard(shard, now);
    const everyTask = [...snapshot.services.flatMap((slice) => slice.tasks), ...snapshot.standalone];
    const observations = await this.perCluster(everyTask, (fleet, records) =>
      fleet.observe(records.map(({ taskId, ref }) => ({ taskId, ref })), now),
    );
    const observed = new Map<string, ObservedTask>(observations.map((entry) => [entry.taskId, entry]));
    const view = (record: TaskRecord): TaskView => {
      const observation = observed.get(record.taskId);
      return {
        record: observation ? applyObservation(record, observation) : record,
        wasStopped: record.lastStatus === 'STOPPED',
        nextChangeAt: observation?.nextChangeAt,
      };
    };
    const undeliveredStops = (records: TaskRecord[]) =>
      records.filter((record) => {
        const observation = observed.get(record.taskId);
        return observation !== undefined && stopNotDelivered(record, observation);
      });

    const wakes: EpochMs[] = [];
    const work: ServiceWork[] = [];
    for (const slice of snapshot.services) {
      const views = slice.tasks.map(view);
      const servicePlan = plan(slice.service, views, now, this.settings.plan);
      if (servicePlan.nextWakeAt !== undefined) wakes.push(servicePlan.nextWakeAt);
      const changed = views.filter((entry, index) => entry.record !== slice.tasks[index]).map((entry) => entry.record);
      const undelivered = undeliveredStops(slice.tasks);
      const serviceChanged = !sameData(servicePlan.service, slice.service);
      if (serviceChanged || changed.length || undelivered.length || servicePlan.launches.length || servicePlan.stops.length) {
        work.push({ slice, plan: servicePlan, changed, undelivered });
      }
    }
    const standaloneViews = snapshot.standalone.map(view);
    const standaloneChanged = standaloneViews
      .map((entry, index) => (entry.record === snapshot.standalone[index] ? undefined : bumped(entry.record, snapshot.standalone[index])))
      .filter((record): record is TaskRecord => record !== undefined);
    const standaloneUndelivered = undeliveredStops(snapshot.standalone);
    for (const { record, nextChangeAt } of standaloneViews) {
      if (record.lastStatus === 'STOPPED') continue;
      if (nextChangeAt !== undefined) wakes.push(nextChangeAt);
      else if (isPendingStatus(record.lastStatus) || record.desiredStatus === 'STOPPED') {
        wakes.push(now + this.settings.plan.pollIntervalMs);
      }
    }
    const nextWakeAt = wakes.length ? Math.min(...wakes) : undefined;
    if (!work.length && !standaloneChanged.length && !standaloneUndelivered.length) {
      return { busy: false, acted: 0, readUnits: snapshot.readUnits, nextWakeAt };
    }

    const lease = await this.store.acquireLease(shard, this.holder, now, this.settings.leaseTtlMs);
    if (!lease) return { busy: true, acted: 0, readUnits: snapshot.readUnits, nextWakeAt };
    this.leases.set(shard, lease);

    let acted = 0;
    for (const item of work) {
      try {
        if (await this.applyServicePlan(lease, item, now)) acted += 1;
      } catch (error) {
        // Every effect is repeatable: a service whose backend failed is simply planned again next pass.
        this.log.info('service reconcile failed', { serviceArn: item.slice.service.serviceArn, error: String(error) });
      }
    }
    if (standaloneChanged.length && !(await this.commitInChunks(lease, standaloneChanged, now))) {
      this.log.info('reconcile commit lost a race', { shard, scope: 'standalone tasks' });
    }
    const latest = new Map(standaloneChanged.map((record) => [record.taskId, record]));
    await this.deliverStops(
      lease,
      standaloneUndelivered.map((record) => latest.get(record.taskId) ?? record),
      now,
    );
    return { busy: false, acted, readUnits: snapshot.readUnits, nextWakeAt: acted ? now : nextWakeAt };
  }

  private async applyServicePlan(lease: Lease, work: ServiceWork, now: EpochMs): Promise<boolean> {
    const { slice, plan: servicePlan } = work;
    const service = { ...servicePlan.service, version: slice.service.version + 1 };
    const originals = new Map(slice.tasks.map((task) => [task.taskId, task]));
    const latest = new Map(work.changed.map((record) => [record.taskId, bumped(record, originals.get(record.taskId)!)]));
    for (const stop of servicePlan.stops) {
      const original = originals.get(stop.taskId)!;
      latest.set(stop.taskId, {
        ...(latest.get(stop.taskId) ?? bumped(original, original)),
        desiredStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: stop.reason,
      });
    }
    const { tasks: newTasks, failures } = await this.launch(service, servicePlan, slice.tasks, now);
    const messages = [
      ...servicePlan.events,
      ...failures.map(({ deploymentId, reason }) =>
        recordLaunchRefusal(service, deploymentId, reason, now, this.settings.plan),
      ),
    ];
    const events = messages.length ? await this.withEvents(service.serviceArn, messages, slice, now) : undefined;
    const committed = await this.store.commitService(
      lease,
      { service, events, newTasks, changedTasks: [...latest.values()] },
      now,
    );
    if (!committed) {
      this.log.info('reconcile commit lost a race', { serviceArn: service.serviceArn });
      return false;
    }
    const stopIds = new Set([...servicePlan.stops.map((stop) => stop.taskId), ...work.undelivered.map((task) => task.taskId)]);
    await this.deliverStops(
      lease,
      [...stopIds].map((taskId) => latest.get(taskId) ?? originals.get(taskId)!),
      now,
    );
    return true;
  }

  private async launch(
    service: ServicePlan['service'],
    servicePlan: ServicePlan,
    liveTasks: TaskRecord[],
    now: EpochMs,
  ): Promise<{ tasks: TaskRecord[]; failures: Array<{ deploymentId: string; reason: string }> }> {
    if (!servicePlan.launches.length) return { tasks: [], failures: [] };
    const definitions = new Map<string, TaskDefinition | undefined>();
    for (const launch of servicePlan.launches) {
      if (!definitions.has(launch.taskDefinition)) {
        definitions.set(launch.taskDefinition, await this.store.taskDefinition(launch.taskDefinition));
      }
    }
    const failures: Array<{ deploymentId: string; reason: string }> = [];
    const specs: Array<LaunchSpec & { deploymentId: string }> = [];
    const strategy = service.capacityProviderStrategy;
    const providers = strategy
      ? assignCapacityProviders(strategy, capacityProviderCounts(liveTasks), servicePlan.launches.length)
      : [];
    for (const [index, launch] of servicePlan.launches.entries()) {
      const taskDefinition = definitions.get(launch.taskDefinition);
      if (!taskDefinition) {
        failures.push({ deploymentId: launch.deploymentId, reason: `task definition ${launch.taskDefinition} does not exist` });
        continue;
      }
      specs.push({
        taskId: launch.taskId,
        deploymentId: launch.deploymentId,
        clusterName: service.clusterName,
        taskDefinition,
        startedBy: launch.deploymentId,
        group: `service:${service.serviceName}`,
        ...(providers[index] ? { capacityProviderName: providers[index] } : {}),
        networkConfiguration: service.networkConfiguration,
      });
    }
    const fleet = await this.fleetOf(service.clusterArn);
    const outcomes = specs.length ? await fleet.launch(specs, now) : [];
    const accepted = new Map<string, (typeof outcomes)[number] & { accepted: true }>();
    for (const outcome of outcomes) {
      const spec = specs.find((candidate) => candidate.taskId === outcome.taskId)!;
      if (outcome.accepted) accepted.set(outcome.taskId, outcome);
      else failures.push({ deploymentId: spec.deploymentId, reason: outcome.reason === THROTTLED_REASON || !outcome.detail ? outcome.reason : `${outcome.reason} (${outcome.detail})` });
    }
    const observations = accepted.size
      ? await fleet.observe([...accepted.values()].map(({ taskId, ref }) => ({ taskId, ref })), now)
      : [];
    const tasks = observations.map((observation) => {
      const spec = specs.find((candidate) => candidate.taskId === observation.taskId)!;
      const taskArn = arns.task(scopeOf(service.serviceArn), service.clusterName, spec.taskId);
      return newTaskRecord(
        {
          taskId: spec.taskId,
          taskArn,
          clusterName: service.clusterName,
          clusterArn: service.clusterArn,
          taskDefinition: spec.taskDefinition,
          serviceName: service.serviceName,
          deploymentId: spec.deploymentId,
          startedBy: spec.startedBy,
          group: spec.group,
          ...(spec.capacityProviderName ? { capacityProviderName: spec.capacityProviderName } : {}),
          networkConfiguration: spec.networkConfiguration,
          createdAt: now,
        },
        observation,
      );
    });
    return { tasks, failures };
  }

  private async withEvents(serviceArn: string, messages: string[], slice: ServiceSlice, now: EpochMs): Promise<ServiceEvent[]> {
    const existing = await this.store.loadEvents(slice.service);
    const added = messages
      .map((message, index) => ({ id: eventIdFor(serviceArn, now + index, message), createdAt: now, message }))
      .reverse();
    return [...added, ...existing].slice(0, MAX_SERVICE_EVENTS);
  }

  /** Tells the backend about committed stop decisions, then records what it reports. */
  private async deliverStops(lease: Lease, records: TaskRecord[], now: EpochMs): Promise<void> {
    if (!records.length) return;
    const observations = await this.perCluster(records, async (fleet, group) => {
      const requests: StopRequest[] = group.map((record) => ({
        taskId: record.taskId,
        ref: record.ref,
        reason: record.stoppedReason ?? 'Task stopped by the service scheduler',
        stopCode: record.stopCode === 'UserInitiated' ? 'UserInitiated' : 'ServiceSchedulerInitiated',
      }));
      return fleet.observe(await fleet.stop(requests, now), now);
    });
    const byId = new Map(records.map((record) => [record.taskId, record]));
    const updates = observations
      .map((observation) => {
        const record = byId.get(observation.taskId)!;
        const next = applyObservation(record, observation);
        return next === record ? undefined : bumped(next, record);
      })
      .filter((record): record is TaskRecord => record !== undefined);
    if (updates.length && !(await this.commitInChunks(lease, updates, now))) {
      // The stop reached the backend; the next pass observes and records it.
      this.log.info('reconcile commit lost a race', { scope: 'stop delivery', tasks: updates.length });
    }
  }

  private async commitInChunks(lease: Lease, records: TaskRecord[], now: EpochMs): Promise<boolean> {
    let all = true;
    for (let index = 0; index < records.length; index += 90) {
      all = (await this.store.commitTasks(lease, records.slice(index, index + 90), now)) && all;
    }
    return all;
  }
}
