/**
 * npm run bench:scaling — Service Auto Scaling on the local stack (fast profile: a metric minute is
 * 5 s):
 * 1. the time from a load step to the scale-out completing: SERVICES services of 1 task, each with a
 *    target-tracking policy (CPU 50 %), get a load of 190 % at once (190 ± 3 % over 50 %: 4 tasks); reported per service: when
 *    desiredCount became 4 (the decision) and when 4 tasks were RUNNING (the scale-out complete).
 *    Target: the decision within 3 metric minutes and a pass (≤ 25 s), complete within a minute.
 * 2. the DynamoDB capacity the controller costs: PASSES controller passes over the same services
 *    (steady, at their target), run in this process on a metered client of the stack's table
 *    (ReturnConsumedCapacity on every call), reported per service per pass and per service per
 *    minute (12 passes a minute on the fast profile, 1 on the realistic one). Metrics are computed
 *    from the task items, so nothing is written per minute.
 */
import {
  ApplicationAutoScalingClient,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { createTableContext, type TableContext } from '../lib/adapters/dynamodb/table';
import { parseConfig } from '../lib/config';
import { buildController } from '../lib/container';
import { scalingPass } from '../lib/controllers/scaling/controller';
import { createLogger } from '../lib/log';
import { freePort } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 5);
const PASSES = Number(process.env.BENCH_PASSES ?? 20);
const CLUSTER = 'bench-scaling';

const meterCapacity = (table: TableContext) => {
  const meter = { read: 0, write: 0, calls: 0 };
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity].flat() as Array<{ CapacityUnits?: number } | undefined>;
      const units = consumed.reduce((total, entry) => total + (entry?.CapacityUnits ?? 0), 0);
      if (/Put|Update|Delete|Write/.test(String(context.commandName))) meter.write += units;
      else meter.read += units;
      meter.calls += 1;
      return result;
    },
    { step: 'initialize', name: 'capacityMeter' },
  );
  return meter;
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const main = async () => {
  const port = await freePort();
  const stack = await startLocalStack({ httpPort: port, lambdaPort: await freePort() });
  const clientOptions = { endpoint: stack.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  const ecs = new ECSClient(clientOptions);
  const scaling = new ApplicationAutoScalingClient(clientOptions);
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench-scaling',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }],
      }),
    );
    const names = Array.from({ length: SERVICES }, (_, index) => `web-${index}`);
    for (const serviceName of names) {
      await ecs.send(
        new CreateServiceCommand({
          launchType: 'FARGATE',
          cluster: CLUSTER,
          serviceName,
          taskDefinition: 'bench-scaling',
          desiredCount: 1,
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-12345678'] } },
        }),
      );
      const target = { ServiceNamespace: 'ecs' as const, ResourceId: `service/${CLUSTER}/${serviceName}`, ScalableDimension: 'ecs:service:DesiredCount' as const };
      await scaling.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 1, MaxCapacity: 10 }));
      await scaling.send(
        new PutScalingPolicyCommand({
          ...target,
          PolicyName: 'cpu50',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
        }),
      );
    }
    const describe = async () => (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: names }))).services ?? [];
    while (!(await describe()).every((service) => service.runningCount === 1)) await new Promise((resolve) => setTimeout(resolve, 200));

    // 1. Load step → scale-out.
    const stepAt = Date.now();
    for (const serviceName of names) {
      const answer = await fetch(`${stack.apiUrl}/v1/clusters/${CLUSTER}/services/${serviceName}/load`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cpuUtilization: 190 }),
      });
      if (answer.status !== 200) throw new Error(`PUT load answered ${answer.status}`);
    }
    const decided = new Map<string, number>();
    const completed = new Map<string, number>();
    const deadline = stepAt + 120_000;
    while (completed.size < names.length && Date.now() < deadline) {
      const now = Date.now();
      for (const service of await describe()) {
        if (service.desiredCount === 4 && !decided.has(service.serviceName!)) decided.set(service.serviceName!, now - stepAt);
        if (service.desiredCount === 4 && service.runningCount === 4 && !completed.has(service.serviceName!)) completed.set(service.serviceName!, now - stepAt);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (completed.size < names.length) throw new Error(`only ${completed.size} of ${names.length} services scaled out within 120 s`);
    const decisions = [...decided.values()];
    const completions = [...completed.values()];
    console.log(`load step → desiredCount 4 (${SERVICES} services): median ${(median(decisions) / 1000).toFixed(1)} s, max ${(Math.max(...decisions) / 1000).toFixed(1)} s`);
    console.log(`load step → 4 tasks RUNNING: median ${(median(completions) / 1000).toFixed(1)} s, max ${(Math.max(...completions) / 1000).toFixed(1)} s`);

    // 2. What the controller's passes cost, on a metered client of the same table.
    const settings = parseConfig({ ...process.env, TABLE_NAME: stack.tableName, DYNAMODB_ENDPOINT: stack.dynamoDbEndpoint, FLEET_PROFILE: 'fast' });
    const table = createTableContext({ tableName: stack.tableName, region: 'us-east-1', endpoint: stack.dynamoDbEndpoint, pageTokenSecret: settings.pageTokenSecret });
    const meter = meterCapacity(table);
    const { depsFor } = buildController(settings, 'scaling', { table, scalingTrigger: { wake: async () => undefined } });
    const quiet = createLogger('bench', 'ERROR');
    const deps = depsFor(settings.accountId);
    await scalingPass(deps, Date.now(), quiet);
    Object.assign(meter, { read: 0, write: 0, calls: 0 });
    const started = Date.now();
    for (let pass = 0; pass < PASSES; pass++) await scalingPass(deps, Date.now(), quiet);
    const passMs = (Date.now() - started) / PASSES;
    const perServicePass = { read: meter.read / PASSES / SERVICES, write: meter.write / PASSES / SERVICES };
    console.log(
      `controller pass over ${SERVICES} steady services: ${passMs.toFixed(0)} ms, ${(meter.calls / PASSES).toFixed(1)} DynamoDB calls; ` +
        `per service per pass ${perServicePass.read.toFixed(2)} RCU, ${perServicePass.write.toFixed(2)} WCU`,
    );
    console.log(
      `per service per minute: fast profile (12 passes) ${(perServicePass.read * 12).toFixed(1)} RCU, ${(perServicePass.write * 12).toFixed(2)} WCU; ` +
        `realistic (1 pass) ${perServicePass.read.toFixed(2)} RCU, ${perServicePass.write.toFixed(2)} WCU`,
    );
  } finally {
    ecs.destroy();
    scaling.destroy();
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
