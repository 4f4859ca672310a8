import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { consistentGet, consistentGetMany } from '../../lib/adapters/dynamodb/table';
import { buildDeps } from '../../lib/container';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { measuring, type Consumption } from '../../lib/metering/consumption';
import { ClusterNotFoundException } from '../../lib/errors';
import { createCluster, deleteCluster } from '../../lib/usecases/clusters';
import { createService, deleteService, describeServices } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshTable, recordCommands, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

describe('strongly consistent reads made side by side', () => {
  it("read a use case's services and their events in one BatchGetItem, and never mix two requests' reads", async () => {
    const table = await freshTable();
    const deps = buildDeps(testConfig(table.tableName), { clock: new TestClock(), table });
    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    for (const serviceName of ['s1', 's2']) {
      await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName, taskDefinition: 'web', desiredCount: 0, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });
    }
    const sent = recordCommands(table);

    const described = await measuring({ readUnits: 0, writeUnits: 0 }, async () => ({
      found: await describeServices(deps, 'c1', ['s1', 's2']),
      missing: await describeServices(deps, 'c1', ['s1', 'missing']),
    }));
    expect(described.found.services.map((service) => service.serviceName)).toEqual(['s1', 's2']);
    expect(described.missing.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/c1/missing', reason: 'MISSING' }]);
    // Both services with their events items: one round trip, and no cluster read while every service
    // is ACTIVE; a missing one needs the cluster's check, after.
    expect(sent).toEqual(['BatchGetItem', 'BatchGetItem', 'BatchGetItem']);

    // Two metered requests at once: a batch each, so each request counts its own units.
    sent.length = 0;
    const consumptions: Consumption[] = [{ readUnits: 0, writeUnits: 0 }, { readUnits: 0, writeUnits: 0 }];
    await Promise.all(consumptions.map((consumption, index) => measuring(consumption, () => describeServices(deps, 'c1', [`s${index + 1}`]))));
    expect(sent).toEqual(['BatchGetItem', 'BatchGetItem']);
    // Each its service item (its events item does not exist yet; the cluster is not read): not 2 units to one and 0 to the other.
    expect(consumptions.map((consumption) => consumption.readUnits)).toEqual([1, 1]);

    // A service left DRAINING in a deleted cluster does not vouch for the cluster.
    for (const serviceName of ['s1', 's2']) await deleteService(deps, 'c1', serviceName, false);
    expect((await describeServices(deps, 'c1', ['s1'])).services.map((service) => service.status)).toEqual(['DRAINING']);
    await deleteCluster(deps, 'c1');
    await expect(describeServices(deps, 'c1', ['s1'])).rejects.toBeInstanceOf(ClusterNotFoundException);
    await expect(describeServices(deps, 'nowhere', ['s1'])).rejects.toBeInstanceOf(ClusterNotFoundException);
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
