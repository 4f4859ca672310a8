import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { secretFor } from '../../lib/auth/keys';
import { purgeTenant } from '../../lib/auth/purge';
import { createSandbox } from '../../lib/auth/sandboxes';
import { TenantStore } from '../../lib/auth/tenant-store';
import type { TableContext } from '../../lib/adapters/dynamodb/table';
import { buildDepsFactory } from '../../lib/container';
import { createServiceInput } from '../../lib/domain/service';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster } from '../../lib/usecases/clusters';
import { createService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { runTask, runTaskInput } from '../../lib/usecases/tasks';
import { fargateTaskDefinition } from '../support/fixtures';
import { freshTable, TestClock, testConfig } from '../support/dynamo';

const MASTER = 'integration-master-key-0123456789abcdef';
const settings = { lifetimeMs: 3_600_000, maxTenants: 2, perIpPerHour: 100, inviteCode: 'open-sesame' };
let table: TableContext;
let tenants: TenantStore;
const clock = new TestClock();

const sandbox = (inviteCode?: string, maxTenants = settings.maxTenants) =>
  createSandbox(
    { tenants, settings: { ...settings, maxTenants }, region: 'us-east-1', masterKey: MASTER, now: clock.now() },
    inviteCode === undefined ? {} : { inviteCode },
    '10.0.0.1',
    'http://e',
  );

const itemsNaming = async (accountId: string) => {
  const { Items = [] } = await table.client.send(new ScanCommand({ TableName: table.tableName, ConsistentRead: true }));
  return Items.filter((item) => JSON.stringify(item).includes(accountId)).map((item) => `${item.PK} ${item.SK}`).sort();
};

beforeAll(async () => {
  table = await freshTable();
  tenants = new TenantStore(table);
});
afterAll(() => table.client.destroy());

describe('sandboxes and tenants in DynamoDB', () => {
  it('requires the stage invite code when set, and derives the secret it shows', async () => {
    await expect(sandbox()).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(sandbox('open-sesame!')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const created = await sandbox('open-sesame');
    expect(created.secretAccessKey).toBe(secretFor(MASTER, created.accessKeyId));
    expect(await tenants.keyGrant(created.accessKeyId)).toMatchObject({ accountId: created.accountId, keyStatus: 'ACTIVE', tenantStatus: 'ACTIVE' });
    // Quota overrides reach the key item, which every request reads anyway.
    await tenants.update(created.accountId, { quotas: { clusters: 2 } });
    expect(await tenants.keyGrant(created.accessKeyId)).toMatchObject({ quotas: { clusters: 2 } });
    // The secret itself is stored nowhere.
    const { Items = [] } = await table.client.send(new ScanCommand({ TableName: table.tableName }));
    expect(JSON.stringify(Items)).not.toContain(created.secretAccessKey);
  });

  it("purges every item a tenant owns, in every partition, and nothing of another tenant's", async () => {
    const doomed = await sandbox('open-sesame');
    const survivors = await tenants.list({ maxResults: 10 });
    const depsOf = buildDepsFactory(testConfig(table.tableName), { table, clock });
    for (const accountId of survivors.tenants.map((tenant) => tenant.accountId)) {
      const deps = depsOf(accountId);
      await createCluster(deps, { clusterName: 'c1' });
      await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
      const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
      await createService(deps, createServiceInput().parse({ launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network }));
      await runTask(deps, runTaskInput().parse({ launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', count: 2, networkConfiguration: network }));
    }
    const other = survivors.tenants.find((tenant) => tenant.accountId !== doomed.accountId)!.accountId;
    const othersBefore = await itemsNaming(other);
    const doomedItems = await itemsNaming(doomed.accountId);
    expect(doomedItems.some((item) => item.startsWith(`A#${doomed.accountId}#C#c1 TASK#`))).toBe(true);

    // The cap (2 live) is reached; the purge frees a place.
    await expect(sandbox('open-sesame')).rejects.toMatchObject({ name: 'LimitExceededException' });
    expect(await purgeTenant(tenants, depsOf(doomed.accountId).fleets, 'us-east-1', doomed.accountId, clock.now())).toBe(true);
    expect(await itemsNaming(doomed.accountId)).toEqual([]);
    expect(await itemsNaming(other)).toEqual(othersBefore);
    expect(await purgeTenant(tenants, depsOf(doomed.accountId).fleets, 'us-east-1', doomed.accountId, clock.now())).toBe(false);
    await expect(sandbox('open-sesame')).resolves.toMatchObject({ accountId: expect.any(String) });
  });

  it('deletes a write that lands after the purge read the partitions (a commit already under way)', async () => {
    const late = await sandbox('open-sesame', 10);
    const deps = buildDepsFactory(testConfig(table.tableName), { table, clock })(late.accountId);
    await createCluster(deps, { clusterName: 'c1' });
    /** Writes a task into the cluster's partition just after the first deletion, as a late commit would. */
    class LateCommit extends TenantStore {
      private landed = false;
      override async deleteItems(items: Array<{ PK: string; SK: string }>) {
        await super.deleteItems(items);
        if (this.landed) return;
        this.landed = true;
        await table.client.send(new PutCommand({ TableName: table.tableName, Item: { PK: `A#${late.accountId}#C#c1`, SK: 'TASK#late', kind: 'task' } }));
      }
    }
    await purgeTenant(new LateCommit(table), deps.fleets, 'us-east-1', late.accountId, clock.now());
    expect(await itemsNaming(late.accountId)).toEqual([]);
  });

  it('finds expired tenants in expiry order, and lists the registry page by page', async () => {
    const { tenants: all } = await tenants.list({ maxResults: 100 });
    expect(await tenants.expired(clock.now(), 10)).toEqual([]);
    const soonest = all.reduce((first, tenant) => (tenant.expiresAt < first.expiresAt ? tenant : first));
    await tenants.update(soonest.accountId, { expiresAt: clock.now() - 1 });
    expect(await tenants.expired(clock.now(), 10)).toEqual([soonest.accountId]);
    const first = await tenants.list({ maxResults: 1 });
    const second = await tenants.list({ maxResults: 1, nextToken: first.nextToken });
    expect([...first.tenants, ...second.tenants].map((tenant) => tenant.accountId).sort()).toEqual(all.map((tenant) => tenant.accountId).sort());
    await expect(tenants.list({ maxResults: 1, nextToken: 'forged' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
