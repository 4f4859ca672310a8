import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { ServiceEvent } from '../../domain/model';
import type { ServiceState } from '../../domain/service';
import { ClientException, ClusterNotFoundException, ConflictException } from '../../errors';
import type { Page, PageRequest, ServiceRepository, StoredService } from '../../ports';
import { accountOf, DUE_NOW, serviceEventsKey, serviceItem, serviceKey, toService } from './fleet-items';
import { listIndexQuery, listKeys } from './list-index';
import { cancellationCodes, consistentGetMany, isConditionFailure, keys, putAtVersion, putNewOrInactive, queryPage, translateThrottling, type TableContext } from './table';

export class DynamoServiceRepository implements ServiceRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
    private readonly servicesPerCluster: number,
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
    return putAtVersion(this.table.tableName, serviceItem(service, this.shards, DUE_NOW));
  }

  private clusterCount(service: ServiceState, delta: 1 | -1) {
    return {
      Update: {
        TableName: this.table.tableName,
        Key: { PK: keys.account(accountOf(service.serviceArn)), SK: keys.clusterItem(service.clusterName) },
        UpdateExpression: 'ADD activeServicesCount :delta',
        // ECS's services-per-cluster quota, checked against the kept count.
        ConditionExpression: delta > 0 ? '#status = :active AND activeServicesCount < :limit' : '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':active': 'ACTIVE', ...(delta > 0 ? { ':limit': this.servicesPerCluster } : {}) },
      },
    };
  }

  async create(service: ServiceState, events: ServiceEvent[]): Promise<void> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putNewOrInactive(this.table.tableName, serviceItem(service, this.shards, DUE_NOW)),
            this.eventsPut(service, events),
            this.clusterCount(service, 1),
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const [, , clusterCode] = cancellationCodes(error);
      if (clusterCode === 'ConditionalCheckFailed') throw await this.clusterRefusal(service);
      // A service of that name appeared (a concurrent create) or changed since the caller read it:
      // the caller reads again and tells a retry of its own request from a different one.
      throw new ConflictException('The service changed while it was being created; try again.');
    }
  }

  /** Why the cluster refused a new service: it is not ACTIVE, or it holds the most services ECS allows. */
  private async clusterRefusal(service: ServiceState): Promise<Error> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { PK: keys.account(accountOf(service.serviceArn)), SK: keys.clusterItem(service.clusterName) },
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    if (Item?.status !== 'ACTIVE') return new ClusterNotFoundException();
    return new ClientException(
      `The maximum number of services (${this.servicesPerCluster}) for cluster ${service.clusterName} has been reached. Delete unused services and try again.`,
    );
  }

  async get(clusterName: string, serviceName: string): Promise<StoredService | undefined> {
    const [stored] = await this.getMany(clusterName, [serviceName]);
    return stored;
  }

  async getMany(clusterName: string, serviceNames: string[]): Promise<Array<StoredService | undefined>> {
    const keysOf = (serviceName: string) => ({
      service: serviceKey(this.scope.accountId, clusterName, serviceName),
      events: serviceEventsKey(this.scope.accountId, clusterName, serviceName),
    });
    // Every service and its events in one round trip.
    const items = await consistentGetMany(this.table, serviceNames.flatMap((name) => Object.values(keysOf(name))));
    return serviceNames.map((name) => {
      const keys = keysOf(name);
      const item = items.get(keys.service);
      if (!item) return undefined;
      return { service: toService(item), events: (items.get(keys.events)?.events as ServiceEvent[] | undefined) ?? [] };
    });
  }

  async list(clusterName: string, page: PageRequest): Promise<Page<string>> {
    const partition = keys.cluster(this.scope.accountId, clusterName);
    const { items, nextToken } = await queryPage<{ PK: string; SK: string; serviceArn: string }>(
      this.table,
      {
        // The list index holds ACTIVE and DRAINING services only, not their events items.
        KeyConditionExpression: 'PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': listKeys.service('') },
      },
      { list: 'ListServices', partition },
      page,
      listIndexQuery((key) => key.SK),
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
