import { buildDeps, buildReconciler } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { meteredRequest } from '../../lib/metering/request-meter';
import { createCluster } from '../../lib/usecases/clusters';
import { createService, updateService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { runTask, stopTask } from '../../lib/usecases/tasks';
import { usageReport } from '../../lib/usecases/usage';
import { depsWithWebFamily, dynamoEndpoint, freshTable, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('the cost meter on DynamoDB Local', () => {
  it("counts each request's units and time per account and day, and prices tasks as Fargate would have", async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 12));
    const table = await freshTable();
    table.client.destroy();
    const deps = buildDeps(parseConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), FLEET_PROFILE: 'fast' }), { clock });
    const metered = <T>(work: () => Promise<T>) => meteredRequest(deps, work);

    const empty = await usageReport(deps, '000000000000', { days: 2 });
    expect(empty.total).toMatchObject({ requests: 0, dynamoDb: { readUnits: 0, writeUnits: 0 } });

    await metered(() => createCluster(deps, { clusterName: 'c1' }));
    const afterCluster = (await usageReport(deps, '000000000000')).total;
    // A Put and a count in one transaction (2 actions, 2 units each, and the list index's copy of the
    // cluster as DynamoDB reports it), and the meter's own write.
    expect(afterCluster.requests).toBe(1);
    expect(afterCluster.dynamoDb.writeUnits).toBeGreaterThanOrEqual(5);
    expect(afterCluster.lambda.ms).toBeGreaterThan(0);
    expect(afterCluster.usd.total).toBeGreaterThan(0);

    await metered(() => registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('arm', { runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } }))));
    const { tasks } = await metered(() => runTask(deps, { launchType: 'FARGATE', cluster: 'c1', taskDefinition: 'arm', count: 2, networkConfiguration: network }));
    // A refused request is counted too: it cost as much.
    await expect(metered(() => runTask(deps, { launchType: 'FARGATE', cluster: 'nowhere', taskDefinition: 'arm', networkConfiguration: network }))).rejects.toThrow();
    const report = await usageReport(deps, '000000000000');
    expect(report.total.requests).toBe(4);
    expect(report.total.dynamoDb.readUnits).toBeGreaterThan(0);
    expect(report.total.dynamoDb.writeUnits).toBeGreaterThan(afterCluster.dynamoDb.writeUnits);
    expect(report.days.at(-1)).toMatchObject({ date: '2026-01-01', requests: 4 });
    // Other accounts see nothing of it.
    expect((await usageReport(deps, '111111111111')).total.requests).toBe(0);

    // Two ARM tasks of 0.25 vCPU and 0.5 GB: one stopped after 10 minutes, one still running.
    clock.advance(600_000);
    await stopTask(deps, 'c1', tasks[0].taskArn);
    const [stopped] = await Promise.all([deps.tasks.get('c1', tasks[0].taskArn.split('/').pop()!)]);
    if (stopped!.lastStatus !== 'STOPPED') {
      // The reconciler records the fleet's STOPPED; no reconciler runs here, so the test records it.
      await deps.tasks.save({ ...stopped!, lastStatus: 'STOPPED', stoppedAt: clock.now(), version: stopped!.version + 1 });
    }
    const { fargate } = await usageReport(deps, '000000000000');
    const perTask = fargate.tasks.find((task) => task.taskArn === tasks[0].taskArn)!;
    expect(perTask).toMatchObject({ architecture: 'ARM64', lastStatus: 'STOPPED' });
    expect(perTask.billedSeconds).toBeGreaterThanOrEqual(600);
    expect(perTask.usd).toBeCloseTo((perTask.billedSeconds * (0.25 * 0.03238 + 0.5 * 0.00356)) / 3600, 6);
    expect(fargate.days.at(-1)).toMatchObject({ date: '2026-01-01', tasks: 2 });
    expect(fargate.services).toEqual([expect.objectContaining({ clusterName: 'c1', tasks: 2 })]);
    // The other task's pull has not been recorded (no reconciler runs here): nothing billed yet.
    const live = fargate.tasks.find((task) => task.taskArn === tasks[1].taskArn)!;
    expect(fargate.totalUsd).toBeCloseTo(perTask.usd + live.usd, 6);

    // The stopped task was added to its day's aggregate once, however often the report runs, and
    // stays there after its record expires.
    await usageReport(deps, '000000000000');
    const [day] = await deps.usage.fargateDays('000000000000', ['2026-01-01']);
    expect(day.counted).toEqual(new Set([tasks[0].taskArn.split('/').pop()]));
    expect(day.entries).toEqual([expect.objectContaining({ clusterName: 'c1', architecture: 'ARM64', tasks: 1 })]);
    clock.advance(2 * 86_400_000);
    const later = await usageReport(deps, '000000000000', { days: 3 });
    expect(later.fargate.days[0]).toMatchObject({ date: '2026-01-01', tasks: 1 });
    expect(later.fargate.tasks.map((task) => task.taskArn)).toEqual([tasks[1].taskArn]);
  });

  it("counts a service's task into its day's Fargate aggregate when the reconciler records it STOPPED", async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 12));
    const deps = await depsWithWebFamily(clock);
    const { reconciler } = buildReconciler(testConfig(deps.tableName), { clock });
    const passUntil = async (done: () => Promise<boolean>) => {
      for (let round = 0; round < 80 && !(await done()); round++) {
        await reconciler.pass();
        clock.advance(500);
      }
    };
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 'web', taskDefinition: 'web', desiredCount: 1, networkConfiguration: network });
    await passUntil(async () => (await serviceTaskRecords(deps, 'c1', 'web')).some((task) => task.lastStatus === 'RUNNING'));
    clock.advance(120_000);
    await updateService(deps, 'c1', 'web', { desiredCount: 0 });
    await passUntil(async () => (await serviceTaskRecords(deps, 'c1', 'web')).every((task) => task.lastStatus === 'STOPPED'));
    const [task] = await serviceTaskRecords(deps, 'c1', 'web');
    expect(task.lastStatus).toBe('STOPPED');
    const [day] = await deps.usage.fargateDays('000000000000', ['2026-01-01']);
    expect(day.counted).toEqual(new Set([task.taskId]));
    expect(day.entries).toEqual([
      expect.objectContaining({ clusterName: 'c1', serviceName: 'web', architecture: 'X86_64', tasks: 1, vcpuSeconds: expect.any(Number) }),
    ]);
    expect(day.entries[0].vcpuSeconds).toBeGreaterThanOrEqual(120 * 0.25);
  }, 30_000);
});
