import type { ArnScope } from './domain/arn';
import type { EpochMs } from './domain/model';
import type { ClusterRepository, TaskDefinitionRepository } from './ports';

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
}
