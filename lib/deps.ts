import type { ArnScope } from './domain/arn';
import type { EpochMs } from './domain/model';
import type { FleetResolver } from './fleet/resolver';
import type {
  ClusterRepository,
  ContainerInstanceRepository,
  ReconcileTrigger,
  ServiceRepository,
  TaskDefinitionRepository,
  TaskRepository,
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
  containerInstances: ContainerInstanceRepository;
  fleets: FleetResolver;
  trigger: ReconcileTrigger;
  /** How many reconcile shards there are: a wake-up names the changed service's (domain/shard.ts). */
  reconcileShards: number;
}
