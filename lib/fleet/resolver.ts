import { ECSClient } from '@aws-sdk/client-ecs';
import { scopeOf } from '../domain/arn';
import type { ClusterFleet, FargateSettings } from '../domain/model';
import { InvalidParameterException } from '../errors';
import type { FleetBackend } from './backend';
import { ECS_RETRY, FargateFleet } from './fargate';

/** Which backend runs a cluster's tasks. */
export interface FleetResolver {
  settingsFor(fleet: ClusterFleet | undefined): ClusterFleet;
  forCluster(cluster: { clusterArn: string; fleet?: ClusterFleet }): FleetBackend;
}

/**
 * Each cluster runs on the simulated fleet or on real Fargate, by its own setting, else the
 * stage's. One FargateFleet (and one ECSClient) is built per distinct target and account, once,
 * and reused: its launch limiter and registration cache must be shared by every launch to it.
 */
export class ClusterFleets implements FleetResolver {
  private readonly fargateFleets = new Map<string, FleetBackend>();

  constructor(
    private readonly simulated: FleetBackend,
    private readonly defaults: ClusterFleet,
    private readonly region: string,
    /**
     * Hosted mode: Fargate (and any endpoint override, an SSRF) is refused to every tenant.
     * `taskEventsCluster`: the ECS cluster whose "ECS Task State Change" events reach the reconciler
     * (the deployed stage's fargateCluster), in this region and without an endpoint override.
     */
    private readonly policy: { simulatedOnly: boolean; taskEventsCluster?: string } = { simulatedOnly: false },
    private readonly fargateFleet: (
      client: ECSClient,
      settings: Required<Pick<FargateSettings, 'cluster' | 'subnets'>> & FargateSettings,
      familyPrefix: string,
      taskEvents: boolean,
    ) => FleetBackend = (client, settings, familyPrefix, taskEvents) => new FargateFleet(client, { ...settings, familyPrefix }, { taskEvents }),
  ) {}

  /** The settings a cluster would run with; InvalidParameterException when Fargate lacks a target. */
  settingsFor(fleet: ClusterFleet | undefined): ClusterFleet {
    const backend = fleet?.backend ?? this.defaults.backend;
    if (this.policy.simulatedOnly && (backend !== 'simulated' || fleet?.fargate)) {
      throw new InvalidParameterException(
        "Invalid 'fleet': this hosted sandbox runs tasks on the simulated fleet only; Fargate and its settings (endpoint included) are not available.",
      );
    }
    if (backend === 'simulated') return { backend };
    const fargate = { ...this.defaults.fargate, ...fleet?.fargate };
    if (!fargate.cluster || !fargate.subnets?.length) {
      throw new InvalidParameterException(
        "Invalid 'fleet.fargate': a Fargate cluster needs an ECS cluster and subnets (here or in the stage parameters fargateCluster and fargateSubnets).",
      );
    }
    return { backend, fargate };
  }

  forCluster(cluster: { clusterArn: string; fleet?: ClusterFleet }): FleetBackend {
    const settings = this.settingsFor(cluster.fleet);
    if (settings.backend === 'simulated') return this.simulated;
    const { accountId } = scopeOf(cluster.clusterArn);
    const key = JSON.stringify([accountId, settings.fargate]);
    let fleet = this.fargateFleets.get(key);
    if (!fleet) {
      const { endpoint, region, ...target } = settings.fargate!;
      const client = new ECSClient({ region: region ?? this.region, ...ECS_RETRY, ...(endpoint ? { endpoint } : {}) });
      const taskEvents = !endpoint && (region ?? this.region) === this.region && target.cluster === this.policy.taskEventsCluster;
      // Families are scoped by ecsbox account, so tenants sharing a target cannot collide.
      fleet = this.fargateFleet(client, target as Required<Pick<FargateSettings, 'cluster' | 'subnets'>>, `ecsbox-${accountId}-`, taskEvents);
      this.fargateFleets.set(key, fleet);
    }
    return fleet;
  }
}
