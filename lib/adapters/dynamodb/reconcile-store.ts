import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { arns, clusterNameOf, scopeOf } from '../../domain/arn';
import { parseTaskDefinitionRef } from '../../domain/task-definition';
import type { ServiceState } from '../../domain/service';
import type { ClusterFleet, EpochMs, ServiceEvent, TaskDefinition } from '../../domain/model';
import type { TaskRecord } from '../../domain/task';
import type { Lease, ReconcileStore, ServiceCommit, ServiceSlice, ShardPage } from '../../ports';
import {
  accountOf,
  RECONCILE_INDEX,
  serviceEventsKey,
  serviceItem,
  shardKey,
  taskItem,
  taskKey,
  toService,
  toTask,
} from './fleet-items';
import { eachAtMost } from '../../concurrency';
import { cancellationCodes, consistentGetMany, isConditionFailure, keys, putAtVersion, queryPages, translateThrottling, type Key, type TableContext } from './table';
import { fromDocument, type StoredDocument } from './task-definition-repository';

/**
 * The reconciler's view of the table. One Query of the reconcile index per shard, read page by
 * page, yields every live service with its live tasks (eventually consistent: the writes below are conditional, so a stale
 * read can only lose a race, never corrupt). Every write is a transaction that also checks the
 * shard's lease and fencing token, so a reconciler whose lease expired cannot write.
 *
 * The lease items are the one exception to account-scoped keys: a shard spans accounts. A lease's
 * expiry is `leaseUntil`, in milliseconds: never `expiresAt`, which is the table's TTL attribute (in
 * seconds) and would have DynamoDB delete the lease item.
 */
const leaseKey = (shard: number) => ({ PK: 'SYSTEM', SK: `LEASE#${shard}` });

/** DynamoDB's limits on one TransactWriteItems: 100 actions and 4 MB (kept well below: sizes are estimated). */
const MAX_TRANSACTION_ACTIONS = 100;
const MAX_TRANSACTION_BYTES = 3_500_000;
/** Transactions of one commitServices in flight at once. */
const TRANSACTIONS_AT_ONCE = 4;
const sizeOf = (action: object) => Buffer.byteLength(JSON.stringify(action));
const fitsOneTransaction = (actions: object[]) =>
  actions.length <= MAX_TRANSACTION_ACTIONS && actions.reduce((sum, action) => sum + sizeOf(action), 0) <= MAX_TRANSACTION_BYTES;

export class DynamoReconcileStore implements ReconcileStore {
  private consumedWriteUnits = 0;
  private consumedReadUnits = 0;

  constructor(
    private readonly table: TableContext,
    private readonly shards: number,
    private readonly retentionMs: number,
    /** Items per page of the reconcile index; DynamoDB's own 1 MB page when unset. */
    private readonly pageSize?: number,
  ) {}

  writeUnits(): number {
    return this.consumedWriteUnits;
  }

  readUnits(): number {
    return this.consumedReadUnits;
  }

  /** loadEvents calls made in the same turn of the event loop, read together. */
  private eventReads: Array<{ key: Key; resolve: (events: ServiceEvent[]) => void; reject: (error: unknown) => void }> = [];

  /**
   * The events of services prepared side by side are read in one BatchGetItem (strongly consistent):
   * a pass that adds events to 1,000 services reads them in 10 round trips, not 1,000.
   */
  loadEvents(service: ServiceState): Promise<ServiceEvent[]> {
    const key = serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName);
    return new Promise((resolve, reject) => {
      if (!this.eventReads.length) setImmediate(() => void this.readEvents());
      this.eventReads.push({ key, resolve, reject });
    });
  }

  private async readEvents(): Promise<void> {
    const reads = this.eventReads;
    this.eventReads = [];
    try {
      const items = await consistentGetMany(this.table, reads.map((read) => read.key));
      for (const read of reads) read.resolve((items.get(read.key)?.events as ServiceEvent[] | undefined) ?? []);
    } catch (error) {
      for (const read of reads) read.reject(error);
    }
  }

  async task(accountId: string, clusterName: string, taskId: string): Promise<TaskRecord | undefined> {
    const { Item } = await this.table.client
      .send(new GetCommand({ TableName: this.table.tableName, Key: taskKey(accountId, clusterName, taskId), ConsistentRead: true }))
      .catch(translateThrottling);
    return Item ? toTask(Item) : undefined;
  }

  async clusterFleet(clusterArn: string): Promise<ClusterFleet | undefined> {
    const scope = scopeOf(clusterArn);
    const { Item, ConsumedCapacity } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(scope.accountId), SK: keys.clusterItem(clusterNameOf(scope, clusterArn)!) },
          ProjectionExpression: 'fleet',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      .catch(translateThrottling);
    this.consumedReadUnits += ConsumedCapacity?.CapacityUnits ?? 0;
    return Item?.fleet as ClusterFleet | undefined;
  }

  async taskDefinition(arn: string): Promise<TaskDefinition | undefined> {
    const { family, revision } = parseTaskDefinitionRef(arn);
    if (revision === undefined) return undefined;
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(accountOf(arn)), SK: keys.taskDefinitionItem(family, revision) },
        }),
      )
      .catch(translateThrottling);
    return Item ? fromDocument(Item.taskDefinition as StoredDocument) : undefined;
  }

  /**
   * The reconcile index sorts a service's tasks right after the service (see fleet-items.ts), so a
   * slice is complete once the next service's item, or the end of the shard, has been read.
   */
  async *shardPages(shard: number): AsyncGenerator<ShardPage> {
    let pending: ServiceSlice | undefined;
    const pages = queryPages(this.table, {
      IndexName: RECONCILE_INDEX,
      KeyConditionExpression: 'GSI1PK = :shard',
      ExpressionAttributeValues: { ':shard': shardKey(shard) },
      ReturnConsumedCapacity: 'TOTAL',
      ...(this.pageSize ? { Limit: this.pageSize } : {}),
    });
    for await (const page of pages) {
      const readUnits = page.ConsumedCapacity?.CapacityUnits ?? 0;
      this.consumedReadUnits += readUnits;
      const services: ServiceSlice[] = [];
      const standalone: TaskRecord[] = [];
      for (const item of page.Items ?? []) {
        if (item.kind === 'service') {
          if (pending) services.push(pending);
          pending = { service: toService(item), tasks: [] };
        } else if (item.kind === 'task') {
          const task = toTask(item);
          if (!task.serviceName) standalone.push(task);
          // A task whose service left the index (deleted) has no slice to join; it is skipped as before.
          else if (pending?.service.serviceArn === arns.service(scopeOf(task.taskArn), task.clusterName, task.serviceName)) {
            pending.tasks.push(task);
          }
        }
      }
      if (!page.LastEvaluatedKey && pending) services.push(pending);
      yield { services, standalone, readUnits };
    }
  }

  async acquireLease(shard: number, holder: string, now: EpochMs, ttlMs: number): Promise<Lease | undefined> {
    try {
      const { Attributes, ConsumedCapacity } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: leaseKey(shard),
          // Every acquisition, even by the same holder, gets a new fencing token: a write prepared
          // under an earlier one is fenced out. Extending a lease held is renewLease's.
          UpdateExpression: 'SET holder = :holder, leaseUntil = :until, #token = if_not_exists(#token, :zero) + :step REMOVE expiresAt',
          ConditionExpression:
            'attribute_not_exists(PK) OR attribute_not_exists(leaseUntil) OR holder = :holder OR leaseUntil < :now',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: {
            ':holder': holder,
            ':until': now + ttlMs,
            ':now': now,
            ':zero': 0,
            ':step': 1,
          },
          ReturnValues: 'ALL_NEW',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.consumedWriteUnits += ConsumedCapacity?.CapacityUnits ?? 0;
      return { shard, holder, token: Attributes!.token as number, expiresAt: Attributes!.leaseUntil as number };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      return translateThrottling(error);
    }
  }

  async renewLease(lease: Lease, now: EpochMs, ttlMs: number): Promise<Lease | undefined> {
    try {
      const { ConsumedCapacity } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: leaseKey(lease.shard),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'holder = :holder AND #token = :token AND leaseUntil > :now',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':holder': lease.holder, ':token': lease.token, ':now': now, ':until': now + ttlMs },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.consumedWriteUnits += ConsumedCapacity?.CapacityUnits ?? 0;
      return { ...lease, expiresAt: now + ttlMs };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      return translateThrottling(error);
    }
  }

  async releaseLease(lease: Lease): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: leaseKey(lease.shard),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: 'holder = :holder AND #token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':zero': 0, ':holder': lease.holder, ':token': lease.token },
        }),
      );
    } catch (error) {
      // Someone else holds it already: nothing to release.
      if (!isConditionFailure(error)) translateThrottling(error);
    }
  }

  private leaseCheck(lease: Lease, now: EpochMs) {
    return {
      ConditionCheck: {
        TableName: this.table.tableName,
        Key: leaseKey(lease.shard),
        ConditionExpression: 'holder = :holder AND #token = :token AND leaseUntil > :now',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':holder': lease.holder, ':token': lease.token, ':now': now },
      },
    };
  }

  private taskPut(task: TaskRecord, isNew: boolean) {
    const item = taskItem(task, this.shards, this.retentionMs);
    return {
      Put: isNew
        ? { TableName: this.table.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' }
        : putAtVersion(this.table.tableName, item),
    };
  }

  private async transact(items: object[]): Promise<boolean> {
    return (await this.transactOrReasons(items)) === undefined;
  }

  /** Undefined when the transaction committed; else why each of its items failed ('None' for those that did not). */
  private async transactOrReasons(items: object[]): Promise<string[] | undefined> {
    try {
      const { ConsumedCapacity } = await this.table.client.send(
        new TransactWriteCommand({ TransactItems: items as never, ReturnConsumedCapacity: 'TOTAL' }),
      );
      this.consumedWriteUnits += (ConsumedCapacity ?? []).reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
      return undefined;
    } catch (error) {
      if (isConditionFailure(error)) return cancellationCodes(error);
      return translateThrottling(error);
    }
  }

  /** A service's actions: what must be atomic (the decisions) and the observations that may go first. */
  private serviceActions(commit: ServiceCommit) {
    const { service } = commit;
    const atomic = [
      { Put: putAtVersion(this.table.tableName, serviceItem(service, this.shards)) },
      ...(commit.events
        ? [
            {
              Put: {
                TableName: this.table.tableName,
                Item: {
                  ...serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName),
                  events: commit.events,
                },
              },
            },
          ]
        : []),
      ...commit.newTasks.map((task) => this.taskPut(task, true)),
      ...commit.changedTasks.map((task) => this.taskPut(task, false)),
      ...(commit.removedTasks ?? []).map((task) => this.taskDelete(task)),
    ];
    const observed = (commit.observedTasks ?? []).map((task) => this.taskPut(task, false));
    return { atomic, observed };
  }

  async commitService(lease: Lease, commit: ServiceCommit, now: EpochMs): Promise<boolean> {
    return (await this.commitServices(lease, [commit], now))[0];
  }

  /**
   * Several services' commits share transactions (each service's actions whole, one lease check per
   * transaction): a page of services that all change costs a round trip and a lease check per
   * transaction of up to 100 actions instead of per service. A transaction cancelled because some
   * services' conditions failed (a version moved on) says which: those services lose their race,
   * the others are committed again without them. A lost lease fails them all.
   */
  async commitServices(lease: Lease, commits: ServiceCommit[], now: EpochMs): Promise<boolean[]> {
    const started = performance.now();
    const committed = commits.map(() => false);
    const check = this.leaseCheck(lease, now);
    let pending: Array<{ index: number; actions: object[]; bytes: number }> = [];
    for (const [index, commit] of commits.entries()) {
      const { atomic, observed } = this.serviceActions(commit);
      const actions = [...atomic, ...observed];
      if (fitsOneTransaction([check, ...actions])) {
        pending.push({ index, actions, bytes: actions.reduce((sum, action) => sum + sizeOf(action), 0) });
        continue;
      }
      // Too much for one transaction: observations first (each batch fenced too), then the service.
      if (!fitsOneTransaction([check, ...atomic])) {
        throw new Error(`a service commit of ${atomic.length} actions exceeds one DynamoDB transaction`);
      }
      committed[index] = (await this.commitInBatches(lease, observed, now)) && (await this.transact([check, ...atomic]));
    }
    const batches: Array<typeof pending> = [];
    let actions = Infinity;
    let bytes = 0;
    for (const group of pending) {
      if (actions + group.actions.length > MAX_TRANSACTION_ACTIONS || bytes + group.bytes > MAX_TRANSACTION_BYTES) {
        batches.push([]);
        actions = 1;
        bytes = sizeOf(check);
      }
      batches.at(-1)!.push(group);
      actions += group.actions.length;
      bytes += group.bytes;
    }
    // The transactions touch different items: several are in flight at once.
    let leaseLost = false;
    const commitBatch = async (batch: typeof pending): Promise<void> => {
      if (leaseLost) return;
      // The lease is checked against the time of each transaction, not of the first one.
      const checkNow = this.leaseCheck(lease, now + (performance.now() - started));
      const reasons = await this.transactOrReasons([checkNow, ...batch.flatMap((group) => group.actions)]);
      if (reasons === undefined) {
        for (const group of batch) committed[group.index] = true;
        return;
      }
      if (batch.length === 1) return; // that service lost its race (or the lease is lost)
      if (reasons[0] !== undefined && reasons[0] !== 'None') {
        leaseLost = true; // nothing more can be written
        return;
      }
      // The services whose actions failed lost their race; the others go again without them.
      let offset = 1;
      const retry: typeof pending = [];
      for (const group of batch) {
        const own = reasons.slice(offset, offset + group.actions.length);
        offset += group.actions.length;
        if (own.every((code) => code === 'None')) retry.push(group);
      }
      if (retry.length < batch.length) return commitBatch(retry);
      // No reason names a service: each goes again on its own.
      for (const group of batch) await commitBatch([group]);
    };
    await eachAtMost(TRANSACTIONS_AT_ONCE, batches, commitBatch);
    return committed;
  }

  async commitTasks(lease: Lease, tasks: TaskRecord[], now: EpochMs): Promise<boolean> {
    return this.commitInBatches(
      lease,
      tasks.map((task) => this.taskPut(task, false)),
      now,
    );
  }

  /** Writes the actions in transactions within DynamoDB's limits, each with the lease check; false at the first conflict. */
  private async commitInBatches(lease: Lease, actions: object[], now: EpochMs): Promise<boolean> {
    const check = this.leaseCheck(lease, now);
    let batch: object[] = [check];
    let bytes = sizeOf(check);
    for (const action of actions) {
      const size = sizeOf(action);
      if (batch.length > 1 && (batch.length >= MAX_TRANSACTION_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES)) {
        if (!(await this.transact(batch))) return false;
        batch = [check];
        bytes = sizeOf(check);
      }
      batch.push(action);
      bytes += size;
    }
    return batch.length === 1 || this.transact(batch);
  }

  private taskDelete(task: TaskRecord) {
    return {
      Delete: {
        TableName: this.table.tableName,
        Key: taskKey(accountOf(task.taskArn), task.clusterName, task.taskId),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': task.version },
      },
    };
  }

  async liveTaskIds(): Promise<ReadonlySet<string>> {
    const ids = new Set<string>();
    for (let shard = 0; shard < this.shards; shard++) {
      for await (const { services, standalone } of this.shardPages(shard)) {
        for (const { tasks } of services) for (const task of tasks) ids.add(task.taskId);
        for (const task of standalone) ids.add(task.taskId);
      }
    }
    return ids;
  }
}
