import type { Cluster, EpochMs, Tag, TaskDefinition, TaskDefinitionStatus } from './domain/model';
import type { ValidatedTaskDefinition } from './domain/task-definition';

/** Narrow persistence ports. Adapters (lib/adapters/) implement them and throw domain errors only. */

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PageRequest {
  maxResults: number;
  nextToken?: string;
}

export interface ClusterRepository {
  /** Creates the cluster, or returns the existing ACTIVE one unchanged (CreateCluster is idempotent). */
  create(clusterName: string, tags: Tag[] | undefined, now: EpochMs): Promise<Cluster>;
  get(clusterName: string): Promise<Cluster | undefined>;
  list(page: PageRequest): Promise<Page<string>>;
  /** Marks the cluster INACTIVE; refuses with ClusterContainsServicesException while it has services. */
  delete(clusterName: string): Promise<Cluster>;
}

export interface TaskDefinitionListRequest extends PageRequest {
  familyPrefix?: string;
  status: TaskDefinitionStatus;
  sort: 'ASC' | 'DESC';
}

export interface FamilyListRequest extends PageRequest {
  familyPrefix?: string;
  status: 'ACTIVE' | 'INACTIVE' | 'ALL';
}

export interface StoredTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

export interface TaskDefinitionRepository {
  /** Stores the next revision of the family: revisions are 1, 2, 3... with no gap or duplicate. */
  register(definition: ValidatedTaskDefinition, now: EpochMs): Promise<StoredTaskDefinition>;
  get(family: string, revision: number): Promise<StoredTaskDefinition | undefined>;
  latestActive(family: string): Promise<StoredTaskDefinition | undefined>;
  list(request: TaskDefinitionListRequest): Promise<Page<TaskDefinition>>;
  listFamilies(request: FamilyListRequest): Promise<Page<string>>;
  deregister(family: string, revision: number, now: EpochMs): Promise<TaskDefinition>;
}
