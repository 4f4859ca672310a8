import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { checkedEcsClient } from './ecs-wire';
import { fargateTaskDefinition } from './fixtures';
import { apiUrl } from './http';

/** The real ECS (model-checked), Application Auto Scaling and CloudWatch clients, on the local stack. */
export const awsClients = () => {
  const options = { endpoint: apiUrl(), region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
  const ecs: ECSClient = checkedEcsClient().client;
  const scaling = new ApplicationAutoScalingClient(options);
  const cloudwatch = new CloudWatchClient(options);
  return { ecs, scaling, cloudwatch, destroy: () => [ecs, scaling, cloudwatch].forEach((client) => client.destroy()) };
};

/** A cluster, a task definition `<cluster>-web`, and services of it with `desiredCount` tasks each. */
export const createServices = async (ecs: ECSClient, cluster: string, serviceNames: string[], desiredCount: number) => {
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition(`${cluster}-web`) as never));
  await Promise.all(
    serviceNames.map((serviceName) =>
      ecs.send(
        new CreateServiceCommand({
          launchType: 'FARGATE',
          cluster,
          serviceName,
          taskDefinition: `${cluster}-web`,
          desiredCount,
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-12345678'] } },
        }),
      ),
    ),
  );
};

/** The members that name a service's scalable target. */
export const scalableTargetOf = (cluster: string, service: string) => ({
  ServiceNamespace: 'ecs' as const,
  ResourceId: `service/${cluster}/${service}`,
  ScalableDimension: 'ecs:service:DesiredCount' as const,
});
