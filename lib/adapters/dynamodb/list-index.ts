import { keys, type IndexQuery, type Key } from './table';

/**
 * The list index (GSI2): hash key the item's own `PK`, sort key `GSI2SK`, set only on what a List
 * call returns. Each List* operation is one Query of a key range holding exactly the items it can
 * answer with, so its cost follows the page it returns, not the partition's history (stopped
 * tasks, event lists, inactive clusters and revisions stay out of its range). See
 * docs/data-model.md.
 */
export const LIST_INDEX = 'GSI2';

export const listKeys = {
  /** ACTIVE clusters only. */
  cluster: (clusterName: string) => keys.clusterItem(clusterName),
  /** ACTIVE and DRAINING services (not their events items). */
  service: (serviceName: string) => keys.serviceItem(serviceName),
  /** Every task, grouped by its desiredStatus, as ListTasks filters them. */
  taskPrefix: (desiredStatus: string) => `TASK#${desiredStatus}#`,
  task: (desiredStatus: string, taskId: string) => `${listKeys.taskPrefix(desiredStatus)}${taskId}`,
  /** Revisions grouped by status, then sorted by family and revision as ListTaskDefinitions sorts them. */
  taskDefinitionPrefix: (status: string, family?: string) => `TD#${status}#${family === undefined ? '' : `${family}#`}`,
  taskDefinition: (status: string, family: string, revision: number) =>
    listKeys.taskDefinitionAt(status, keys.taskDefinitionItem(family, revision)),
  /** The same, from the revision item's sort key (`TD#<family>#<revision>`). */
  taskDefinitionAt: (status: string, itemSortKey: string) => `TD#${status}#${itemSortKey.slice('TD#'.length)}`,
};

/** Reads a List* range of the list index; page tokens rebuild the index key with `sortKeyOf`. */
export const listIndexQuery = (sortKeyOf: (key: Key) => string): IndexQuery => ({
  indexName: LIST_INDEX,
  sortKeyName: 'GSI2SK',
  sortKeyOf,
});
