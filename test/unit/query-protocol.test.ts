import fc from 'fast-check';
import { SerializationException } from '../../lib/errors';
import { decodeQuery } from '../../lib/protocols/query';
import { toXml } from '../../lib/protocols/wire-formats';

describe('the query protocol', () => {
  it('reads a form as the JSON protocol carries the same input', () => {
    const form = new URLSearchParams(
      'Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FECS&Dimensions.member.1.Name=ClusterName&Dimensions.member.1.Value=web' +
        '&Dimensions.member.2.Name=ServiceName&Dimensions.member.2.Value=api&Statistics.member.1=Average&Statistics.member.3=Sum&Period=60',
    );
    expect(JSON.parse(JSON.stringify(decodeQuery(form)))).toEqual({
      Namespace: 'AWS/ECS',
      Dimensions: [
        { Name: 'ClusterName', Value: 'web' },
        { Name: 'ServiceName', Value: 'api' },
      ],
      Statistics: ['Average', 'Sum'],
      Period: '60',
    });
  });

  it('refuses any malformed key with SerializationException, and nothing reaches a prototype', () => {
    const part = fc.oneof(fc.constantFrom('member', '0', '1', '1001', '__proto__', 'constructor', 'prototype', '', 'Name'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(part, { minLength: 1, maxLength: 15 }), fc.string({ maxLength: 5 })), { maxLength: 6 }), (entries) => {
        const form = new URLSearchParams(entries.map(([parts, value]): [string, string] => [parts.join('.'), value]));
        try {
          decodeQuery(form);
        } catch (error) {
          expect(error).toBeInstanceOf(SerializationException);
        }
        expect(({} as Record<string, unknown>).Name).toBeUndefined();
      }),
      { seed: 20261130, numRuns: 2000 },
    );
  });

  it('writes XML with lists as members and text escaped', () => {
    expect(toXml({ Label: 'a<b&"c"', Datapoints: [{ Average: 1.5 }, { Average: 2 }], Skipped: undefined })).toBe(
      '<Label>a&lt;b&amp;&quot;c&quot;</Label><Datapoints><member><Average>1.5</Average></member><member><Average>2</Average></member></Datapoints>',
    );
  });
});
