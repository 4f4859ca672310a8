import { parseArn } from '../../domain/arn';
import { capacityProviderArn, type CapacityProviderRecord, type GroupInstance } from '../../domain/capacity-provider';
import { resourcesOfType, type ContainerInstanceRecord } from '../../domain/container-instance';
import { sameData } from '../../domain/equality';
import type { EpochMs } from '../../domain/model';
import { requirementsOf } from '../../domain/placement';
import type { TaskRecord } from '../../domain/task';
import { parseTaskDefinitionRef } from '../../domain/task-definition';
import type { Deps } from '../../deps';
import { ConflictException } from '../../errors';
import type { StructuredLogger } from '../../log';
import { registerSimulatedInstance } from '../../usecases/container-instances';
import { followContainerInstances } from '../../usecases/services';
import { plan, type CapacityObservation, type TaskNeed } from './plan';

/** The namespace and name of ECS's managed scaling metric. */
export const MANAGED_SCALING_NAMESPACE = 'AWS/ECS/ManagedScaling';
export const RESERVATION_METRIC = 'CapacityProviderReservation';

export interface CapacityPassResult {
  providers: number;
  changed: number;
}

/**
 * A task as the EC2 launch type records it (launchType EC2, the instance it was placed on): the
 * contract with the task and service placement, read structurally so that this controller builds
 * whether or not those fields are in TaskRecord yet.
 */
type PlacedTask = Omit<TaskRecord, 'launchType'> & { launchType: string; containerInstanceArn?: string };

/** Waiting for capacity: an EC2 task of the provider, meant to run, still PROVISIONING on no instance. */
export const isWaitingFor = (provider: string, task: PlacedTask) =>
  task.capacityProviderName === provider &&
  task.launchType === 'EC2' &&
  task.containerInstanceArn === undefined &&
  task.desiredStatus === 'RUNNING' &&
  task.lastStatus === 'PROVISIONING';

/**
 * One pass of the capacity controller over one account's Auto Scaling group providers attached to
 * a cluster: observe (the cluster's container instances, then its live tasks: a launch onto an
 * instance after the first read moves the instance's version, so a deregistration at the version
 * read cannot remove an instance that just got a task), plan (pure), act. Level-triggered: a pass
 * repeated, or beside another, does the same; launched instances' ids follow from the provider
 * and a sequence number, so a pass that loses its claim launches nothing twice.
 */
export const capacityPass = async (deps: Deps, now: EpochMs, log: StructuredLogger): Promise<CapacityPassResult> => {
  const providers = (await deps.capacityProviders.list()).filter((record) => record.status === 'ACTIVE' && record.clusterName !== undefined);
  let changed = 0;
  const needs = new TaskNeeds(deps);
  for (const provider of providers) {
    try {
      if (await reconcileProvider(deps, provider, needs, now)) changed += 1;
    } catch (error) {
      // One provider's failure (a throttled read, its cluster deleted meanwhile) holds up no other.
      log.warn('capacity provider pass failed', { capacityProvider: provider.name, clusterName: provider.clusterName, error: error as Error });
    }
  }
  return { providers: providers.length, changed };
};

/** What each waiting task needs, from its own cpu/memory or its task definition's (read once per pass). */
class TaskNeeds {
  private readonly definitions = new Map<string, Promise<TaskNeed | undefined>>();
  constructor(private readonly deps: Deps) {}

  async of(task: PlacedTask): Promise<TaskNeed> {
    if (task.cpu !== undefined && task.memory !== undefined) return { cpu: Number(task.cpu), memory: Number(task.memory) };
    let need = this.definitions.get(task.taskDefinitionArn);
    if (!need) {
      need = this.read(task.taskDefinitionArn);
      this.definitions.set(task.taskDefinitionArn, need);
    }
    const fromDefinition = await need;
    return { cpu: Number(task.cpu ?? fromDefinition?.cpu ?? 0), memory: Number(task.memory ?? fromDefinition?.memory ?? 0) };
  }

  private async read(arn: string): Promise<TaskNeed | undefined> {
    const reference = parseTaskDefinitionRef(parseArn(arn)?.resource ?? arn);
    const stored = reference.revision === undefined ? undefined : await this.deps.taskDefinitions.get(reference.family, reference.revision);
    return stored && requirementsOf(stored.taskDefinition, '');
  }
}

const containerInstanceIdOfArn = (arn: string) => arn.split('/').at(-1)!;

const reconcileProvider = async (deps: Deps, provider: CapacityProviderRecord, needs: TaskNeeds, now: EpochMs): Promise<boolean> => {
  const clusterName = provider.clusterName!;
  const cluster = await deps.clusters.get(clusterName);
  if (cluster?.status !== 'ACTIVE') return false;
  const live = await deps.containerInstances.listLive(clusterName);
  const tasks: PlacedTask[] = await deps.capacityProviders.liveTasks(clusterName);

  const tasksOn = new Map<string, number>();
  for (const task of tasks) {
    if (task.containerInstanceArn === undefined) continue;
    const id = containerInstanceIdOfArn(task.containerInstanceArn);
    tasksOn.set(id, (tasksOn.get(id) ?? 0) + 1);
  }
  const byEc2Id = new Map(live.map((record) => [record.ec2InstanceId, record]));
  const observation: CapacityObservation = {
    registered: new Map(
      provider.group.instances.flatMap((instance) => {
        const record = byEc2Id.get(instance.ec2InstanceId);
        if (!record) return [];
        const count = Math.max(tasksOn.get(record.id) ?? 0, record.runningTasksCount + record.pendingTasksCount);
        return [[instance.ec2InstanceId, { containerInstanceId: record.id, tasks: count }]];
      }),
    ),
    waiting: await Promise.all(tasks.filter((task) => isWaitingFor(provider.name, task)).map((task) => needs.of(task))),
    instanceCapacity: resourcesOfType(provider.group.instanceType)?.resources ?? { cpu: 0, memory: 0 },
    availabilityZones: ['a', 'b', 'c'].map((letter) => `${deps.scope.region}${letter}`),
    timeScale: deps.timeScale,
    identity: `${capacityProviderArn(deps.scope, provider.name)}#${provider.createdAt}`,
  };
  const decision = plan(provider, observation, now);

  // Idle instances leave first, each at the version read: one that got a task meanwhile stays.
  const terminated = new Set<string>();
  for (const { instance, containerInstanceId } of decision.terminations) {
    const record = live.find((candidate) => candidate.id === containerInstanceId);
    if (!record || (await deregisterIdle(deps, record))) terminated.add(instance.ec2InstanceId);
  }
  const kept = [
    ...decision.group.instances,
    ...decision.terminations.filter(({ instance }) => !terminated.has(instance.ec2InstanceId)).map(({ instance }) => instance),
  ];
  // Booted instances register as their agent would; a registration repeated gets the same instance.
  const registeredIds = new Map<string, string>();
  for (const instance of decision.registrations) {
    const record = await registerSimulatedInstance(
      deps,
      clusterName,
      { ...instance, instanceType: provider.group.instanceType },
      { capacityProviderName: provider.name },
    );
    registeredIds.set(instance.ec2InstanceId, record.id);
  }
  // What waits for capacity (services' tasks, standalone tasks) is placed on them at once.
  if (decision.registrations.length) await followContainerInstances(deps, clusterName);
  const instances = kept.map((instance): GroupInstance =>
    registeredIds.has(instance.ec2InstanceId) ? { ...instance, containerInstanceId: registeredIds.get(instance.ec2InstanceId)! } : instance,
  );

  await reportReservation(deps, provider, decision.reservation, now);
  const next: CapacityProviderRecord = { ...provider, group: { ...decision.group, instances }, scaling: decision.scaling, version: provider.version + 1 };
  if (sameData({ ...next, version: provider.version }, provider)) return false;
  try {
    await deps.capacityProviders.save(next);
  } catch (error) {
    // A user's change (or another pass) got there first: the next pass decides afresh.
    if (error instanceof ConflictException) return false;
    throw error;
  }
  return true;
};

/**
 * The metric minute of each provider's last CapacityProviderReservation datapoint, kept by the
 * loop's process (one loop holds the lease): a datapoint per metric minute, and a steady provider's
 * item is never rewritten for it. A new process may write a minute's datapoint twice, which
 * averages to the same.
 */
const reportedMinutes = new Map<string, number>();

const reportReservation = async (deps: Deps, provider: CapacityProviderRecord, reservation: number, now: EpochMs) => {
  const key = `${deps.scope.accountId}#${provider.name}#${provider.createdAt}`;
  const minute = Math.floor((now * deps.timeScale) / 60_000);
  if (reportedMinutes.get(key) === minute) return;
  await deps.metrics.putDatapoints(
      {
        Namespace: MANAGED_SCALING_NAMESPACE,
        MetricName: RESERVATION_METRIC,
        Dimensions: [
          { Name: 'CapacityProviderName', Value: provider.name },
          { Name: 'ClusterName', Value: provider.clusterName! },
        ],
      },
      [{ Timestamp: now, Value: reservation, Unit: 'Percent' }],
    );
  reportedMinutes.set(key, minute);
};

/** Deregisters an instance that has no task, at the version read; false when it changed meanwhile. */
const deregisterIdle = async (deps: Deps, record: ContainerInstanceRecord): Promise<boolean> => {
  try {
    await deps.containerInstances.deregister({ ...record, status: 'INACTIVE', version: record.version + 1 });
    return true;
  } catch (error) {
    if (error instanceof ConflictException) return false;
    throw error;
  }
};
