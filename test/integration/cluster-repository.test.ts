import type { Deps } from '../../lib/deps';
import { freshDeps } from '../support/dynamo';

describe('cluster repository on DynamoDB Local', () => {
  let deps: Deps;
  beforeAll(async () => {
    deps = await freshDeps();
  });

  it('creates idempotently, lists ACTIVE clusters, deletes and re-creates', async () => {
    const first = await deps.clusters.create('alpha', [{ key: 'team', value: 'a' }], 1000);
    const again = await deps.clusters.create('alpha', undefined, 2000);
    expect(again).toEqual(first);
    expect(first).toMatchObject({
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/alpha',
      status: 'ACTIVE',
      activeServicesCount: 0,
      createdAt: 1000,
      tags: [{ key: 'team', value: 'a' }],
    });
    await deps.clusters.create('beta', undefined, 1000);
    expect((await deps.clusters.list({ maxResults: 10 })).items).toEqual([
      'arn:aws:ecs:us-east-1:000000000000:cluster/alpha',
      'arn:aws:ecs:us-east-1:000000000000:cluster/beta',
    ]);
    const page = await deps.clusters.list({ maxResults: 1 });
    expect(page.items).toHaveLength(1);
    expect((await deps.clusters.list({ maxResults: 1, nextToken: page.nextToken })).items).toEqual([
      'arn:aws:ecs:us-east-1:000000000000:cluster/beta',
    ]);

    expect(await deps.clusters.delete('beta')).toMatchObject({ status: 'INACTIVE' });
    expect((await deps.clusters.list({ maxResults: 10 })).items).toHaveLength(1);
    await expect(deps.clusters.delete('beta')).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
    expect(await deps.clusters.create('beta', undefined, 5000)).toMatchObject({ status: 'ACTIVE', createdAt: 5000 });
  });
});
