import type { Deps } from '../../lib/deps';
import {
  deregisterContainerInstance,
  launchContainerInstances,
  listContainerInstances,
  putAttributes,
  registerContainerInstance,
} from '../../lib/usecases/container-instances';
import { identityDocument } from '../support/ec2';
import { freshDeps } from '../support/dynamo';

describe('container instances on DynamoDB Local', () => {
  let deps: Deps;
  beforeAll(async () => {
    deps = await freshDeps();
    await deps.clusters.create('fleet', undefined, 1);
  });

  const count = async () => (await deps.clusters.get('fleet'))?.registeredContainerInstancesCount;

  it('registers one container instance when an agent registers 10 times at once, and counts each instance once', async () => {
    const registration = { cluster: 'fleet', instanceIdentityDocument: identityDocument('i-00000000000000001', 't3.micro', 'us-east-1b') };
    const answers = await Promise.all(Array.from({ length: 10 }, () => registerContainerInstance(deps, registration)));
    expect(new Set(answers.map((answer) => answer.containerInstance.containerInstanceArn)).size).toBe(1);
    // Different instances registering at once all meet on the cluster's count.
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        registerContainerInstance(deps, { cluster: 'fleet', instanceIdentityDocument: identityDocument(`i-1000000000000000${index}`, 'm5.large', 'us-east-1a') }),
      ),
    );
    expect(await count()).toBe(9);
    expect((await listContainerInstances(deps, 'fleet', {})).containerInstanceArns).toHaveLength(9);
  });

  it('refuses a page token of another filter, and pages a filter to its end', async () => {
    await launchContainerInstances(deps, 'fleet', { instanceType: 'c5.large', count: 3 });
    const filter = 'attribute:ecs.instance-type == c5.large';
    const first = await listContainerInstances(deps, 'fleet', { filter, maxResults: 2 });
    expect(first.containerInstanceArns).toHaveLength(2);
    const second = await listContainerInstances(deps, 'fleet', { filter, maxResults: 2, nextToken: first.nextToken });
    expect(second).toEqual({ containerInstanceArns: [expect.any(String)] });
    await expect(listContainerInstances(deps, 'fleet', { maxResults: 2, nextToken: first.nextToken })).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('loses no attribute when 10 writers label one instance at once', async () => {
    const [arn] = (await listContainerInstances(deps, 'fleet', { filter: 'attribute:ecs.instance-type == t3.micro' })).containerInstanceArns;
    await Promise.all(
      Array.from({ length: 10 }, (_, index) => putAttributes(deps, { cluster: 'fleet', attributes: [{ name: `label-${index}`, value: 'x', targetId: arn }] })),
    );
    expect((await listContainerInstances(deps, 'fleet', { filter: 'attribute:label-0 exists and attribute:label-9 exists' })).containerInstanceArns).toEqual([arn]);
  });

  it('uncounts deregistered instances once, even when deregistered twice at once', async () => {
    const before = (await count())!;
    const [arn] = (await listContainerInstances(deps, 'fleet', { filter: 'attribute:ecs.instance-type == t3.micro' })).containerInstanceArns;
    const outcomes = await Promise.allSettled([1, 2].map(() => deregisterContainerInstance(deps, { cluster: 'fleet', containerInstance: arn })));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(await count()).toBe(before - 1);
  });
});
