import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTableContext } from '../../lib/adapters/dynamodb/table';
import { buildDeps } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { meteredRequest } from '../../lib/metering/request-meter';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, updateService } from '../../lib/usecases/services';
import { tagResource } from '../../lib/usecases/tags';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { runTask, stopTask } from '../../lib/usecases/tasks';
import { dynamoEndpoint, freshTable, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

/** Sandbox-profile deps over a fresh table, with some quotas lowered to reach them in a few calls. */
const sandboxDeps = async (clock: TestClock, variables: Record<string, string> = {}) => {
  const table = await freshTable();
  table.client.destroy();
  const settings = parseConfig({
    TABLE_NAME: table.tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    FLEET_PROFILE: 'fast',
    ECSBOX_QUOTAS: 'sandbox',
    ...variables,
  });
  const deps = buildDeps(settings, { clock });
  const raw = createTableContext({ tableName: table.tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'x' });
  /** Every item of the table, to prove that a refused request stored nothing. */
  const snapshot = async () => {
    const { Items = [] } = await raw.client.send(new ScanCommand({ TableName: table.tableName, ConsistentRead: true }));
    return Items.map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
  };
  const setTenantQuotas = (quotas: unknown) =>
    raw.client.send(new PutCommand({ TableName: table.tableName, Item: { PK: 'A#000000000000', SK: 'TENANT', quotas } }));
  return { deps, settings, snapshot, setTenantQuotas, close: () => raw.client.destroy() };
};

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

const withWebFamily = async (deps: Deps) => {
  await createCluster(deps, { clusterName: 'c1' });
  await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
};

describe('per-account quotas (sandbox profile) on DynamoDB Local', () => {
  it("takes a tenant's overrides from its item, and ignores overrides that do not parse", async () => {
    const clock = new TestClock();
    const { deps, setTenantQuotas, close } = await sandboxDeps(clock);
    await setTenantQuotas({ clustersPerAccount: 2 });
    await createCluster(deps, { clusterName: 'a' });
    await createCluster(deps, { clusterName: 'b' });
    await expect(createCluster(deps, { clusterName: 'c' })).rejects.toMatchObject({
      name: 'ClientException',
      message: 'The maximum number of clusters (2) for this account has been reached. Delete unused clusters and try again.',
    });
    // A broken override never lifts a quota: the sandbox's 5 apply (after the cache's 30 s).
    await setTenantQuotas({ clustersPerAccount: 'lots' });
    clock.advance(31_000);
    for (const name of ['c', 'd', 'e']) await createCluster(deps, { clusterName: name });
    await expect(createCluster(deps, { clusterName: 'f' })).rejects.toMatchObject({ message: expect.stringContaining('(5)') });
    close();
  });

  it('refuses running tasks past the account quota with LimitExceededException, storing nothing', async () => {
    const clock = new TestClock();
    const { deps, snapshot, close } = await sandboxDeps(clock, { ECSBOX_MAX_RUNNING_TASKS: '3' });
    await withWebFamily(deps);
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 's', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network });
    const before = await snapshot();
    const refusal = {
      name: 'LimitExceededException',
      message:
        "The maximum number of running tasks (3) for this account has been reached. Lower a service's desired count or stop tasks, and try again.",
    };
    await expect(runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', count: 2, networkConfiguration: network })).rejects.toMatchObject(refusal);
    await expect(updateService(deps, 'c1', 's', { desiredCount: 4 })).rejects.toMatchObject(refusal);
    await expect(
      createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 't', taskDefinition: 'web', desiredCount: 2, networkConfiguration: network }),
    ).rejects.toMatchObject(refusal);
    expect(await snapshot()).toEqual(before);

    const { tasks } = await runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', networkConfiguration: network });
    await expect(updateService(deps, 'c1', 's', { desiredCount: 3 })).rejects.toMatchObject(refusal);
    // A stopped standalone task frees its slot; a lowered desired count frees its own.
    await stopTask(deps, 'c1', tasks[0].taskArn);
    clock.advance(60_000);
    // The reconciler records the fleet's STOPPED; no reconciler runs here, so the test records it.
    const stopped = await deps.tasks.get('c1', tasks[0].taskArn.split('/').pop()!);
    if (stopped?.lastStatus !== 'STOPPED') await deps.tasks.save({ ...stopped!, lastStatus: 'STOPPED', stoppedAt: clock.now(), version: stopped!.version + 1 });
    await expect(updateService(deps, 'c1', 's', { desiredCount: 3 })).resolves.toBeDefined();
    await updateService(deps, 'c1', 's', { desiredCount: 0 });
    // Concurrent RunTasks meet on the account's count: exactly the quota's worth land.
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', networkConfiguration: network })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ name: 'LimitExceededException' });
    close();
  }, 30_000);

  it('answers a RunTask retried with its clientToken at the quota with its tasks, not a refusal', async () => {
    const { deps, close } = await sandboxDeps(new TestClock(), { ECSBOX_MAX_RUNNING_TASKS: '1' });
    await withWebFamily(deps);
    const run = (clientToken: string) => runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'web', networkConfiguration: network, clientToken });
    const first = await run('once');
    expect((await run('once')).tasks.map((task) => task.taskArn)).toEqual(first.tasks.map((task) => task.taskArn));
    await expect(run('another')).rejects.toMatchObject({ name: 'LimitExceededException' });
    close();
  });

  it('refuses tags past the tags-per-resource quota, on creation and when TagResource merges them', async () => {
    const clock = new TestClock();
    const { deps, snapshot, close } = await sandboxDeps(clock, { ECSBOX_MAX_TAGS_PER_RESOURCE: '2' });
    const tags = (...keys: string[]) => keys.map((key) => ({ key, value: 'v' }));
    const before = await snapshot();
    await expect(createCluster(deps, { clusterName: 'x', tags: tags('a', 'b', 'c') })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'A resource can have at most 2 tags.',
    });
    await expect(registerTaskDefinition(deps, validateTaskDefinition({ ...fargateTaskDefinition('web'), tags: tags('a', 'b', 'c') }))).rejects.toMatchObject({
      message: 'A resource can have at most 2 tags.',
    });
    expect(await snapshot()).toEqual(before);
    const { cluster } = await createCluster(deps, { clusterName: 'x', tags: tags('a') });
    await tagResource(deps, { resourceArn: cluster.clusterArn, tags: tags('a', 'b') });
    await expect(tagResource(deps, { resourceArn: cluster.clusterArn, tags: tags('c') })).rejects.toMatchObject({
      message: 'A resource can have at most 2 tags.',
    });
    close();
  });
});

describe('the request rate per account', () => {
  it('admits a burst, then the sustained rate, shared by every container, and refuses with ThrottlingException', async () => {
    const clock = new TestClock();
    const { deps, settings, close } = await sandboxDeps(clock, { ECSBOX_MAX_REQUESTS_PER_SECOND: '2', ECSBOX_REQUEST_BURST: '3' });
    // A second container over the same table: the bucket is the account's, not the container's.
    const other = buildDeps(settings, { clock });
    const request = (on: Deps) => meteredRequest(on, async () => 'done');
    await expect(request(deps)).resolves.toBe('done');
    await expect(request(other)).resolves.toBe('done');
    await expect(request(deps)).resolves.toBe('done');
    await expect(request(other)).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    await expect(request(deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
    clock.advance(500);
    await expect(request(other)).resolves.toBe('done');
    await expect(request(deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
    clock.advance(10_000);
    for (let index = 0; index < 3; index++) await expect(request(index % 2 ? deps : other)).resolves.toBe('done');
    close();
  });
});
