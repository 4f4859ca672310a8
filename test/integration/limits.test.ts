import { buildDeps } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { ECS_LIMITS } from '../../lib/domain/limits';
import { ECS_QUOTAS, SANDBOX_QUOTAS } from '../../lib/domain/quotas';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster, deleteCluster, describeClusters } from '../../lib/usecases/clusters';
import { createService, deleteService } from '../../lib/usecases/services';
import { deregisterTaskDefinition, registerTaskDefinition } from '../../lib/usecases/task-definitions';
import { dynamoEndpoint, freshTable, TestClock } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

/** ECS's quotas, lowered so that a test reaches them; the defaults are ECS's own. */
const limitedDeps = async (limits: Record<string, string>): Promise<Deps> => {
  const table = await freshTable();
  table.client.destroy();
  return buildDeps(
    parseConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), FLEET_PROFILE: 'fast', ...limits }),
    { clock: new TestClock() },
  );
};

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('ECS resource limits on DynamoDB Local', () => {
  it("defaults to ECS's quotas; the sandbox profile to a learner's, each overridable", () => {
    expect(parseConfig({ TABLE_NAME: 't' }).quotas).toEqual({
      clustersPerAccount: 10_000,
      servicesPerCluster: 5_000,
      revisionsPerFamily: 1_000_000,
      tagsPerResource: 50,
    });
    expect(ECS_QUOTAS).toEqual({ ...ECS_LIMITS, tagsPerResource: 50 });
    // A learner's sandbox, as the hosted mode's brief sizes it.
    expect(parseConfig({ TABLE_NAME: 't', ECSBOX_QUOTAS: 'sandbox' }).quotas).toEqual(SANDBOX_QUOTAS);
    expect(SANDBOX_QUOTAS).toMatchObject({ clustersPerAccount: 5, servicesPerCluster: 20, runningTasksPerAccount: 50, revisionsPerFamily: 500 });
    expect(SANDBOX_QUOTAS).toMatchObject({ requestsPerSecond: 20, requestBurst: 40, tagsPerResource: 20 });
    expect(parseConfig({ TABLE_NAME: 't', ECSBOX_QUOTAS: 'sandbox', ECSBOX_MAX_CLUSTERS: '7' }).quotas).toEqual({
      ...SANDBOX_QUOTAS,
      clustersPerAccount: 7,
    });
    expect(() => parseConfig({ TABLE_NAME: 't', ECSBOX_MAX_TAGS_PER_RESOURCE: '51' })).toThrow(/ECSBOX_MAX_TAGS_PER_RESOURCE/);
    expect(() => parseConfig({ TABLE_NAME: 't', ECSBOX_QUOTAS: 'lots' })).toThrow(/ECSBOX_QUOTAS/);
  });

  it('refuses a cluster past the account quota, even to concurrent callers, and counts a deleted one out', async () => {
    const deps = await limitedDeps({ ECSBOX_MAX_CLUSTERS: '3' });
    const names = Array.from({ length: 8 }, (_, index) => `c${index}`);
    const results = await Promise.allSettled(names.map((clusterName) => createCluster(deps, { clusterName })));
    const created = names.filter((_, index) => results[index].status === 'fulfilled');
    expect(created).toHaveLength(3);
    for (const result of results.filter((entry) => entry.status === 'rejected')) {
      expect(result.reason).toMatchObject({
        name: 'ClientException',
        message: 'The maximum number of clusters (3) for this account has been reached. Delete unused clusters and try again.',
      });
    }
    // Nothing was stored for a refused cluster; CreateCluster of an existing one stays idempotent at the limit.
    const refused = names.find((name) => !created.includes(name))!;
    expect((await describeClusters(deps, { clusters: [refused] })).failures).toHaveLength(1);
    expect((await createCluster(deps, { clusterName: created[0] })).cluster.status).toBe('ACTIVE');

    await deleteCluster(deps, created[0]);
    await expect(createCluster(deps, { clusterName: refused })).resolves.toMatchObject({ cluster: { status: 'ACTIVE' } });
    await expect(createCluster(deps, { clusterName: 'one-too-many' })).rejects.toMatchObject({ name: 'ClientException' });
  });

  it('refuses a service past the per-cluster quota; a deleted service frees its slot', async () => {
    const deps = await limitedDeps({ ECSBOX_MAX_SERVICES_PER_CLUSTER: '2' });
    await createCluster(deps, { clusterName: 'small' });
    await registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('web')));
    const service = (serviceName: string) =>
      createService(deps, { launchType: 'FARGATE', cluster: 'small', serviceName, taskDefinition: 'web', desiredCount: 0, networkConfiguration: network });
    await service('one');
    await service('two');
    await expect(service('three')).rejects.toMatchObject({
      name: 'ClientException',
      message:
        'The maximum number of services (2) for cluster small has been reached. Delete unused services and try again.',
    });
    expect((await deps.services.get('small', 'three'))).toBeUndefined();
    await deleteService(deps, 'small', 'one', true);
    await expect(service('three')).resolves.toMatchObject({ service: { status: 'ACTIVE' } });
    // A missing cluster is still reported as such.
    await expect(
      createService(deps, { launchType: 'FARGATE', cluster: 'nowhere', serviceName: 'x', taskDefinition: 'web', desiredCount: 0, networkConfiguration: network }),
    ).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  });

  it('refuses a revision past the per-family quota, which deregistered revisions still count toward', async () => {
    const deps = await limitedDeps({ ECSBOX_MAX_REVISIONS_PER_FAMILY: '3' });
    const register = () => registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('capped')));
    for (let revision = 1; revision <= 3; revision++) await register();
    await deregisterTaskDefinition(deps, 'capped:3');
    await expect(register()).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: 'The maximum number of revisions (3) for task definition family capped has been reached.',
    });
    expect(await deps.taskDefinitions.get('capped', 4)).toBeUndefined();
    await expect(registerTaskDefinition(deps, validateTaskDefinition(fargateTaskDefinition('other')))).resolves.toBeDefined();
  });
});
