import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { FargateFleet } from '../../lib/fleet/fargate';
import { describeFleetBackendContract, sampleTaskDefinition } from '../contract/fleet-backend';
import { api, apiUrl } from '../support/http';

/**
 * The Fargate adapter passes the same contract as the simulated fleet, talking over real HTTP,
 * through the real @aws-sdk/client-ecs, to ecsbox's own ECS endpoint, which runs the tasks on
 * its simulated fleet. Only the clock is real here: the contract waits as it would on AWS.
 */
describeFleetBackendContract(
  'Fargate adapter over HTTP against ecsbox’s ECS endpoint',
  async () => {
    await api.post('/v1/clusters', { clusterName: 'fargate-target' });
    const client = new ECSClient({
      endpoint: apiUrl(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    return {
      backend: new FargateFleet(client, {
        cluster: 'fargate-target',
        subnets: ['subnet-contract'],
        assignPublicIp: 'ENABLED',
        familyPrefix: 'ecsbox-contract-',
      }),
      clock: {
        now: () => Date.now(),
        advance: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      },
      taskDefinition: sampleTaskDefinition,
      runningTasks: async () => (await client.send(new ListTasksCommand({ cluster: 'fargate-target', maxResults: 100 }))).taskArns ?? [],
      teardown: async () => client.destroy(),
    };
  },
  { pollIntervalMs: 250, deadlineMs: 30_000, testTimeoutMs: 60_000 },
);
