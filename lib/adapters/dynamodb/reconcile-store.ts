import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapConcurrently } from '../../concurrency';
import { arns, clusterNameOf, scopeOf } from '../../domain/arn';
import { parseTaskDefinitionRef } from '../../domain/task-definition';
import type { ServiceState } from '../../domain/service';
import type { ClusterFleet, EpochMs, ServiceEvent, TaskDefinition } from '../../domain/model';
import type { TaskRecord } from '../../domain/task';
import type { ContainerInstanceRecord } from '../../domain/container-instance';
import type { DueTarget, Lease, ReconcileStore, ServiceCommit, ServiceName, ServiceSlice, ShardPage } from '../../ports';
import {
  accountOf,
  DUE_INDEX,
  dueBound,
  dueOwner,
  RECONCILE_INDEX,
  reconcileOwner,
  serviceEventsKey,
  dueIndexKeys,
  serviceItem,
  serviceItemWrite,
  serviceKey,
  serviceReconcileKeys,
  shardKey,
  storedDueAt,
  taskItem,
  taskKey,
  toService,
  toTask,
} from './fleet-items';
import { cancellationCodes, consistentGet, isConditionFailure, keys, putAtVersion, queryPages, translateThrottling, type TableContext } from './table';
import { fromDocument, type StoredDocument } from './task-definition-repository';
import { launchChargeItems, loadClusterInstances } from './instance-charges';
import type { ClusterInstances } from '../../domain/placement';

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

/** Slices read side by side from one page of due entries: enough to overlap DynamoDB's latency. */
const SLICE_READS_AT_ONCE = 8;
/**
 * A page of due entries naming at least this many owners is read in a sweep of the reconcile index
 * (a round trip per page of items) rather than one Query per owner.
 */
const SWEEP_MIN_OWNERS = 16;

/**
 * Turns reconcile-index items, read in index order over one or more pages, into whole service
 * slices: a slice is held back until the next service's item (or the end of the range) is read.
 */
class SliceReader {
  private pending: ServiceSlice | undefined;

  read(items: Array<Record<string, unknown>>, last: boolean): Omit<ShardPage, 'readUnits'> {
    const services: ServiceSlice[] = [];
    const standalone: TaskRecord[] = [];
    const dues = new Map<string, EpochMs>();
    for (const item of items) {
      const dueAt = storedDueAt(item);
      if (item.kind === 'service') {
        if (this.pending) services.push(this.pending);
        this.pending = { service: toService(item), tasks: [] };
        if (dueAt !== undefined) dues.set(this.pending.service.serviceArn, dueAt);
      } else if (item.kind === 'task') {
        const task = toTask(item);
        if (dueAt !== undefined) dues.set(task.taskId, dueAt);
        if (!task.serviceName) standalone.push(task);
        // A task whose service left the index (deleted) has no slice to join; it is skipped as before.
        else if (this.pending?.service.serviceArn === arns.service(scopeOf(task.taskArn), task.clusterName, task.serviceName)) {
          this.pending.tasks.push(task);
        }
      }
    }
    if (last && this.pending) {
      services.push(this.pending);
      this.pending = undefined;
    }
    return { services, standalone, dues };
  }
}

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

  /**
   * A service's older events (its events item), strongly consistent; read only when its recent
   * events move there. Reads of services committed side by side are one BatchGetItem (consistentGet).
   */
  private async olderEvents(service: ServiceState): Promise<ServiceEvent[]> {
    const item = await consistentGet(this.table, serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName));
    return (item?.events as ServiceEvent[] | undefined) ?? [];
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
    const slicer = new SliceReader();
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
      yield { ...slicer.read(page.Items ?? [], !page.LastEvaluatedKey), readUnits };
    }
  }

  /**
   * What is due by `now`: a page of the due index (keys only, in due order), then the slice of
   * every service (or cluster's standalone group) it names, from the reconcile index. An owner due
   * twice in one page is read once; one due in two pages is read twice, which only costs a read (its
   * second plan finds nothing left to do), so memory stays one page.
   *
   * Few owners are read one Query each, side by side. Many (a deployment, a scale of every
   * service) are read in one sweep of the reconcile index from the first to the last (in key order),
   * keeping only the due owners' items and handing each sweep page's whole slices on as it comes:
   * a round trip per page of items instead of per service. A sweep that finds more than half of what
   * it reads not due (the due owners are sparse in the shard) stops after that page, and the owners
   * left are read one Query each: a sweep never reads much more than twice what is due.
   */
  async *duePages(shard: number, now: EpochMs): AsyncGenerator<ShardPage> {
    const pages = queryPages(this.table, {
      IndexName: DUE_INDEX,
      KeyConditionExpression: 'GSI3PK = :shard AND GSI3SK < :bound',
      ExpressionAttributeValues: { ':shard': shardKey(shard), ':bound': dueBound(now) },
      ReturnConsumedCapacity: 'TOTAL',
      ...(this.pageSize ? { Limit: this.pageSize } : {}),
    });
    for await (const page of pages) {
      const dueUnits = page.ConsumedCapacity?.CapacityUnits ?? 0;
      this.consumedReadUnits += dueUnits;
      // Key order (UTF-8 bytes; names are ASCII), the reconcile index's own.
      const owners = [...new Set((page.Items ?? []).map(dueOwner))].sort();
      const sliced = owners.length >= SWEEP_MIN_OWNERS ? this.sweepOwners(shard, owners) : this.readOwners(shard, owners);
      let first = true;
      for await (const slices of sliced) {
        yield first ? { ...slices, readUnits: slices.readUnits + dueUnits } : slices;
        first = false;
      }
      if (first) yield { services: [], standalone: [], dues: new Map(), readUnits: dueUnits };
    }
  }

  /** The owners' slices, one Query each, side by side, as one page. */
  private async *readOwners(shard: number, owners: string[]): AsyncGenerator<ShardPage> {
    const slices = await mapConcurrently(owners, SLICE_READS_AT_ONCE, (owner) => this.ownerSlice(shard, owner));
    const merged: ShardPage = { services: [], standalone: [], dues: new Map(), readUnits: 0 };
    for (const slice of slices) {
      merged.readUnits += slice.readUnits;
      merged.services.push(...slice.services);
      merged.standalone.push(...slice.standalone);
      for (const [id, dueAt] of slice.dues) (merged.dues as Map<string, EpochMs>).set(id, dueAt);
    }
    yield merged;
  }

  /** The owners' slices (owners in key order) from one sweep of the reconcile index, a page at a time. */
  private async *sweepOwners(shard: number, owners: string[]): AsyncGenerator<ShardPage> {
    const wanted = new Set(owners);
    const slicer = new SliceReader();
    let read = 0;
    let kept = 0;
    const pages = queryPages(this.table, {
      IndexName: RECONCILE_INDEX,
      KeyConditionExpression: 'GSI1PK = :shard AND GSI1SK BETWEEN :first AND :end',
      ExpressionAttributeValues: { ':shard': shardKey(shard), ':first': owners[0], ':end': `${owners.at(-1)}#~` },
      ReturnConsumedCapacity: 'TOTAL',
      ...(this.pageSize ? { Limit: this.pageSize } : {}),
    });
    for await (const page of pages) {
      const readUnits = page.ConsumedCapacity?.CapacityUnits ?? 0;
      this.consumedReadUnits += readUnits;
      const items = page.Items ?? [];
      const due = items.filter((item) => wanted.has(reconcileOwner(item)));
      read += items.length;
      kept += due.length;
      if (!page.LastEvaluatedKey || kept * 2 >= read) {
        yield { ...slicer.read(due, !page.LastEvaluatedKey), readUnits };
        continue;
      }
      // Sparse: the owners from the last one read on (its slice may go on in the next page) one by one.
      const position = reconcileOwner(items.at(-1)!);
      yield { ...slicer.read(due.filter((item) => reconcileOwner(item) !== position), true), readUnits };
      yield* this.readOwners(
        shard,
        owners.filter((owner) => owner >= position),
      );
      return;
    }
  }

  /** One service with its live tasks (or a cluster's standalone tasks): its range of the reconcile index. */
  private async ownerSlice(shard: number, owner: string): Promise<ShardPage> {
    const slicer = new SliceReader();
    const slice: ShardPage = { services: [], standalone: [], dues: new Map(), readUnits: 0 };
    const pages = queryPages(this.table, {
      IndexName: RECONCILE_INDEX,
      // `#~` sorts after the owner's tasks (`#T#...`) and before any name that extends the owner's.
      KeyConditionExpression: 'GSI1PK = :shard AND GSI1SK BETWEEN :owner AND :end',
      ExpressionAttributeValues: { ':shard': shardKey(shard), ':owner': owner, ':end': `${owner}#~` },
      ReturnConsumedCapacity: 'TOTAL',
    });
    for await (const page of pages) {
      const read = slicer.read(page.Items ?? [], !page.LastEvaluatedKey);
      const readUnits = page.ConsumedCapacity?.CapacityUnits ?? 0;
      this.consumedReadUnits += readUnits;
      slice.readUnits += readUnits;
      slice.services.push(...read.services);
      slice.standalone.push(...read.standalone);
      for (const [id, dueAt] of read.dues) (slice.dues as Map<string, EpochMs>).set(id, dueAt);
    }
    return slice;
  }

  async nextDueAt(shard: number): Promise<EpochMs | undefined> {
    const { Items, ConsumedCapacity } = await this.table.client
      .send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'GSI3PK = :shard',
          ExpressionAttributeValues: { ':shard': shardKey(shard) },
          Limit: 1,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      .catch(translateThrottling);
    this.consumedReadUnits += ConsumedCapacity?.CapacityUnits ?? 0;
    return Items?.[0] ? storedDueAt(Items[0]) : undefined;
  }

  async dueShards(now: EpochMs): Promise<number[]> {
    const due = await Promise.all(
      Array.from({ length: this.shards }, async (_, shard) => {
        const { Count, ConsumedCapacity } = await this.table.client
          .send(
            new QueryCommand({
              TableName: this.table.tableName,
              IndexName: DUE_INDEX,
              KeyConditionExpression: 'GSI3PK = :shard AND GSI3SK < :bound',
              ExpressionAttributeValues: { ':shard': shardKey(shard), ':bound': dueBound(now) },
              Limit: 1,
              ReturnConsumedCapacity: 'TOTAL',
            }),
          )
          .catch(translateThrottling);
        this.consumedReadUnits += ConsumedCapacity?.CapacityUnits ?? 0;
        return Count ? [shard] : [];
      }),
    );
    return due.flat();
  }

  async setDue(target: DueTarget, dueAt: EpochMs | undefined): Promise<boolean> {
    const item =
      'service' in target
        ? serviceItem(target.service, this.shards, dueAt)
        : taskItem(target.task, this.shards, this.retentionMs, dueAt);
    const set = dueAt !== undefined && 'GSI3PK' in item;
    try {
      const { ConsumedCapacity } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { PK: item.PK, SK: item.SK },
          UpdateExpression: set ? 'SET GSI3PK = :pk, GSI3SK = :sk' : 'REMOVE GSI3PK, GSI3SK',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: {
            ':version': item.version,
            ...(set ? { ':pk': item.GSI3PK, ':sk': item.GSI3SK } : {}),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.consumedWriteUnits += ConsumedCapacity?.CapacityUnits ?? 0;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return translateThrottling(error);
    }
  }

  async setServiceDue(lease: Lease, service: ServiceName, dueAt: EpochMs, now: EpochMs): Promise<boolean> {
    const { accountId, clusterName, serviceName } = service;
    const due = dueIndexKeys(serviceReconcileKeys(accountId, clusterName, serviceName, this.shards), dueAt);
    return this.transact([
      this.leaseCheck(lease, now),
      {
        Update: {
          TableName: this.table.tableName,
          Key: serviceKey(accountId, clusterName, serviceName),
          UpdateExpression: 'SET GSI3PK = :pk, GSI3SK = :sk',
          // Only a live service (in the reconcile index) is ever due.
          ConditionExpression: 'attribute_exists(GSI1PK)',
          ExpressionAttributeValues: { ':pk': due.GSI3PK, ':sk': due.GSI3SK },
        },
      },
    ]);
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

  private taskPut(task: TaskRecord, isNew: boolean, dueAt?: EpochMs) {
    const item = taskItem(task, this.shards, this.retentionMs, dueAt);
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
  private async serviceActions(commit: ServiceCommit) {
    const { service } = commit;
    const write = await serviceItemWrite(service, this.shards, commit.dueAt, () => this.olderEvents(service));
    const atomic = [
      { Put: putAtVersion(this.table.tableName, write.service) },
      ...(write.olderEvents ? [{ Put: { TableName: this.table.tableName, Item: write.olderEvents } }] : []),
      ...commit.newTasks.map((task) => this.taskPut(task, true)),
      ...commit.changedTasks.map((task) => this.taskPut(task, false)),
      ...(commit.removedTasks ?? []).map((task) => this.taskDelete(task)),
      ...(commit.instanceCharges ? launchChargeItems(this.table.tableName, commit.instanceCharges.instances, commit.instanceCharges.tasks) : []),
    ];
    const observed = (commit.observedTasks ?? []).map((task) => this.taskPut(task, false));
    return { atomic, observed };
  }

  clusterInstances(clusterArn: string, now: EpochMs): Promise<ClusterInstances> {
    const scope = scopeOf(clusterArn);
    return loadClusterInstances(this.table, scope.accountId, clusterNameOf(scope, clusterArn)!, now);
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
    // Built side by side: the services whose recent events move out read their events items together.
    const prepared = await Promise.all(commits.map((commit) => this.serviceActions(commit)));
    for (const [index, { atomic, observed }] of prepared.entries()) {
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
    await mapConcurrently(batches, TRANSACTIONS_AT_ONCE, commitBatch);
    return committed;
  }

  async commitTasks(lease: Lease, tasks: TaskRecord[], now: EpochMs, dues?: ReadonlyMap<string, EpochMs>): Promise<boolean> {
    return this.commitInBatches(
      lease,
      tasks.map((task) => this.taskPut(task, false, dues?.get(task.taskId))),
      now,
    );
  }

  async commitPlacedTasks(
    lease: Lease,
    tasks: TaskRecord[],
    instances: readonly ContainerInstanceRecord[],
    now: EpochMs,
    dues?: ReadonlyMap<string, EpochMs>,
  ): Promise<boolean> {
    return this.transact([
      this.leaseCheck(lease, now),
      ...tasks.map((task) => this.taskPut(task, false, dues?.get(task.taskId))),
      ...launchChargeItems(this.table.tableName, instances, tasks),
    ]);
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
