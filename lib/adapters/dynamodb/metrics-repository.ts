import { createHash, randomUUID } from 'node:crypto';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { Alarm, CustomDatapoint, MetricIdentity } from '../../domain/cloudwatch';
import { MAX_LOAD_HISTORY, type ServiceLoad } from '../../domain/load';
import type { TaskInterval } from '../../domain/metrics';
import type { EpochMs } from '../../domain/model';
import type { MetricsRepository } from '../../ports';
import { isExpired, toTask } from './fleet-items';
import { forEachPage, isConditionFailure, keys, translateThrottling, type TableContext } from './table';

/** CloudWatch keeps custom datapoints for 15 months; ecsbox, a sandbox, for 15 days. */
const CUSTOM_RETENTION_MS = 15 * 86_400_000;
/** DynamoDB's limit on the items of one BatchWriteItem. */
const MAX_BATCH_WRITE = 25;

const dimensionsKey = (dimensions: MetricIdentity['Dimensions']) =>
  createHash('sha256')
    .update(JSON.stringify([...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))))
    .digest('hex')
    .slice(0, 32);

const metricKey = (metric: MetricIdentity) =>
  createHash('sha256').update(JSON.stringify([metric.Namespace, metric.MetricName, dimensionsKey(metric.Dimensions)])).digest('hex').slice(0, 40);

/** The partition of one custom metric's datapoints (its `METRIC#<id>` item names `id`). */
export const datapointsPartition = (accountId: string, metricId: string) => `${keys.account(accountId)}#M#${metricId}`;

/**
 * The metrics' and alarms' items. ECS metrics are computed from what is already stored (task items
 * and the services' loads); only loads, alarms and custom metrics (PutMetricData) are written:
 * - a service's loads: `LOAD#<service>` in its cluster's partition, the last MAX_LOAD_HISTORY;
 * - alarms: `ALARM#<name>` in the account's partition;
 * - a custom metric: `METRIC#<hash>` in the account's partition (for ListMetrics), and its
 *   datapoints in a partition of its own, sorted by time, expiring after CUSTOM_RETENTION_MS.
 */

export class DynamoMetricsRepository implements MetricsRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
  ) {}

  private async queryAll(partition: string, prefix: string, range?: { from: string; to: string }): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    await forEachPage(
      this.table,
      range
        ? { KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to', ExpressionAttributeValues: { ':pk': partition, ':from': range.from, ':to': range.to } }
        : { KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)', ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix } },
      (page) => items.push(...(page.Items ?? [])),
    );
    return items;
  }

  async taskIntervals(clusterName: string, now: EpochMs): Promise<TaskInterval[]> {
    const items = await this.queryAll(keys.cluster(this.scope.accountId, clusterName), 'TASK#');
    return items
      .filter((item) => !isExpired(item, now))
      .map(toTask)
      .filter((task) => task.serviceName !== undefined && task.startedAt !== undefined)
      .map((task) => ({
        serviceName: task.serviceName!,
        taskId: task.taskId,
        from: task.startedAt!,
        ...((task.stoppingAt ?? task.stoppedAt) !== undefined ? { until: task.stoppingAt ?? task.stoppedAt } : {}),
      }));
  }

  async loads(clusterName: string): Promise<Map<string, ServiceLoad[]>> {
    const items = await this.queryAll(keys.cluster(this.scope.accountId, clusterName), 'LOAD#');
    return new Map(items.map((item) => [String(item.serviceName), item.history as ServiceLoad[]]));
  }

  async setLoad(clusterName: string, serviceName: string, load: ServiceLoad): Promise<ServiceLoad[]> {
    const key = { PK: keys.cluster(this.scope.accountId, clusterName), SK: `LOAD#${serviceName}` };
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true })).catch(translateThrottling);
    // Newest first; a load set at the same moment as another replaces it.
    const history = [load, ...((Item?.history as ServiceLoad[] | undefined) ?? []).filter((entry) => entry.setAt < load.setAt)].slice(0, MAX_LOAD_HISTORY);
    await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...key, serviceName, history } })).catch(translateThrottling);
    return history;
  }

  async putDatapoints(metric: MetricIdentity, points: CustomDatapoint[]): Promise<void> {
    const id = metricKey(metric);
    const writes = [
      { PK: keys.account(this.scope.accountId), SK: `METRIC#${id}`, ...metric },
      ...points.map((point) => ({
        PK: datapointsPartition(this.scope.accountId, id),
        SK: `${String(point.Timestamp).padStart(15, '0')}#${randomUUID()}`,
        ...point,
        expiresAt: Math.ceil((point.Timestamp + CUSTOM_RETENTION_MS) / 1000),
      })),
    ];
    for (let start = 0; start < writes.length; start += MAX_BATCH_WRITE) {
      let pending: unknown[] = writes.slice(start, start + MAX_BATCH_WRITE).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await this.table.client
          .send(new BatchWriteCommand({ RequestItems: { [this.table.tableName]: pending as never } }))
          .catch(translateThrottling);
        pending = result.UnprocessedItems?.[this.table.tableName] ?? [];
      }
    }
  }

  async customDatapoints(metric: MetricIdentity, start: EpochMs, end: EpochMs, now: EpochMs): Promise<CustomDatapoint[]> {
    const items = await this.queryAll(datapointsPartition(this.scope.accountId, metricKey(metric)), '', {
      from: String(Math.max(0, start)).padStart(15, '0'),
      to: `${String(Math.max(0, end)).padStart(15, '0')}#~`,
    });
    return items.filter((item) => !isExpired(item, now)).map(({ Timestamp, Value, Unit, Values, Counts, StatisticValues }) => ({ Timestamp, Value, Unit, Values, Counts, StatisticValues }) as CustomDatapoint);
  }

  async customMetrics(): Promise<MetricIdentity[]> {
    const items = await this.queryAll(keys.account(this.scope.accountId), 'METRIC#');
    return items.map(({ Namespace, MetricName, Dimensions }) => ({ Namespace, MetricName, Dimensions }) as MetricIdentity);
  }

  async alarms(): Promise<Alarm[]> {
    const items = await this.queryAll(keys.account(this.scope.accountId), 'ALARM#');
    return items.map(({ PK: _pk, SK: _sk, ...alarm }) => alarm as unknown as Alarm);
  }

  async putAlarm(alarm: Alarm): Promise<void> {
    await this.table.client
      .send(new PutCommand({ TableName: this.table.tableName, Item: { PK: keys.account(this.scope.accountId), SK: `ALARM#${alarm.AlarmName}`, ...alarm } }))
      .catch(translateThrottling);
  }

  async updateAlarmState(alarm: Alarm): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(this.scope.accountId), SK: `ALARM#${alarm.AlarmName}` },
          UpdateExpression: 'SET StateValue = :state, StateReason = :reason, StateUpdatedTimestamp = :at',
          // Only the definition it was evaluated on: a PutMetricAlarm meanwhile starts it afresh.
          ConditionExpression: 'AlarmConfigurationUpdatedTimestamp = :configured',
          ExpressionAttributeValues: {
            ':state': alarm.StateValue,
            ':reason': alarm.StateReason,
            ':at': alarm.StateUpdatedTimestamp,
            ':configured': alarm.AlarmConfigurationUpdatedTimestamp,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) translateThrottling(error);
    }
  }

  async deleteAlarm(name: string): Promise<void> {
    await this.table.client
      .send(new DeleteCommand({ TableName: this.table.tableName, Key: { PK: keys.account(this.scope.accountId), SK: `ALARM#${name}` } }))
      .catch(translateThrottling);
  }
}
