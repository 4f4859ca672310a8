import { GetCommand, PutCommand, TransactWriteCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ArnScope } from '../../domain/arn';
import type { EpochMs, ServiceEvent } from '../../domain/model';
import { serviceEvents, type ServiceState } from '../../domain/service';
import { ClientException, ClusterNotFoundException, ConflictException } from '../../errors';
import type { Page, PageRequest, QuotaSource, ServiceRepository, StoredService } from '../../ports';
import { accountOf, DUE_NOW, serviceEventsKey, serviceItem, serviceItemWrite, serviceKey, toService } from './fleet-items';
import { listIndexQuery, listKeys } from './list-index';
import type { TaskReservations } from './task-reservations';
import { cancellationCodes, consistentGetMany, isConditionFailure, keys, putAtVersion, putNewOrInactive, queryPage, translateThrottling, type TableContext } from './table';

export class DynamoServiceRepository implements ServiceRepository {
  constructor(
    private readonly table: TableContext,
    private readonly scope: ArnScope,
    private readonly shards: number,
    private readonly quotas: QuotaSource,
    private readonly reservations: TaskReservations,
    private readonly clock: { now(): EpochMs },
  ) {}

  /**
   * The service's item at its new version, and its events item when its recent events move there
   * (read first, strongly consistent: a write of it is conditioned on the service's version).
   */
  private async versionedPuts(service: ServiceState): Promise<object[]> {
    const write = await serviceItemWrite(service, this.shards, DUE_NOW, () => this.olderEvents(service));
    return [{ Put: putAtVersion(this.table.tableName, write.service) }, ...(write.olderEvents ? [{ Put: { TableName: this.table.tableName, Item: write.olderEvents } }] : [])];
  }

  private async olderEvents(service: ServiceState): Promise<ServiceEvent[]> {
    const { Item } = await this.table.client
      .send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName),
          ConsistentRead: true,
        }),
      )
      .catch(translateThrottling);
    return (Item?.events as ServiceEvent[] | undefined) ?? [];
  }

  private clusterCount(service: ServiceState, delta: 1 | -1, servicesPerCluster = 0) {
    return {
      Update: {
        TableName: this.table.tableName,
        Key: { PK: keys.account(accountOf(service.serviceArn)), SK: keys.clusterItem(service.clusterName) },
        UpdateExpression: 'ADD activeServicesCount :delta',
        // ECS's services-per-cluster quota, checked against the kept count.
        ConditionExpression: delta > 0 ? '#status = :active AND activeServicesCount < :limit' : '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':active': 'ACTIVE', ...(delta > 0 ? { ':limit': servicesPerCluster } : {}) },
      },
    };
  }

  /** The account's running-tasks reservation moving with the service's desired count (when that quota is enforced). */
  private reservation(service: ServiceState, delta: number) {
    return this.reservations.reserve(accountOf(service.serviceArn), delta, this.clock.now());
  }

  async create(service: ServiceState): Promise<void> {
    const { servicesPerCluster } = await this.quotas.of(accountOf(service.serviceArn));
    const reserve = await this.reservation(service, service.desiredCount);
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putNewOrInactive(this.table.tableName, serviceItem(service, this.shards, DUE_NOW)),
            // A service created again after deletion starts with no events.
            { Delete: { TableName: this.table.tableName, Key: serviceEventsKey(accountOf(service.serviceArn), service.clusterName, service.serviceName) } },
            this.clusterCount(service, 1, servicesPerCluster),
            ...(reserve ? [reserve.action] : []),
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      const [, , clusterCode, reserveCode] = cancellationCodes(error);
      if (clusterCode === 'ConditionalCheckFailed') throw await this.clusterRefusal(service, servicesPerCluster);
      if (reserve && reserveCode === 'ConditionalCheckFailed') throw await this.reservations.refusal(accountOf(service.serviceArn), reserve);
      // A service of that name appeared (a concurrent create) or changed since the caller read it:
      // the caller reads again and tells a retry of its own request from a different one.
      throw new ConflictException('The service changed while it was being created; try again.');
    }
  }

  /** Why the cluster refused a new service: it is not ACTIVE, or it holds the most services ECS allows. */
  private async clusterRefusal(service: ServiceState, servicesPerCluster: number): Promise<Error> {
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
      `The maximum number of services (${servicesPerCluster}) for cluster ${service.clusterName} has been reached. Delete unused services and try again.`,
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
      const service = toService(item);
      return { service, events: serviceEvents(service, (items.get(keys.events)?.events as ServiceEvent[] | undefined) ?? []) };
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

  async save(service: ServiceState, desiredCountBefore = service.desiredCount): Promise<void> {
    const reserve = await this.reservation(service, service.desiredCount - desiredCountBefore);
    const [servicePut, ...rest] = [...(await this.versionedPuts(service)), ...(reserve ? [reserve.action] : [])];
    try {
      if (rest.length) {
        await this.table.client.send(new TransactWriteCommand({ TransactItems: [servicePut, ...rest] as never }));
      } else {
        await this.table.client.send(new PutCommand((servicePut as { Put: PutCommandInput }).Put));
      }
    } catch (error) {
      if (!isConditionFailure(error)) return translateThrottling(error);
      // The reservation is the last action: refused there (and not on the version), the quota is reached.
      const codes = cancellationCodes(error);
      if (reserve && codes[0] !== 'ConditionalCheckFailed' && codes.at(-1) === 'ConditionalCheckFailed') {
        throw await this.reservations.refusal(accountOf(service.serviceArn), reserve);
      }
      throw new ConflictException('The service was changed concurrently; try again.');
    }
  }

  async saveDeleted(service: ServiceState, desiredCountBefore = service.desiredCount): Promise<void> {
    const reserve = await this.reservation(service, service.desiredCount - desiredCountBefore);
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            ...((await this.versionedPuts(service)) as never[]),
            this.clusterCount(service, -1),
            ...(reserve ? [reserve.action] : []),
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictException('The service was changed concurrently; try again.');
      return translateThrottling(error);
    }
  }
}
