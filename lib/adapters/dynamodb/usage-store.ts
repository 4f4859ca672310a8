import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EpochMs } from '../../domain/model';
import { parseTaskDefinitionRef } from '../../domain/task-definition';
import type { TaskRecord } from '../../domain/task';
import type { DailyUsage, FargateDay, FargateUsageEntry, RequestUsage, UsageStore } from '../../ports';
import { isExpired, toTask } from './fleet-items';
import { consistentGetMany, forEachPage, isConditionFailure, keys, translateThrottling, type TableContext } from './table';

/**
 * The cost meter's items live in the account's own usage partition, `A#<acct>#U` (docs/cost.md):
 * outside the account's resource partition, so that counting a request never changes what the
 * request may read or write, and still under the account's key prefix.
 *
 * | SK | what |
 * |---|---|
 * | `DAY#<yyyy-mm-dd>` | requests, readUnits, writeUnits, lambdaMs, lambdaMbMs of the day (ADDed per request) |
 * | `FARGATE#<yyyy-mm-dd>` | stopped tasks' vCPU-seconds, GB-seconds and count per cluster/service/architecture, and the ids counted |
 * | `RATE` | the account's request bucket (`tat`, GCRA's theoretical arrival time, ms) |
 */
export const usagePartition = (accountId: string) => `${keys.account(accountId)}#U`;

/** How long usage stays (DynamoDB TTL): the report looks back at most USAGE_DAYS_MAX days. */
export const USAGE_RETENTION_DAYS = 100;

const dayKey = (accountId: string, date: string) => ({ PK: usagePartition(accountId), SK: `DAY#${date}` });
const fargateKey = (accountId: string, date: string) => ({ PK: usagePartition(accountId), SK: `FARGATE#${date}` });

const expiry = (now: EpochMs) => Math.ceil(now / 1000) + USAGE_RETENTION_DAYS * 86_400;

/** An aggregate's attribute names: `<measure>#<architecture>#<cluster>#<service or ~>`. */
const STANDALONE = '~';
const MEASURES = { vcpuSeconds: 'fv', gbSeconds: 'fg', tasks: 'fn' } as const;
const entryName = (measure: keyof typeof MEASURES, entry: Pick<FargateUsageEntry, 'architecture' | 'clusterName' | 'serviceName'>) =>
  `${MEASURES[measure]}#${entry.architecture}#${entry.clusterName}#${entry.serviceName ?? STANDALONE}`;

const toEntries = (item: Record<string, unknown>): FargateUsageEntry[] => {
  const entries = new Map<string, FargateUsageEntry>();
  for (const [name, value] of Object.entries(item)) {
    const [measure, architecture, clusterName, serviceName] = name.split('#');
    const field = (Object.keys(MEASURES) as Array<keyof typeof MEASURES>).find((key) => MEASURES[key] === measure);
    if (!field || serviceName === undefined || (architecture !== 'X86_64' && architecture !== 'ARM64')) continue;
    const id = `${architecture}#${clusterName}#${serviceName}`;
    const entry = entries.get(id) ?? {
      clusterName,
      ...(serviceName === STANDALONE ? {} : { serviceName }),
      architecture,
      vcpuSeconds: 0,
      gbSeconds: 0,
      tasks: 0,
    };
    entry[field] = Number(value);
    entries.set(id, entry);
  }
  return [...entries.values()];
};

export class DynamoUsageStore implements UsageStore {
  /** The last bucket state this container saw per account: it picks the write likely to succeed first. */
  private readonly lastArrival = new Map<string, EpochMs>();

  constructor(private readonly table: TableContext) {}

  /**
   * GCRA, the token bucket as one conditional write: the item keeps the "theoretical arrival time"
   * `tat`; a request is admitted when tat ≤ now + (burst − 1) × interval, and moves tat one
   * interval on (from now, when the bucket was full). Two forms of the write, one per case, so
   * that DynamoDB decides atomically: concurrent containers share the account's one bucket.
   */
  async admitRequest(accountId: string, rate: { perSecond: number; burst: number }, now: EpochMs): Promise<boolean> {
    const interval = 1000 / rate.perSecond;
    const latest = now + (rate.burst - 1) * interval;
    let busy = (this.lastArrival.get(accountId) ?? 0) > now;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const { Attributes } = await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: { PK: usagePartition(accountId), SK: 'RATE' },
            ...(busy
              ? {
                  UpdateExpression: 'SET tat = tat + :interval, expiresAt = :expires',
                  ConditionExpression: 'tat > :now AND tat <= :latest',
                  ExpressionAttributeValues: { ':interval': interval, ':now': now, ':latest': latest, ':expires': expiry(now) },
                }
              : {
                  UpdateExpression: 'SET tat = :next, expiresAt = :expires',
                  ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
                  ExpressionAttributeValues: { ':next': now + interval, ':now': now, ':expires': expiry(now) },
                }),
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.lastArrival.set(accountId, Attributes?.tat as number);
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) return translateThrottling(error);
        const stored = Number((error as { Item?: { tat?: { N?: string } } }).Item?.tat?.N ?? Number.NaN);
        if (stored > latest) {
          this.lastArrival.set(accountId, stored);
          return false;
        }
        // The other case holds (the bucket refilled, or another container emptied it): try that form.
        busy = Number.isNaN(stored) ? !busy : stored > now;
      }
    }
    return false;
  }

  async recordRequests(accountId: string, date: string, usage: RequestUsage, now: EpochMs): Promise<void> {
    await this.table.client
      .send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: dayKey(accountId, date),
          UpdateExpression:
            'ADD requests :requests, readUnits :read, writeUnits :write, lambdaMs :ms, lambdaMbMs :mbms SET expiresAt = :expires',
          ExpressionAttributeValues: {
            ':requests': usage.requests,
            ':read': usage.readUnits,
            ':write': usage.writeUnits,
            ':ms': usage.lambdaMs,
            ':mbms': usage.lambdaMbMs,
            ':expires': expiry(now),
          },
        }),
      )
      .catch(translateThrottling);
  }

  async dailyUsage(accountId: string, dates: string[]): Promise<DailyUsage[]> {
    const items = await consistentGetMany(this.table, dates.map((date) => dayKey(accountId, date)));
    return dates.map((date) => {
      const item = items.get(dayKey(accountId, date)) ?? {};
      const number = (name: string) => Number(item[name] ?? 0);
      return {
        date,
        requests: number('requests'),
        readUnits: number('readUnits'),
        writeUnits: number('writeUnits'),
        lambdaMs: number('lambdaMs'),
        lambdaMbMs: number('lambdaMbMs'),
      };
    });
  }

  async fargateDays(accountId: string, dates: string[]): Promise<FargateDay[]> {
    const items = await consistentGetMany(this.table, dates.map((date) => fargateKey(accountId, date)));
    return dates.map((date) => {
      const item = items.get(fargateKey(accountId, date)) ?? {};
      return { date, entries: toEntries(item), counted: (item.counted as Set<string> | undefined) ?? new Set<string>() };
    });
  }

  async countStoppedTask(accountId: string, date: string, taskId: string, entry: FargateUsageEntry, now: EpochMs): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: fargateKey(accountId, date),
          UpdateExpression: 'ADD #v :v, #g :g, #n :one, counted :id SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(counted) OR NOT contains(counted, :taskId)',
          ExpressionAttributeNames: {
            '#v': entryName('vcpuSeconds', entry),
            '#g': entryName('gbSeconds', entry),
            '#n': entryName('tasks', entry),
          },
          ExpressionAttributeValues: {
            ':v': entry.vcpuSeconds,
            ':g': entry.gbSeconds,
            ':one': 1,
            ':id': new Set([taskId]),
            ':taskId': taskId,
            ':expires': expiry(now),
          },
        }),
      );
    } catch (error) {
      // Counted already (by the reconciler or an earlier report): nothing to add.
      if (!isConditionFailure(error)) translateThrottling(error);
    }
  }

  async keptTasks(accountId: string, now: EpochMs): Promise<TaskRecord[]> {
    const clusters: string[] = [];
    await forEachPage(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ProjectionExpression: 'clusterName',
        ExpressionAttributeValues: { ':pk': keys.account(accountId), ':prefix': keys.clusterItem('') },
      },
      (page) => clusters.push(...(page.Items ?? []).map((item) => String(item.clusterName))),
    );
    const tasks: TaskRecord[] = [];
    await Promise.all(
      clusters.map((clusterName) =>
        forEachPage(
          this.table,
          {
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: { ':pk': keys.cluster(accountId, clusterName), ':prefix': keys.taskItem('') },
          },
          (page) => {
            for (const item of page.Items ?? []) if (!isExpired(item, now)) tasks.push(toTask(item));
          },
        ),
      ),
    );
    return tasks;
  }

  async architectures(accountId: string, taskDefinitionArns: string[]): Promise<Map<string, 'X86_64' | 'ARM64'>> {
    const keyOf = (arn: string) => {
      const { family, revision } = parseTaskDefinitionRef(arn);
      return { PK: keys.account(accountId), SK: keys.taskDefinitionItem(family, revision ?? 0) };
    };
    const unique = [...new Set(taskDefinitionArns)];
    const items = await consistentGetMany(this.table, unique.map(keyOf));
    const found = new Map<string, 'X86_64' | 'ARM64'>();
    for (const arn of unique) {
      const item = items.get(keyOf(arn)) as { taskDefinition?: { runtimePlatform?: { cpuArchitecture?: string } } } | undefined;
      if (item) found.set(arn, item.taskDefinition?.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'ARM64' : 'X86_64');
    }
    return found;
  }
}
