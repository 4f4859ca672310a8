import { buildDeps, buildReconciler } from '../../lib/container';
import { wakeControllersWithWork } from '../../lib/controllers/scheduled';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCapacityProvider } from '../../lib/usecases/capacity-providers';
import { createCluster } from '../../lib/usecases/clusters';
import { registerScalableTarget } from '../../lib/usecases/scaling';
import { createService } from '../../lib/usecases/services';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { freshTable, recordCommands, testConfig, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

const ASG = 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f3c2b1a-1111-2222-3333-444455556666:autoScalingGroupName/ec2-asg';

describe("the reconciler's scheduled minute and the scaling and capacity controllers", () => {
  it('wakes each controller only while some account has something for it, with one small read each', async () => {
    const table = await freshTable();
    const settings = testConfig(table.tableName);
    const clock = new TestClock();
    const deps = buildDeps(settings, { clock });
    const woken: string[] = [];
    const recording = (name: string) => ({ wake: async () => void woken.push(name) });
    const { controllers } = buildReconciler(settings, { clock, table, scalingTrigger: recording('scaling'), capacityTrigger: recording('capacity') });
    const sent = recordCommands(table);

    // A deployment with neither: two reads, nothing woken (no invocation, no lease taken).
    expect(await wakeControllersWithWork(controllers)).toEqual([]);
    expect({ sent, woken }).toEqual({ sent: ['Query', 'Query'], woken: [] });

    await createCluster(deps, { clusterName: 'c1' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    await createService(deps, { launchType: 'FARGATE', cluster: 'c1', serviceName: 's1', taskDefinition: 'web', desiredCount: 1, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });
    await registerScalableTarget(deps, { ServiceNamespace: 'ecs', ResourceId: 'service/c1/s1', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 4 });
    expect(await wakeControllersWithWork(controllers)).toEqual(['scaling']);

    await createCapacityProvider(deps, { name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: ASG, managedScaling: { status: 'ENABLED', targetCapacity: 100 } } });
    expect(await wakeControllersWithWork(controllers)).toEqual(['scaling', 'capacity']);
    expect(woken.sort()).toEqual(['capacity', 'scaling', 'scaling']);
  });
});
