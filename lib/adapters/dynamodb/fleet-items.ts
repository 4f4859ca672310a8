import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { arns, scopeOf } from '../../domain/arn';
import type { EpochMs, ServiceEvent } from '../../domain/model';
import { shardOf, STANDALONE } from '../../domain/shard';
import { serviceEvents, type ServiceState } from '../../domain/service';
import { containerArnFor, type TaskRecord } from '../../domain/task';
import { listKeys } from './list-index';
import { keys } from './table';

/**
 * How services and tasks are laid out as items. Both live in their cluster's partition; while
 * they need reconciling they also carry GSI1 keys, so that one Query per shard reads every live
 * service together with its live tasks (see docs/data-model.md).
 */

export const RECONCILE_INDEX = 'GSI1';

/**
 * The "next due" index (GSI3, keys only): sparse, it holds an item only while the reconciler has
 * something to do about it at a known time, keyed `SHARD#<n>` / `<due time>#<reconcile sort key>`, so a
 * scheduled minute reads only what is due by now, shard by shard (see docs/reconciler.md).
 */
export const DUE_INDEX = 'GSI3';

/** The due time of a desired-state change (an API write): due at once, whatever the clock says. */
export const DUE_NOW: EpochMs = 0;

/** Epoch milliseconds, zero-padded so that the index's string order is time order. */
const dueTime = (dueAt: EpochMs) => String(Math.max(0, Math.floor(dueAt))).padStart(15, '0');

/** Sorts after every due key of `now` and before any of a later millisecond. */
export const dueBound = (now: EpochMs) => `${dueTime(now)}#~`;


/** The stored due time of an item read from either index; undefined when it is not due. */
export const storedDueAt = (item: Record<string, unknown>): EpochMs | undefined =>
  typeof item.GSI3SK === 'string' ? Number(item.GSI3SK.slice(0, 15)) : undefined;

/** The reconcile-index sort key of the service (or cluster's standalone group) a due entry is about. */
export const dueOwner = (item: Record<string, unknown>): string => {
  const [, accountId, clusterName, owner] = String(item.GSI3SK).split('#');
  return `${accountId}#${clusterName}#${owner}`;
};

/** The reconcile-index sort key of the service (or cluster's standalone group) a reconcile-index item belongs to. */
export const reconcileOwner = (item: Record<string, unknown>): string => {
  const key = String(item.GSI1SK);
  const task = key.indexOf(TASK_SORT_PART);
  return task < 0 ? key : key.slice(0, task);
};

/** Between an owner's sort key and a task id in a task's reconcile-index sort key. */
const TASK_SORT_PART = '#T#';

/** The due-index keys of an item, to set (or, undefined, to remove) them alone. */
export const dueIndexKeys = (item: { GSI1PK: string; GSI1SK: string }, dueAt: EpochMs | undefined) =>
  dueAt === undefined ? {} : { GSI3PK: item.GSI1PK, GSI3SK: `${dueTime(dueAt)}#${item.GSI1SK}` };

export const accountOf = (arn: string): string => scopeOf(arn).accountId;

export const shardKey = (shard: number) => `SHARD#${shard}`;

const ownerSortKey = (accountId: string, clusterName: string, serviceName: string | undefined) =>
  `${accountId}#${clusterName}#${serviceName ?? STANDALONE}`;

export const serviceKey = (accountId: string, clusterName: string, serviceName: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: keys.serviceItem(serviceName),
});

export const serviceEventsKey = (accountId: string, clusterName: string, serviceName: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: `${keys.serviceItem(serviceName)}#EVENTS`,
});

export const taskKey = (accountId: string, clusterName: string, taskId: string) => ({
  PK: keys.cluster(accountId, clusterName),
  SK: keys.taskItem(taskId),
});

/**
 * Service and task items keep as attributes only what a key, query, filter, condition or projection
 * names; the rest of the record is one binary attribute, `packed`: its JSON, deflated with a preset
 * dictionary of the words every record repeats (field names, ARN prefixes, ECS's statuses). A write
 * is priced per started KB of the item (twice in a transaction), and a task item shrank from about
 * 1.4 KB to under 1 KB this way, a service item from 1.2 KB to about 0.6 KB (docs/benchmarks.md,
 * bench:launch). DynamoDB's own guidance for large attributes is the same: compress them into a
 * binary attribute. A record derivable from another (a task's clusterArn and containerArns, from
 * its taskArn) is not stored at all.
 */
const PACKED = 'packed';
/** The first byte of a packed value: which dictionary it was deflated with. Never change a published one. */
const PACKING_V1 = 1;
const PACKING_DICTIONARY_V1 = Buffer.from(
  [
    '"containers":[{"name":"","image":"","lastStatus":"RUNNING","healthStatus":"UNKNOWN","essential":true,"cpu":"0","memory":"',
    '"imageDigest":"sha256:","runtimeId":"","exitCode":0,"reason":"","networkInterfaces":[{"attachmentId":"","privateIpv4Address":"10.',
    '"network":{"attachments":[{"id":"","type":"ElasticNetworkInterface","status":"ATTACHED","details":[{"name":"subnetId","value":"subnet-',
    '{"name":"networkInterfaceId","value":"eni-"},{"name":"macAddress","value":"0e:"},{"name":"privateDnsName","value":"ip-10-',
    '.ec2.internal"},{"name":"privateIPv4Address","value":"10."}]}],"availabilityZone":"us-east-1","connectivity":"CONNECTED","connectivityAt":',
    '"ref":{"kind":"simulated","timeline":{"v":1,"launchedAt":,"up":[,"down":[,"containers":[{"name":"","image":"","essential":true,"cpu":0}],',
    '"net":{"region":"us-east-1","subnet":"subnet-"}}},"kind":"fargate","taskArn":"arn:aws:ecs:',
    '"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-"],"securityGroups":["sg-"],"assignPublicIp":"DISABLED"}},',
    '"deploymentId":"ecs-svc/","group":"service:","launchType":"FARGATE","platformVersion":"1.4.0","healthChecked":false,',
    '"createdAt":,"pullStartedAt":,"pullStoppedAt":,"startedAt":,"stoppingAt":,"stoppedAt":,"stopCode":"ServiceSchedulerInitiated","stoppedReason":"',
    '"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":false,"rollback":false}},',
    '"deployments":[{"id":"ecs-svc/","status":"PRIMARY","taskDefinition":"arn:aws:ecs:us-east-1::task-definition/","desiredCount":,"pendingCount":0,',
    '"runningCount":,"failedTasks":0,"consecutiveFailures":0,"createdAt":,"updatedAt":,"launchType":"FARGATE","rolloutState":"COMPLETED",',
    '"rolloutStateReason":"ECS deployment ecs-svc/ completed.","lastCompleted":{"id":"ecs-svc/","taskDefinition":"arn:aws:ecs:',
    '"clusterArn":"arn:aws:ecs:us-east-1::cluster/","schedulingStrategy":"REPLICA","platformVersion":"LATEST","deploymentSeq":,"launchSeq":,"steady":true,',
  ].join(''),
);

const pack = (fields: Record<string, unknown>): Uint8Array =>
  Buffer.concat([Buffer.of(PACKING_V1), deflateRawSync(JSON.stringify(fields), { dictionary: PACKING_DICTIONARY_V1 })]);

const unpack = (value: Uint8Array): Record<string, unknown> => {
  // A view of the bytes read, not a copy.
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes[0] !== PACKING_V1) throw new Error(`a stored record is packed with unknown dictionary ${bytes[0]}`);
  return JSON.parse(inflateRawSync(bytes.subarray(1), { dictionary: PACKING_DICTIONARY_V1 }).toString()) as Record<string, unknown>;
};

/** Splits a record into the attributes kept plain (named in expressions) and the packed rest. */
const packRecord = <T extends object, K extends keyof T & string>(record: T, plain: readonly K[]) => {
  const kept: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if ((plain as readonly string[]).includes(name)) kept[name] = value;
    else rest[name] = value;
  }
  return { ...(kept as Pick<T, K>), [PACKED]: pack(rest) };
};

/** What ListServices returns and creates' conditions name; the rest is packed. */
const SERVICE_PLAIN = ['serviceArn', 'status', 'version'] as const;
/**
 * What ListTasks returns and filters on, the cluster's counts project, conditions name; the rest is
 * packed. launchType is stored only for EC2 tasks (absent means FARGATE), containerInstanceArn only
 * for tasks on an instance: Fargate task items do not grow.
 */
const TASK_PLAIN = ['taskArn', 'serviceName', 'startedBy', 'taskDefinitionArn', 'lastStatus', 'version', 'launchType', 'containerInstanceArn'] as const;

/**
 * A service item. `dueAt` is when the reconciler must next look at it: DUE_NOW after a desired-state
 * change, the plan's next wake-up after a reconcile, undefined when it is steady.
 */
/** A live service's reconcile-index keys. */
export const serviceReconcileKeys = (accountId: string, clusterName: string, serviceName: string, shards: number) => ({
  GSI1PK: shardKey(shardOf(accountId, clusterName, serviceName, shards)),
  GSI1SK: ownerSortKey(accountId, clusterName, serviceName),
});

export const serviceItem = (service: ServiceState, shards: number, dueAt: EpochMs | undefined) => {
  const accountId = accountOf(service.serviceArn);
  const reconcileKeys = serviceReconcileKeys(accountId, service.clusterName, service.serviceName, shards);
  return {
    ...serviceKey(accountId, service.clusterName, service.serviceName),
    kind: 'service' as const,
    ...(service.status === 'INACTIVE'
      ? {}
      : {
          ...reconcileKeys,
          ...dueIndexKeys(reconcileKeys, dueAt),
          // The list index (ListServices), see list-index.ts.
          GSI2SK: listKeys.service(service.serviceName),
        }),
    ...packRecord(service, SERVICE_PLAIN),
  };
};

/**
 * A service's events live in two items: its newest in the service item (the record's
 * `recentEvents`, packed with it), the older ones in the service's events item. A change that adds
 * events then writes only the service item, which it writes anyway, while that item stays within
 * one write unit; once the events would take it past it, they all move to the front of the events
 * item (one write more, once every several events: the events item is read only then) and the
 * service item starts again with none. Either item alone is never the whole story:
 * `serviceEvents(service, older)` joins them.
 */
const SERVICE_ITEM_BYTES = 1000;

/** An item's size by DynamoDB's rules, closely enough to keep it under a write unit. */
const itemBytes = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((sum, [name, value]) => {
    const bytes =
      typeof value === 'string'
        ? Buffer.byteLength(value)
        : typeof value === 'number'
          ? Math.ceil(String(value).length / 2) + 1
          : value instanceof Uint8Array
            ? value.byteLength
            : Buffer.byteLength(JSON.stringify(value) ?? '');
    return sum + Buffer.byteLength(name) + bytes;
  }, 0);

export interface ServiceItemWrite {
  /** The service item (its recent events in it, or none once they moved). */
  service: ReturnType<typeof serviceItem>;
  /** The events item, when the recent events moved to it. */
  olderEvents?: ReturnType<typeof serviceEventsKey> & { events: ServiceEvent[] };
}

/**
 * The items that store `service`: its item, and, when its recent events no longer fit the item's
 * write unit, its events item with them in front. `older` reads the events item's events: called
 * only then.
 */
export const serviceItemWrite = async (
  service: ServiceState,
  shards: number,
  dueAt: EpochMs | undefined,
  older: () => Promise<ServiceEvent[]>,
): Promise<ServiceItemWrite> => {
  const item = serviceItem(service, shards, dueAt);
  if (!service.recentEvents?.length || itemBytes(item) <= SERVICE_ITEM_BYTES) return { service: item };
  return {
    service: serviceItem({ ...service, recentEvents: undefined }, shards, dueAt),
    olderEvents: {
      ...serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName),
      events: serviceEvents(service, await older()),
    },
  };
};

/**
 * A task item; once STOPPED it leaves the reconcile and due indexes and expires after the retention.
 * `dueAt`: DUE_NOW after an API write (RunTask, StopTask), a standalone task's next transition after
 * a reconcile; a service's task is looked at through its service's due time, so undefined.
 */
export const taskItem = (task: TaskRecord, shards: number, retentionMs: number, dueAt?: EpochMs) => {
  const accountId = accountOf(task.taskArn);
  const stopped = task.lastStatus === 'STOPPED';
  const reconcileKeys = {
    GSI1PK: shardKey(shardOf(accountId, task.clusterName, task.serviceName, shards)),
    GSI1SK: `${ownerSortKey(accountId, task.clusterName, task.serviceName)}${TASK_SORT_PART}${task.taskId}`,
  };
  return {
    ...taskKey(accountId, task.clusterName, task.taskId),
    kind: 'task' as const,
    // The list index (ListTasks by desiredStatus), see list-index.ts.
    GSI2SK: listKeys.task(task.desiredStatus, task.taskId),
    ...(stopped
      ? { expiresAt: Math.ceil(((task.stoppedAt ?? task.createdAt) + retentionMs) / 1000) }
      : { ...reconcileKeys, ...dueIndexKeys(reconcileKeys, dueAt) }),
    ...packRecord(storedTask(task), TASK_PLAIN),
  };
};

/** The task without what its taskArn implies (the cluster's ARN and each container's) nor the default launch type. */
const storedTask = ({ clusterArn: _clusterArn, launchType, ...task }: TaskRecord) => ({
  ...task,
  ...(launchType === 'FARGATE' ? {} : { launchType }),
  containers: task.containers.map(({ containerArn, ...container }) =>
    containerArn === containerArnFor(task.taskArn, container.name) ? container : { containerArn, ...container },
  ),
});

const ITEM_ONLY: ReadonlySet<string> = new Set(['PK', 'SK', 'kind', 'GSI1PK', 'GSI1SK', 'GSI2SK', 'GSI3PK', 'GSI3SK', 'expiresAt', PACKED]);

/**
 * The record an item holds, packed or (written before packing) not. Built in one pass, field by
 * field: every pass of the reconciler decodes every live item, and copying then deleting the item's
 * own attributes cost more than inflating and parsing the packed rest (and left records in V8's slow
 * dictionary mode).
 */
const stripItem = <T>(item: Record<string, unknown>): T => {
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(item)) if (!ITEM_ONLY.has(key)) record[key] = item[key];
  if (item[PACKED]) {
    const rest = unpack(item[PACKED] as Uint8Array);
    for (const key of Object.keys(rest)) if (!ITEM_ONLY.has(key)) record[key] = rest[key];
  }
  return record as T;
};

export const toService = (item: Record<string, unknown>) => stripItem<ServiceState>(item);
export const toTask = (item: Record<string, unknown>): TaskRecord => {
  const task = stripItem<Omit<TaskRecord, 'clusterArn' | 'launchType'> & Partial<Pick<TaskRecord, 'clusterArn' | 'launchType'>>>(item);
  task.launchType ??= 'FARGATE';
  task.clusterArn ??= arns.cluster(scopeOf(task.taskArn), task.clusterName);
  task.containers = task.containers.map((container) =>
    container.containerArn === undefined ? { ...container, containerArn: containerArnFor(task.taskArn, container.name) } : container,
  );
  return task as TaskRecord;
};

/** An expired item may linger until DynamoDB's TTL sweeper removes it; reads must skip it. */
export const isExpired = (item: Record<string, unknown>, now: EpochMs) =>
  typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= now;
