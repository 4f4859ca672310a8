import { buildReconciler } from '../../lib/container';
import type { Deps } from '../../lib/deps';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import type { Reconciler } from '../../lib/reconciler/reconciler';
import { createCluster } from '../../lib/usecases/clusters';
import { launchContainerInstances } from '../../lib/usecases/container-instances';
import { createService, describeService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshDeps, serviceTaskRecords, testConfig, TestClock } from '../support/dynamo';

/** Compatible with both launch types: its launch type is the service's to choose. */
const BOTH = {
  family: 'both',
  requiresCompatibilities: ['EC2', 'FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memory: 256 }],
};
const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

/**
 * CreateService with neither a launch type nor a capacity provider strategy takes ECS's default:
 * the cluster's default capacity provider strategy if it has one, else the EC2 launch type.
 */
describe("CreateService's launch default, as ECS's", () => {
  let deps: Deps & { tableName: string };
  let clock: TestClock;
  let reconciler: Reconciler;

  beforeAll(async () => {
    clock = new TestClock();
    deps = await freshDeps({ clock });
    reconciler = buildReconciler(testConfig(deps.tableName), { clock }).reconciler;
    await registerTaskDefinition(deps, validateTaskDefinition(BOTH));
    await createCluster(deps, { clusterName: 'instances' });
    await launchContainerInstances(deps, 'instances', { instanceType: 't3.micro', count: 1 });
    await createCluster(deps, { clusterName: 'empty' });
    await createCluster(deps, {
      clusterName: 'spot',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    });
  });

  const passes = async (count: number) => {
    for (let pass = 0; pass < count; pass++) {
      await reconciler.pass();
      await reconciler.release();
      clock.advance(1_000);
    }
  };

  it('runs on the EC2 instances of a cluster without a default strategy, or says it cannot place when there are none', async () => {
    // A t3.micro has room for one awsvpc task (its second ENI).
    const { service } = await createService(deps, { cluster: 'instances', serviceName: 'web', taskDefinition: 'both', desiredCount: 1, networkConfiguration: network });
    expect(service).toMatchObject({ launchType: 'EC2', schedulingStrategy: 'REPLICA' });
    expect(service).not.toHaveProperty('capacityProviderStrategy');
    expect(service).not.toHaveProperty('platformVersion');
    await createService(deps, { cluster: 'empty', serviceName: 'web', taskDefinition: 'both', desiredCount: 1, networkConfiguration: network });
    await passes(3);
    const placed = (await serviceTaskRecords(deps, 'instances', 'web')).filter((task) => task.lastStatus !== 'STOPPED');
    expect(placed).toHaveLength(1);
    expect(placed.every((task) => task.launchType === 'EC2' && task.containerInstanceArn)).toBe(true);
    expect(await serviceTaskRecords(deps, 'empty', 'web')).toHaveLength(0);
    const { service: unplaced } = await describeService(deps, 'empty', 'web');
    expect(unplaced.events.map((event) => event.message)).toContainEqual(expect.stringContaining('(service web) was unable to place a task'));
  });

  it("takes the cluster's default capacity provider strategy when it has one", async () => {
    const { service } = await createService(deps, { cluster: 'spot', serviceName: 'web', taskDefinition: 'both', desiredCount: 2, networkConfiguration: network });
    expect(service).toHaveProperty('capacityProviderStrategy', [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }]);
    expect(service).not.toHaveProperty('launchType');
    expect(service.platformVersion).toBe('LATEST');
    await passes(2);
    const tasks = await serviceTaskRecords(deps, 'spot', 'web');
    expect(tasks).toHaveLength(2);
    expect(tasks.every((task) => task.launchType !== 'EC2' && task.capacityProviderName === 'FARGATE_SPOT')).toBe(true);
  });

  it('keeps a launch type or strategy that is asked for', async () => {
    const fargate = await createService(deps, { cluster: 'spot', serviceName: 'fargate', taskDefinition: 'both', desiredCount: 0, launchType: 'FARGATE', networkConfiguration: network });
    expect(fargate.service).toHaveProperty('launchType', 'FARGATE');
    expect(fargate.service).not.toHaveProperty('capacityProviderStrategy');
    const strategy = [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }];
    const onFargate = await createService(deps, { cluster: 'instances', serviceName: 'own', taskDefinition: 'both', desiredCount: 0, capacityProviderStrategy: strategy, networkConfiguration: network });
    expect(onFargate.service).toHaveProperty('capacityProviderStrategy', strategy);
    expect((await deps.services.get('instances', 'own'))!.service.launchType).toBe('FARGATE');
  });
});
