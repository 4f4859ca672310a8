import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { arns, type ArnScope } from '../../domain/arn';
import type { EpochMs } from '../../domain/model';
import type { TaskRecord } from '../../domain/task';
import { ConflictException } from '../../errors';
import { withRetries } from '../../retry';
import type { ContainerInstanceRecord } from '../../domain/container-instance';
import { InstancesChanged, type IdempotentLaunch, type Page, type PageRequest, type TaskFilter, type TaskRepository } from '../../ports';
import { DUE_NOW, isExpired, taskItem, taskKey, toTask } from './fleet-items';
import { chargedInstanceCount, launchChargeItems } from './instance-charges';
import { listIndexQuery, listKeys } from './list-index';
import { cancellationCodes, isConditionFailure, keys, putAtVersion, queryPage, translateThrottling, type TableContext } from './table';
import { standaloneEntry, type Reservation, type TaskReservations } from './task-reservations';

/** The token's first transaction has not committed yet (or collided with another): look again. */
class TokenInFlight extends Error {}

interface TokenItem {
  requestDigest: string;
  taskIds: string[];
}

export class DynamoTaskRepository implements TaskRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
    private readonly retentionMs: number,
    private readonly clock: { now(): EpochMs },
    private readonly reservations: TaskReservations,
  ) {}

  async requireRoom(clusterName: string, taskIds: string[]): Promise<void> {
    const admitted = taskIds.map((taskId) => standaloneEntry(clusterName, taskId));
    await this.reservations.reserve(this.scope.accountId, admitted.length, this.clock.now(), admitted);
  }

  private partition(clusterName: string) {
    return keys.cluster(this.scope.accountId, clusterName);
  }

  async get(clusterName: string, taskId: string): Promise<TaskRecord | undefined> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: taskKey(this.scope.accountId, clusterName, taskId),
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return Item && !isExpired(Item, this.clock.now()) ? toTask(Item) : undefined;
  }

  async list(clusterName: string, filter: TaskFilter, page: PageRequest, now: EpochMs): Promise<Page<string>> {
    const conditions = ['(attribute_not_exists(expiresAt) OR expiresAt > :now)'];
    const values: Record<string, unknown> = {
      ':pk': this.partition(clusterName),
      ':prefix': listKeys.taskPrefix(filter.desiredStatus),
      ':now': Math.floor(now / 1000),
    };
    if (filter.serviceName) {
      conditions.push('serviceName = :service');
      values[':service'] = filter.serviceName;
    }
    if (filter.startedBy) {
      conditions.push('startedBy = :startedBy');
      values[':startedBy'] = filter.startedBy;
    }
    if (filter.launchType) {
      // Only EC2 task items carry a launchType (fleet-items.ts).
      conditions.push(filter.launchType === 'EC2' ? 'launchType = :ec2' : 'attribute_not_exists(launchType)');
      if (filter.launchType === 'EC2') values[':ec2'] = 'EC2';
    }
    if (filter.containerInstanceArn) {
      conditions.push('containerInstanceArn = :instance');
      values[':instance'] = filter.containerInstanceArn;
    }
    if (filter.family) {
      conditions.push('begins_with(taskDefinitionArn, :family)');
      values[':family'] = arns.taskDefinitionFamily(this.scope, filter.family);
    }
    const { items, nextToken } = await queryPage<{ PK: string; SK: string; taskArn: string }>(
      this.table,
      {
        // The list index groups tasks by desiredStatus: listing RUNNING ones never reads stopped ones.
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        FilterExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
      },
      { list: 'ListTasks', partition: this.partition(clusterName), query: { ...filter } },
      page,
      listIndexQuery((key) => listKeys.task(filter.desiredStatus, key.SK.slice(keys.taskItem('').length))),
    );
    return { items: items.map((item) => item.taskArn), nextToken };
  }

  async createStandalone(
    tasks: TaskRecord[],
    idempotency?: IdempotentLaunch,
    instances: readonly ContainerInstanceRecord[] = [],
  ): Promise<TaskRecord[]> {
    const clusterName = tasks[0].clusterName;
    const charges = launchChargeItems(this.table.tableName, instances, tasks);
    const chargedInstances = chargedInstanceCount(tasks);
    const tokenKey = { PK: this.partition(clusterName), SK: `RUNTASK#${idempotency?.clientToken}` };
    const admitted = tasks.map((task) => standaloneEntry(clusterName, task.taskId));
    const writeOnce = (reservation: Reservation | undefined) =>
      this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            // First, so that its cancellation code is the first one (the running-tasks quota).
            ...(reservation ? [reservation.action] : []),
            ...tasks.map((task) => ({
              Put: {
                TableName: this.table.tableName,
                Item: taskItem(task, this.shards, this.retentionMs, DUE_NOW),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            })),
            ...(idempotency
              ? [
                  {
                    Put: {
                      TableName: this.table.tableName,
                      Item: {
                        ...tokenKey,
                        requestDigest: idempotency.requestDigest,
                        taskIds: tasks.map((task) => task.taskId),
                        // ECS honours a token for a limited time; keep it as long as its tasks.
                        expiresAt: Math.ceil((tasks[0].createdAt + this.retentionMs) / 1000),
                      },
                      ConditionExpression: 'attribute_not_exists(PK)',
                    },
                  },
                ]
              : []),
            // Last, so that the instances' codes follow every other item's.
            ...charges,
          ],
        }),
      );
    /** Whether the write lost to a change of an instance it charged (and not to a retried token or task). */
    const instancesChanged = (error: unknown) => {
      if (chargedInstances === 0 || !isConditionFailure(error)) return false;
      const codes = cancellationCodes(error);
      const instanceCodes = codes.slice(codes.length - charges.length, codes.length - charges.length + chargedInstances);
      const others = codes.slice(0, codes.length - charges.length);
      return (
        instanceCodes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict') &&
        !others.includes('ConditionalCheckFailed')
      );
    };
    // A growth of the account's reservation that lost to a concurrent one is computed again.
    const write = () =>
      withRetries(
        async () => {
          const reservation = await this.reservations.reserve(this.scope.accountId, tasks.length, this.clock.now(), admitted);
          try {
            return await writeOnce(reservation);
          } catch (error) {
            if (instancesChanged(error)) throw new InstancesChanged();
            if (reservation && isConditionFailure(error) && cancellationCodes(error)[0] === 'ConditionalCheckFailed') {
              throw await this.reservations.refusal(this.scope.accountId, reservation);
            }
            throw error;
          }
        },
        {
          attempts: 20,
          retryable: (error) => error instanceof ConflictException,
          exhausted: () => new ConflictException("The account's tasks changed concurrently; try again."),
        },
      );
    if (!idempotency) {
      await write().catch(translateThrottling);
      return tasks;
    }
    // Callers sharing a token race for the same items: the first transaction to commit wins, and
    // every other caller (also one whose transaction collided with the winner's while it was in
    // flight) gets the winner's tasks.
    return withRetries(
      async () => {
        try {
          await write();
          return tasks;
        } catch (error) {
          if (!isConditionFailure(error)) return translateThrottling(error);
        }
        const { Item } = await this.table.client
          .send(new GetCommand({ TableName: this.table.tableName, Key: tokenKey, ConsistentRead: true }))
          .catch(translateThrottling);
        const token = Item as TokenItem | undefined;
        if (!token) throw new TokenInFlight();
        if (token.requestDigest !== idempotency.requestDigest) {
          throw new ConflictException('The clientToken was already used with different parameters.');
        }
        const existing = await Promise.all(token.taskIds.map((taskId) => this.get(clusterName, taskId)));
        return existing.filter((task): task is TaskRecord => task !== undefined);
      },
      {
        attempts: 20,
        retryable: (error) => error instanceof TokenInFlight,
        exhausted: () => new ConflictException('A concurrent RunTask used the same tasks; try again.'),
      },
    );
  }

  async save(task: TaskRecord): Promise<void> {
    try {
      await this.table.client.send(
        new PutCommand(putAtVersion(this.table.tableName, taskItem(task, this.shards, this.retentionMs, DUE_NOW))),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The task was changed concurrently; try again.');
      return translateThrottling(error);
    }
  }
}
