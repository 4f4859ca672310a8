import { randomUUID } from 'node:crypto';
import { buildDeps } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, describeServices, listServices } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { listTasks, runTask } from '../../lib/usecases/tasks';
import { dynamoEndpoint, freshDeps, TestClock } from '../support/dynamo';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { fargateTaskDefinition } from '../support/fixtures';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const DEADLINE_MS = 800;

/** What a caller sees of a call: its error's name, or "ok". */
const outcome = (call: Promise<unknown>) => call.then(() => 'ok', (error: Error) => error.name);

describe('a frozen DynamoDB', () => {
  let proxy: FaultProxy;
  let direct: Deps & { tableName: string };
  let frozen: Deps;

  beforeAll(async () => {
    proxy = await startFaultProxy(dynamoEndpoint());
  });
  afterAll(() => proxy.close());

  beforeEach(async () => {
    direct = await freshDeps();
    frozen = buildDeps(
      parseConfig({
        TABLE_NAME: direct.tableName,
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DYNAMODB_DEADLINE_MS: String(DEADLINE_MS),
        FLEET_PROFILE: 'fast',
      }),
      { clock: new TestClock() },
    );
    await createCluster(direct, { clusterName: 'c1' });
    await registerTaskDefinition(direct, validateTaskDefinition(fargateTaskDefinition('web')));
  });
  afterEach(() => proxy.resume());

  /**
   * Runs `call` with DynamoDB freezing at its first request naming `operation` (the write): it must
   * fail with ServerException within its deadline, and the held write lands after the answer.
   */
  const duringStall = async (operation: string, call: () => Promise<unknown>) => {
    proxy.pauseAt(operation);
    const started = Date.now();
    const seen = await outcome(call());
    const tookMs = Date.now() - started;
    proxy.resume();
    console.log(`a call on a frozen DynamoDB answered ${seen} after ${tookMs} ms (deadline ${DEADLINE_MS} ms)`);
    expect(seen).toBe('ServerException');
    expect(tookMs).toBeLessThan(DEADLINE_MS * 3);
  };

  it('answers ServerException within the deadline, and a retried CreateService leaves one service', async () => {
    const input = { cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, launchType: 'FARGATE' as const, networkConfiguration: network, clientToken: 'tok-1' };
    await duringStall('TransactWriteItems', () => createService(frozen, input));
    // The held write may land after the answer: the retry must answer the same service either way.
    const retried = await createService(frozen, input);
    expect(await createService(frozen, input)).toEqual(retried);
    const listed = await listServices(direct, 'c1', {});
    expect(listed.serviceArns).toEqual([retried.service.serviceArn]);
    expect((await describeServices(direct, 'c1', ['web'])).services).toHaveLength(1);
  });

  it('leaves one set of tasks when a RunTask with a clientToken is retried after a stall', async () => {
    const input = { cluster: 'c1', taskDefinition: 'web', launchType: 'FARGATE' as const, count: 2, networkConfiguration: network, clientToken: randomUUID() };
    await duringStall('TransactWriteItems', () => runTask(frozen, input));
    const retried = await runTask(frozen, input);
    expect(retried.tasks).toHaveLength(2);
    const listed = await listTasks(direct, 'c1', {});
    expect(listed.taskArns.sort()).toEqual(retried.tasks.map((task) => task.taskArn).sort());
  });

  it('leaves one cluster when a CreateCluster is retried after a stall', async () => {
    await duringStall('TransactWriteItems', () => createCluster(frozen, { clusterName: 'c2' }));
    const retried = await createCluster(frozen, { clusterName: 'c2' });
    expect(retried.cluster).toMatchObject({ clusterName: 'c2', status: 'ACTIVE' });
  });

  it('still refuses cleanly (4xx) when DynamoDB answers', async () => {
    expect(await outcome(createService(frozen, { launchType: 'FARGATE', cluster: 'nope', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network }))).toBe(
      'ClusterNotFoundException',
    );
  });
});
