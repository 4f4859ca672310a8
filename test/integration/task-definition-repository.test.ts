import fc from 'fast-check';
import { validateTaskDefinition, type ValidatedTaskDefinition } from '../../lib/domain/task-definition';
import type { Deps } from '../../lib/deps';
import { buildDepsFactory } from '../../lib/container';
import { freshDeps, freshTable, recordCommands, testConfig } from '../support/dynamo';
import { fargateTaskDefinition } from '../support/fixtures';

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

describe('task definitions round-trip through DynamoDB Local', () => {
  let deps: Deps;
  beforeAll(async () => {
    deps = await freshDeps();
  });

  const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
  /** A user map as a request body holds it: JSON.parse keeps "__proto__" as an own key. */
  const userMap = fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ minLength: 1, maxLength: 12 })), fc.string({ maxLength: 20 })), {
      maxLength: 6,
    })
    .map((entries) => JSON.parse(`{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`));
  const container = (name: string) =>
    fc.record(
      {
        name: fc.constant(name),
        image: fc.constantFrom('nginx:1.27', 'public.ecr.aws/docker/library/busybox:latest'),
        memory: fc.integer({ min: 6, max: 64 }),
        cpu: fc.integer({ min: 0, max: 32 }),
        essential: fc.boolean(),
        environment: fc.array(fc.record({ name: fc.string({ maxLength: 10 }), value: fc.string({ maxLength: 10 }) }), { maxLength: 3 }),
        portMappings: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }),
        dockerLabels: userMap,
        logConfiguration: fc.record({ logDriver: fc.constant('json-file'), options: userMap }),
        mountPoints: fc.constant([{ sourceVolume: 'shared', containerPath: '/data' }]),
      },
      { requiredKeys: ['name', 'image', 'memory'] },
    );
  const definitionInput = fc.record(
    {
      family: fc.constant('round-trip'),
      containerDefinitions: fc.tuple(container('a'), container('b')).map(([a, b]) => [{ ...a, essential: true }, b]),
      requiresCompatibilities: fc.constant(['EC2']),
      pidMode: fc.constantFrom('host', 'task'),
      ipcMode: fc.constantFrom('host', 'task', 'none'),
      ephemeralStorage: fc.record({ sizeInGiB: fc.integer({ min: 21, max: 200 }) }),
      volumes: userMap.map((driverOpts) => [{ name: 'shared', dockerVolumeConfiguration: { scope: 'task', driverOpts, labels: driverOpts } }]),
    },
    { requiredKeys: ['family', 'containerDefinitions', 'volumes'] },
  );

  const SERVER_MEMBERS = ['taskDefinitionArn', 'revision', 'status', 'registeredAt', 'registeredBy', 'compatibilities', 'deregisteredAt'];

  it('stores every accepted definition exactly (prototype-named keys included), and its echo re-registers unchanged (property)', async () => {
    await fc.assert(
      fc.asyncProperty(definitionInput, async (input) => {
        const validated = validateTaskDefinition(input);
        const { taskDefinition } = await deps.taskDefinitions.register(validated, 1);
        const stored = await deps.taskDefinitions.get('round-trip', taskDefinition.revision);
        // Users' maps are compared as JSON text: every key, "__proto__" included, in order.
        const userMembers = (definition: Pick<ValidatedTaskDefinition, 'containerDefinitions' | 'volumes'> | undefined) =>
          JSON.stringify([
            ...(definition?.containerDefinitions ?? []).flatMap((container) => [container.dockerLabels, container.logConfiguration?.options]),
            ...(definition?.volumes ?? []).flatMap((volume) => [volume.dockerVolumeConfiguration?.driverOpts, volume.dockerVolumeConfiguration?.labels]),
          ]);
        expect(stored?.taskDefinition).toEqual(taskDefinition);
        expect(userMembers(stored?.taskDefinition)).toBe(userMembers(validated));
        const listed = await deps.taskDefinitions.list({ familyPrefix: 'round-trip', status: 'ACTIVE', sort: 'DESC', maxResults: 1 });
        expect(userMembers(listed.items[0])).toBe(userMembers(validated));
        const echo = JSON.parse(JSON.stringify(stored?.taskDefinition));
        for (const member of SERVER_MEMBERS) delete echo[member];
        const again = validateTaskDefinition(echo);
        expect(again).toEqual(validated);
        expect(userMembers(again)).toBe(userMembers(validated));
      }),
      { seed: 20261130, numRuns: 20 },
    );
  });
});

describe("a container's registrations", () => {
  it('guess the next revision across requests (one Put each after the first), and read again when another container registered', async () => {
    const table = await freshTable();
    const settings = testConfig(table.tableName);
    const sent = recordCommands(table);
    // Two containers on one table; each request builds its repositories anew, as the handlers do.
    const [thisContainer, otherContainer] = [buildDepsFactory(settings, { table }), buildDepsFactory(settings, { table })];
    const register = (container: typeof thisContainer) => container('000000000000').taskDefinitions.register(validateTaskDefinition(fargateTaskDefinition('web')), 0);

    expect((await register(thisContainer)).taskDefinition.revision).toBe(1);
    sent.length = 0;
    expect((await register(thisContainer)).taskDefinition.revision).toBe(2);
    expect(sent).toEqual(['PutItem']);

    expect((await register(otherContainer)).taskDefinition.revision).toBe(3);
    sent.length = 0;
    // This container's guess (3) is taken: the Put fails its condition, the retry reads the newest.
    expect((await register(thisContainer)).taskDefinition.revision).toBe(4);
    expect(sent).toEqual(['PutItem', 'Query', 'PutItem']);
  });
});
