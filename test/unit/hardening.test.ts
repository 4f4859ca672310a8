import fc from 'fast-check';
import { decodeToken, encodeToken, type TableContext, type TokenScope } from '../../lib/adapters/dynamodb/table';
import { clusterNameOf, references, serviceNameOf, taskIdOf } from '../../lib/domain/arn';
import { presentEcs, presentRest } from '../../lib/http/present';

const table = { pageTokenSecret: 'unit-test-page-token-secret' } as TableContext;
const scope: TokenScope = { list: 'ListTasks', partition: 'A#000000000000#C#c1', query: { desiredStatus: 'RUNNING' } };
const key = { PK: scope.partition, SK: 'TASK#abc' };

describe('page tokens', () => {
  it('round-trip for the list, query and partition they were issued for', () => {
    expect(decodeToken(table, encodeToken(table, key, scope), scope)).toEqual(key);
  });

  it.each<[string, TokenScope]>([
    ['another list', { ...scope, list: 'ListServices' }],
    ['another query', { ...scope, query: { desiredStatus: 'STOPPED' } }],
    ['another partition (cluster or account)', { ...scope, partition: 'A#111111111111#C#c1' }],
  ])('are refused for %s', (_name, other) => {
    expect(() => decodeToken(table, encodeToken(table, key, scope), other)).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
  });

  it('are refused with another secret', () => {
    const other = { pageTokenSecret: 'another-stage-secret-value' } as TableContext;
    expect(() => decodeToken(other, encodeToken(table, key, scope), scope)).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
  });

  it('refuse every edited or arbitrary token with InvalidParameterException, never anything else', () => {
    const token = encodeToken(table, key, scope)!;
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((text) => token.slice(0, 8) + text + token.slice(8)), fc.nat(token.length - 1).map((at) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)), fc.constant(`${token.slice(0, -1)}${token.at(-1) === 'A' ? 'B' : 'A'}`)), (forged) => {
        fc.pre(forged !== token);
        expect(() => decodeToken(table, forged, scope)).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
      }),
      { seed: 20261130, numRuns: 500 },
    );
  });
});

describe('timestamps', () => {
  const registeredAt = Date.UTC(2026, 0, 1);
  const output = {
    taskDefinition: {
      registeredAt,
      containerDefinitions: [{ name: 'web', dockerLabels: { createdAt: 5 }, environment: [{ name: 'startedAt', value: '1' }] }],
      volumes: [{ name: 'v', host: { updatedAt: 7 } }],
    },
    tasks: [{ createdAt: registeredAt, overrides: { containerOverrides: [{ name: 'web', cpu: 5, stoppedAt: 9 }] } }],
  };

  it("render only the model's own members; a user's keys ending in At are echoed exactly", () => {
    expect(presentEcs(output)).toEqual({
      taskDefinition: { ...output.taskDefinition, registeredAt: registeredAt / 1000 },
      tasks: [{ ...output.tasks[0], createdAt: registeredAt / 1000 }],
    });
    expect((presentRest(output) as any).taskDefinition.registeredAt).toBe('2026-01-01T00:00:00.000Z');
    expect((presentRest(output) as any).taskDefinition.volumes).toEqual(output.taskDefinition.volumes);
  });
});

describe('references', () => {
  const here = { region: 'us-east-1', accountId: '000000000000' };

  it('name nothing here when an ARN is of another account or region', () => {
    expect(clusterNameOf(here, 'arn:aws:ecs:us-east-1:000000000000:cluster/c1')).toBe('c1');
    expect(clusterNameOf(here, 'arn:aws:ecs:us-east-1:111111111111:cluster/c1')).toBeUndefined();
    expect(serviceNameOf(here, 'arn:aws:ecs:eu-west-1:000000000000:service/c1/s1')).toBeUndefined();
    expect(taskIdOf(here, 'arn:aws:ecs:us-east-1:000000000000:task/c1/abc')).toBe('abc');
    expect(taskIdOf(here, 'arn:aws:ecs:us-east-1:000000000000:cluster/abc')).toBeUndefined();
  });

  it('accept only what ECS can name: every accepted reference fits in a DynamoDB key', () => {
    fc.assert(
      fc.property(fc.constantFrom('cluster', 'service', 'task') as fc.Arbitrary<'cluster' | 'service' | 'task'>, fc.string({ maxLength: 2000, unit: 'binary' }), (kind, value) => {
        if (references[kind]().safeParse(value).success) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(1024);
      }),
      { seed: 20261130, numRuns: 300 },
    );
    expect(references.cluster().safeParse('a'.repeat(256)).success).toBe(false);
    expect(references.service().safeParse(`arn:aws:ecs:us-east-1:000000000000:service/c/${'é'.repeat(10)}`).success).toBe(false);
  });
});
