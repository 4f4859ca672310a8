import type { Tag } from '../../lib/domain/model';
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

  describe('tags', () => {
    const adding =
      (tag: Tag) =>
      (current: Tag[]): Tag[] => [...current.filter((existing) => existing.key !== tag.key), tag];

    it("rewrites a cluster's tags, which get then returns", async () => {
      await deps.clusters.create('tagged', [{ key: 'team', value: 'a' }], 1);
      expect(await deps.clusters.updateTags('tagged', adding({ key: 'env', value: 'dev' }))).toEqual([
        { key: 'team', value: 'a' },
        { key: 'env', value: 'dev' },
      ]);
      expect((await deps.clusters.get('tagged'))?.tags).toHaveLength(2);
      expect(await deps.clusters.updateTags('tagged', () => [])).toEqual([]);
      expect((await deps.clusters.get('tagged'))?.tags).toBeUndefined();
    });

    it('loses no change when 20 writers tag one cluster at once', async () => {
      await deps.clusters.create('contended', undefined, 1);
      const keys = Array.from({ length: 20 }, (_, index) => `k${String(index).padStart(2, '0')}`);
      await Promise.all(keys.map((key) => deps.clusters.updateTags('contended', adding({ key, value: key }))));
      expect((await deps.clusters.get('contended'))?.tags?.map((tag) => tag.key).sort()).toEqual(keys);
    });

    it('answers undefined for a missing or deleted cluster, writing nothing', async () => {
      expect(await deps.clusters.updateTags('never', adding({ key: 'k', value: 'v' }))).toBeUndefined();
      expect(await deps.clusters.get('never')).toBeUndefined();
      await deps.clusters.create('gone', undefined, 1);
      await deps.clusters.delete('gone');
      expect(await deps.clusters.updateTags('gone', adding({ key: 'k', value: 'v' }))).toBeUndefined();
      expect((await deps.clusters.get('gone'))?.tags).toBeUndefined();
    });

    it('passes on what the change throws, writing nothing', async () => {
      await deps.clusters.create('refused', [{ key: 'keep', value: 'me' }], 1);
      await expect(
        deps.clusters.updateTags('refused', () => {
          throw new Error('too many tags');
        }),
      ).rejects.toThrow('too many tags');
      expect((await deps.clusters.get('refused'))?.tags).toEqual([{ key: 'keep', value: 'me' }]);
    });
  });
});
