import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { ServiceEvent } from '../../domain/model';
import type { ServiceState } from '../../domain/service';
import { ClusterNotFoundException, ConflictException, InvalidParameterException } from '../../errors';
import type { Page, PageRequest, ServiceRepository, StoredService } from '../../ports';
import { accountOf, serviceEventsKey, serviceItem, serviceKey, toService } from './fleet-items';
import { isConditionFailure, keys, putAtVersion, queryPage, translateThrottling, type TableContext } from './table';

type CancellationReasons = Array<{ Code?: string }>;

const cancellationCodes = (error: unknown): string[] =>
  ((error as { CancellationReasons?: CancellationReasons }).CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');

export class DynamoServiceRepository implements ServiceRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
  ) {}

  private eventsPut(service: ServiceState, events: ServiceEvent[]) {
    return {
      Put: {
        TableName: this.table.tableName,
        Item: { ...serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName), events },
      },
    };
  }

  private versionedPut(service: ServiceState) {
    return putAtVersion(this.table.tableName, serviceItem(service, this.shards));
  }

  private clusterCount(service: ServiceState, delta: 1 | -1) {
    return {
      Update: {
        TableName: this.table.tableName,
        Key: { PK: keys.account(accountOf(service.serviceArn)), SK: keys.clusterItem(service.clusterName) },
        UpdateExpression: 'ADD activeServicesCount :delta',
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':active': 'ACTIVE' },
      },
    };
  }

  async create(service: ServiceState, events: ServiceEvent[]): Promise<void> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.tableName,
                Item: serviceItem(service, this.shards),
                // An INACTIVE (deleted) service's name may be used again, as in ECS.
                ConditionExpression: 'attribute_not_exists(PK) OR #status = :inactive',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':inactive': 'INACTIVE' },
              },
            },
            this.eventsPut(service, events),
            this.clusterCount(service, 1),
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const [serviceCode, , clusterCode] = cancellationCodes(error);
      if (clusterCode === 'ConditionalCheckFailed') throw new ClusterNotFoundException();
      if (serviceCode === 'ConditionalCheckFailed') throw new InvalidParameterException('Creation of service was not idempotent.');
      throw new ConflictException('The service changed while it was being created; try again.');
    }
  }

  async get(clusterName: string, serviceName: string): Promise<StoredService | undefined> {
    const read = (Key: Record<string, string>) =>
      this.table.client
        .send(new GetCommand({ TableName: this.table.tableName, Key, ConsistentRead: true }))
        .catch(translateThrottling);
    // The service and its events, read side by side.
    const [{ Item: item }, { Item: eventsItem }] = await Promise.all([
      read(serviceKey(this.scope.accountId, clusterName, serviceName)),
      read(serviceEventsKey(this.scope.accountId, clusterName, serviceName)),
    ]);
    if (!item) return undefined;
    return { service: toService(item), events: (eventsItem?.events as ServiceEvent[] | undefined) ?? [] };
  }

  async list(clusterName: string, page: PageRequest): Promise<Page<string>> {
    const partition = keys.cluster(this.scope.accountId, clusterName);
    const { items, nextToken } = await queryPage<{ PK: string; SK: string; serviceArn: string }>(
      this.table,
      {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        FilterExpression: 'kind = :service AND #status <> :inactive',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': partition, ':prefix': 'SERVICE#', ':service': 'service', ':inactive': 'INACTIVE' },
      },
      { list: 'ListServices', partition },
      page,
    );
    return { items: items.map((item) => item.serviceArn), nextToken };
  }

  async save(service: ServiceState, events?: ServiceEvent[]): Promise<void> {
    const conflict = () => new ConflictException('The service was changed concurrently; try again.');
    try {
      if (events) {
        await this.table.client.send(
          new TransactWriteCommand({ TransactItems: [{ Put: this.versionedPut(service) }, this.eventsPut(service, events)] }),
        );
      } else {
        await this.table.client.send(new PutCommand(this.versionedPut(service)));
      }
    } catch (error) {
      if (isConditionFailure(error)) throw conflict();
      return translateThrottling(error);
    }
  }

  async saveDeleted(service: ServiceState, events: ServiceEvent[]): Promise<void> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: this.versionedPut(service) }, this.eventsPut(service, events), this.clusterCount(service, -1)],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The service was changed concurrently; try again.');
      return translateThrottling(error);
    }
  }
}
