import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { consistentGet, consistentGetMany } from '../../lib/adapters/dynamodb/table';
import { buildDeps } from '../../lib/container';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { measuring, type Consumption } from '../../lib/metering/consumption';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeServices } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshTable, recordCommands, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

describe('strongly consistent reads made side by side', () => {
  it("read a use case's cluster and services in one BatchGetItem, and never mix two requests' reads", async () => {
    const table = await freshTable();
    const deps = buildDeps(testConfig(table.tableName), { clock: new TestClock(), table });
    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    for (const serviceName of ['s1', 's2']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 0, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });
    }
    const sent = recordCommands(table);

    const described = await describeServices(deps, 'c1', ['s1', 's2', 'missing']);
    expect(described.services.map((service) => service.serviceName)).toEqual(['s1', 's2']);
    expect(described.failures).toEqual([expect.objectContaining({ reason: 'MISSING' })]);
    // The cluster check and both services with their events items: one round trip.
    expect(sent).toEqual(['BatchGetItem']);

    // Two metered requests at once: a batch each, so each request counts its own units.
    sent.length = 0;
    const consumptions: Consumption[] = [{ readUnits: 0, writeUnits: 0 }, { readUnits: 0, writeUnits: 0 }];
    await Promise.all(consumptions.map((consumption, index) => measuring(consumption, () => describeServices(deps, 'c1', [`s${index + 1}`]))));
    expect(sent).toEqual(['BatchGetItem', 'BatchGetItem']);
    // Each its cluster and service item (its events item does not exist yet): not 4 units to one and 0 to the other.
    expect(consumptions.map((consumption) => consumption.readUnits)).toEqual([2, 2]);
  });

  it('answers every key, repeated ones and more than one BatchGetItem holds, and fails every read of a failed batch', async () => {
    const table = await freshTable();
    const keys = Array.from({ length: 150 }, (_, index) => ({ PK: 'P', SK: `S#${index}` }));
    await Promise.all(keys.filter((_, index) => index % 3 === 0).map((key) => table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...key, n: key.SK } }))));
    const sent = recordCommands(table);
    const items = await consistentGetMany(table, [...keys, keys[0], keys[1]]);
    expect(keys.map((key) => items.get(key)?.n ?? null)).toEqual(keys.map((key, index) => (index % 3 === 0 ? key.SK : null)));
    expect(sent).toEqual(['BatchGetItem', 'BatchGetItem']);

    const broken = { ...table, tableName: 'no-such-table' };
    const reads = [consistentGet(broken, keys[0]), consistentGet(broken, keys[1])];
    for (const read of reads) await expect(read).rejects.toThrow();
  });
});
