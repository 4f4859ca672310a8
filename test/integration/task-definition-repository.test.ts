import type { ValidatedTaskDefinition } from '../../lib/domain/task-definition';
import type { Deps } from '../../lib/deps';
import { freshDeps } from '../support/dynamo';

const definition = (family: string): ValidatedTaskDefinition => ({
  family,
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }],
  cpu: '256',
  memory: '512',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  volumes: [],
  placementConstraints: [],
});

describe('task definition repository on DynamoDB Local', () => {
  let deps: Deps;
  beforeAll(async () => {
    deps = await freshDeps();
  });

  it('gives 50 concurrent registrations of one family revisions 1..50, no gap, no duplicate', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => deps.taskDefinitions.register(definition('racing'), 1)),
    );
    const revisions = results.map((result) => result.taskDefinition.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    const listed = await deps.taskDefinitions.list({ familyPrefix: 'racing', status: 'ACTIVE', sort: 'ASC', maxResults: 100 });
    expect(listed.items.map((item) => item.revision)).toEqual(revisions);
    expect((await deps.taskDefinitions.latestActive('racing'))?.taskDefinition.revision).toBe(50);
  });

  it('describes by family, revision, and deregisters into INACTIVE', async () => {
    await deps.taskDefinitions.register(definition('api'), 10);
    await deps.taskDefinitions.register(definition('api'), 20);
    const deregistered = await deps.taskDefinitions.deregister('api', 2, 30);
    expect(deregistered).toMatchObject({ status: 'INACTIVE', deregisteredAt: 30, revision: 2 });
    // Deregistering again is a no-op, as in ECS.
    expect(await deps.taskDefinitions.deregister('api', 2, 40)).toMatchObject({ status: 'INACTIVE', deregisteredAt: 30 });
    expect((await deps.taskDefinitions.latestActive('api'))?.taskDefinition.revision).toBe(1);
    expect((await deps.taskDefinitions.get('api', 2))?.taskDefinition.status).toBe('INACTIVE');
    await expect(deps.taskDefinitions.deregister('api', 9, 50)).rejects.toMatchObject({ name: 'TaskDefinitionNotFoundException' });
    await expect(deps.taskDefinitions.deregister('never-registered', 1, 50)).rejects.toMatchObject({
      name: 'TaskDefinitionNotFoundException',
    });
    const inactive = await deps.taskDefinitions.list({ familyPrefix: 'api', status: 'INACTIVE', sort: 'ASC', maxResults: 10 });
    expect(inactive.items.map((item) => item.taskDefinitionArn)).toEqual(['arn:aws:ecs:us-east-1:000000000000:task-definition/api:2']);
  });

  it('pages through task definitions and families without skipping or repeating', async () => {
    for (const family of ['page-a', 'page-b', 'page-c']) {
      for (let revision = 0; revision < 3; revision++) await deps.taskDefinitions.register(definition(family), 1);
    }
    await deps.taskDefinitions.deregister('page-b', 1, 2);
    await deps.taskDefinitions.deregister('page-b', 2, 2);
    await deps.taskDefinitions.deregister('page-b', 3, 2);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await deps.taskDefinitions.list({ status: 'ACTIVE', sort: 'DESC', maxResults: 2, nextToken });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.filter((item) => item.family.startsWith('page-')).map((item) => `${item.family}:${item.revision}`));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual(['page-c:3', 'page-c:2', 'page-c:1', 'page-a:3', 'page-a:2', 'page-a:1']);

    const active = await deps.taskDefinitions.listFamilies({ familyPrefix: 'page-', status: 'ACTIVE', maxResults: 1 });
    expect(active.items).toEqual(['page-a']);
    const rest = await deps.taskDefinitions.listFamilies({ familyPrefix: 'page-', status: 'ACTIVE', maxResults: 1, nextToken: active.nextToken });
    expect(rest.items).toEqual(['page-c']);
    expect((await deps.taskDefinitions.listFamilies({ familyPrefix: 'page-', status: 'INACTIVE', maxResults: 10 })).items).toEqual(['page-b']);
    expect((await deps.taskDefinitions.listFamilies({ familyPrefix: 'page-', status: 'ALL', maxResults: 10 })).items).toEqual([
      'page-a',
      'page-b',
      'page-c',
    ]);
  });

  it('refuses a token from another partition', async () => {
    const forged = Buffer.from(JSON.stringify({ PK: 'A#111111111111', SK: 'TD#x' })).toString('base64url');
    await expect(deps.taskDefinitions.list({ status: 'ACTIVE', sort: 'ASC', maxResults: 5, nextToken: forged })).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('moves only INACTIVE revisions to DELETE_IN_PROGRESS, once', async () => {
    await deps.taskDefinitions.register(definition('doomed'), 1);
    await deps.taskDefinitions.register(definition('doomed'), 2);
    await deps.taskDefinitions.deregister('doomed', 1, 3);

    expect(await deps.taskDefinitions.requestDeletion('doomed', 2, 4)).toMatchObject({ revision: 2, status: 'ACTIVE' });
    expect((await deps.taskDefinitions.get('doomed', 2))?.taskDefinition.status).toBe('ACTIVE');

    expect(await deps.taskDefinitions.requestDeletion('doomed', 1, 5)).toMatchObject({
      revision: 1,
      status: 'DELETE_IN_PROGRESS',
      deregisteredAt: 3,
      deleteRequestedAt: 5,
    });
    expect(await deps.taskDefinitions.requestDeletion('doomed', 1, 6)).toMatchObject({ deleteRequestedAt: 5 });
    const deleting = await deps.taskDefinitions.list({ familyPrefix: 'doomed', status: 'DELETE_IN_PROGRESS', sort: 'ASC', maxResults: 10 });
    expect(deleting.items.map((item) => item.revision)).toEqual([1]);

    expect(await deps.taskDefinitions.requestDeletion('doomed', 9, 7)).toBeUndefined();
    expect(await deps.taskDefinitions.get('doomed', 9)).toBeUndefined();
  });

  it("rewrites a revision's tags; a missing revision gets none", async () => {
    await deps.taskDefinitions.register({ ...definition('tagged'), tags: [{ key: 'team', value: 'a' }] }, 1);
    const tags = await deps.taskDefinitions.updateTags('tagged', 1, (current) => [...current, { key: 'env', value: 'dev' }]);
    expect(tags).toEqual([
      { key: 'team', value: 'a' },
      { key: 'env', value: 'dev' },
    ]);
    expect((await deps.taskDefinitions.get('tagged', 1))?.tags).toEqual(tags);
    expect(await deps.taskDefinitions.updateTags('tagged', 2, () => [{ key: 'k', value: 'v' }])).toBeUndefined();
    expect(await deps.taskDefinitions.get('tagged', 2)).toBeUndefined();
  });
});
