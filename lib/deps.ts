import type { ArnScope } from './domain/arn';
import type { EpochMs } from './domain/model';
import type { FleetResolver } from './fleet/resolver';
import type { PriceTable } from './metering/prices';
import type { UsageLedger } from './metering/usage-ledger';
import type {
  CapacityProviderRepository,
  ClusterRepository,
  QuotaSource,
  ContainerInstanceRepository,
  ReconcileTrigger,
  MetricsRepository,
  ScalingRepository,
  ServiceRepository,
  TaskDefinitionRepository,
  TaskRepository,
  UsageStore,
} from './ports';

export interface Clock {
  now(): EpochMs;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What every use case may touch: ports and settings, never SDK clients. */
export interface Deps {
  clock: Clock;
  scope: ArnScope;
  clusters: ClusterRepository;
  taskDefinitions: TaskDefinitionRepository;
  services: ServiceRepository;
  tasks: TaskRepository;
  /** Application Auto Scaling's scalable targets, policies, scheduled actions and activities. */
  scaling: ScalingRepository;
  /** Services' loads, CloudWatch alarms and custom metrics. */
  metrics: MetricsRepository;
  /** Metric seconds per real second: 12 on the fast profile (a metric minute lasts 5 s), 1 otherwise. */
  timeScale: number;
  /** Wakes the scaling controller after a change to what it acts on (a target, a policy, a load). */
  scalingTrigger: ReconcileTrigger;
  containerInstances: ContainerInstanceRepository;
  /** Auto Scaling group capacity providers and their simulated groups. */
  capacityProviders: CapacityProviderRepository;
  /** Wakes the capacity controller when tasks wait for capacity or a provider changes. */
  capacityTrigger: ReconcileTrigger;
  fleets: FleetResolver;
  trigger: ReconcileTrigger;
  /** How many reconcile shards there are: a wake-up names the changed service's (domain/shard.ts). */
  reconcileShards: number;
  /** Every account's quotas (domain/quotas.ts). */
  quotas: QuotaSource;
  /** The cost meter's store, and how it counts and prices (lib/metering). */
  usage: UsageStore;
  /** This container's requests' usage on its way to `usage` (one per container, shared by every account). */
  usageLedger: UsageLedger;
  metering: MeterSettings;
}

export interface MeterSettings {
  enabled: boolean;
  /** The API functions' memory, at which a request's duration is priced. */
  lambdaMemoryMb: number;
  prices: PriceTable;
  /**
   * Write a request's usage before answering it (hosted mode) rather than in the ledger's next
   * window: a tenant purged right after its last request must not get a usage item back from a
   * window still open (lib/metering/usage-ledger.ts).
   */
  recordBeforeAnswer: boolean;
}
