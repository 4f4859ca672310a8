import { isFargateProvider } from '../domain/capacity-provider';
import type { ContainerInstanceRecord } from '../domain/container-instance';
import type { EpochMs, TaskDefinition } from '../domain/model';
import { requirementsOf, type ClusterInstances, type TaskRequirements } from '../domain/placement';
import type { ServiceState } from '../domain/service';
import type { ClusterCapacity, ServicePlan } from './plan';

/**
 * What the reconciler knows of the container instances while it passes over a page of services:
 * each cluster's instances with what is left, read once per page for the EC2 services in it, then
 * charged by each service's plan in turn (so two services planned in one pass never take the same
 * capacity), and the version each instance is at as the page's commits land (every commit that
 * places a task on an instance bumps its version on the version it read: launches on one instance
 * serialize, whoever makes them).
 */

/** The provider an EC2 service's tasks wait for when no instance can take them: its strategy's Auto Scaling group provider. */
export const waitingProviderOf = (service: ServiceState): string | undefined =>
  service.capacityProviderStrategy?.find((item) => !isFargateProvider(item.capacityProvider))?.capacityProvider;

/** The task definitions an EC2 service may launch from in a pass: its primary's, and the rollback target's. */
export const launchableDefinitions = (service: ServiceState): string[] => [
  ...new Set([service.taskDefinition, ...(service.lastCompleted ? [service.lastCompleted.taskDefinition] : [])]),
];

export const isEc2Service = (service: ServiceState) => service.launchType === 'EC2';

export class PageCapacity {
  /** Each cluster's instances as the plans so far left them. */
  private readonly clusters = new Map<string, ClusterInstances>();
  /** Each instance's version as stored, advanced by this page's commits. */
  private readonly versions = new Map<string, number>();
  private readonly requirements = new Map<string, Map<string, TaskRequirements>>();
  private readonly definitions = new Map<string, TaskDefinition>();

  private constructor(private readonly zones: Map<string, string>) {}

  /**
   * Reads the instances of every cluster the page's EC2 services run on (a cluster whose read fails
   * is left out: its services launch nothing this pass) and what each service's tasks need.
   */
  static async forPage(
    services: readonly ServiceState[],
    load: (clusterArn: string, now: EpochMs) => Promise<ClusterInstances>,
    definitions: (references: string[]) => Promise<Map<string, TaskDefinition | undefined>>,
    zones: Map<string, string>,
    now: EpochMs,
    onError: (clusterArn: string, error: unknown) => void,
  ): Promise<PageCapacity> {
    const capacity = new PageCapacity(zones);
    const ec2 = services.filter(isEc2Service);
    if (!ec2.length) return capacity;
    await Promise.all(
      [...new Set(ec2.map((service) => service.clusterArn))].map(async (clusterArn) => {
        try {
          const loaded = await load(clusterArn, now);
          capacity.clusters.set(clusterArn, loaded);
          for (const instance of loaded.instances) {
            capacity.versions.set(instance.id, instance.version);
            zones.set(instance.id, instance.availabilityZone);
          }
        } catch (error) {
          onError(clusterArn, error);
        }
      }),
    );
    const found = await definitions([...new Set(ec2.flatMap(launchableDefinitions))]);
    for (const service of ec2) {
      const needs = new Map<string, TaskRequirements>();
      for (const reference of launchableDefinitions(service)) {
        const definition = found.get(reference);
        if (!definition) continue;
        capacity.definitions.set(reference, definition);
        needs.set(reference, requirementsOf(definition, `service:${service.serviceName}`));
      }
      capacity.requirements.set(service.serviceArn, needs);
    }
    return capacity;
  }

  /** What the service's plan places against; undefined for Fargate, or when its cluster could not be read. */
  forService(service: ServiceState): ClusterCapacity | undefined {
    const cluster = isEc2Service(service) ? this.clusters.get(service.clusterArn) : undefined;
    if (!cluster) return undefined;
    const waitingProvider = waitingProviderOf(service);
    return {
      // An Auto Scaling group provider's tasks go on its group's instances only.
      instances: waitingProvider ? cluster.instances.filter((instance) => instance.capacityProviderName === waitingProvider) : cluster.instances,
      taskGroups: cluster.taskGroups,
      requirements: this.requirements.get(service.serviceArn) ?? new Map(),
      ...(waitingProvider ? { waitingProvider } : {}),
    };
  }

  /** The instances as the service's plan left them (those it was given: its provider's), for the next service of the cluster. */
  planned(service: ServiceState, plan: ServicePlan): void {
    const cluster = this.clusters.get(service.clusterArn);
    if (!cluster || !plan.instances || !plan.taskGroups) return;
    const charged = new Map(plan.instances.map((instance) => [instance.id, instance]));
    this.clusters.set(service.clusterArn, {
      instances: cluster.instances.map((instance) => charged.get(instance.id) ?? instance),
      taskGroups: new Map([...cluster.taskGroups, ...plan.taskGroups]),
    });
  }

  definition(reference: string): TaskDefinition | undefined {
    return this.definitions.get(reference);
  }

  requirementsFor(service: ServiceState, taskDefinition: string): TaskRequirements | undefined {
    return this.requirements.get(service.serviceArn)?.get(taskDefinition);
  }

  /** The instances to charge a commit to, at the versions they are stored at now. */
  instancesAtVersion(clusterArn: string): ContainerInstanceRecord[] {
    return (this.clusters.get(clusterArn)?.instances ?? []).map((instance) => ({
      ...instance,
      version: this.versions.get(instance.id) ?? instance.version,
    }));
  }

  /** A commit that charged these instances landed: each moved one version on. */
  charged(instanceIds: readonly string[]): void {
    for (const id of new Set(instanceIds)) {
      const version = this.versions.get(id);
      if (version !== undefined) this.versions.set(id, version + 1);
    }
  }

  zoneOf(instanceId: string): string | undefined {
    return this.zones.get(instanceId);
  }
}
