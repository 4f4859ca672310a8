/**
 * Every input any operation accepts, on both faces (the ECS wire operations and the REST routes),
 * is refused with an ECS error name and an ECS-style sentence: never zod's wording, never
 * anything but ClientException or InvalidParameterException. Table-driven over every schema.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { operations } from '../../lib/protocols/ecs/operations';
import { ClientException, InvalidParameterException, ValidationException } from '../../lib/errors';
import { applicationAutoScalingProtocol } from '../../lib/protocols/application-autoscaling/operations';
import { cloudWatchProtocol } from '../../lib/protocols/cloudwatch/operations';
import { parseRouteBody, parseRouteQuery, type RestRoute } from '../../lib/http/route';
import { routes } from '../../lib/http/routes';

/** What zod says when a schema does not word an issue itself. */
const ZOD_WORDING =
  /Invalid input|Too (small|big)|expected \w+, received|Invalid (option|string|element|key|union|type)|Unrecognized key|received undefined|>=|<=|Invalid email|Invalid literal/;

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** The top-level member names of an object schema (through a transform or a default). */
const memberNames = (schema: z.ZodType | undefined): string[] => {
  let current: any = schema;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.shape) return Object.keys(current.shape);
    current = current.def?.in ?? current.def?.innerType ?? current.def?.schema;
  }
  return [];
};

/** A hostile JSON value: random JSON, numbers past every range, maps keyed by prototype names. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(1e20, 9e15, -1e20, Infinity, 2 ** 31, 0.5, -0, '', 'x'.repeat(5000), [], {}, null),
  fc.constantFrom(...PROTOTYPE_NAMES).map((key) => JSON.parse(`{${JSON.stringify(key)}:{"a":1}}`)),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);

/** Objects made of a schema's own member names (and some strangers), with hostile values. */
const hostileBody = (names: string[]) =>
  fc.oneof(
    fc.dictionary(fc.constantFrom(...names, ...PROTOTYPE_NAMES, 'bogus'), hostileValue, { maxKeys: 4 }).map(
      // JSON.parse, as the server parses bodies: "__proto__" stays an own key.
      (body) => JSON.parse(JSON.stringify(body)) as unknown,
    ),
    hostileValue,
  );

/** A refusal as users see it: ECS's name, a sentence that ends with a period, no zod wording. */
const expectEcsRefusal = (parse: () => unknown, names: string[]) => {
  let thrown: unknown;
  try {
    parse();
    return;
  } catch (error) {
    thrown = error;
  }
  // Application Auto Scaling refuses with its ValidationException; ECS and CloudWatch with these.
  const ecsError = thrown instanceof ClientException || thrown instanceof InvalidParameterException || thrown instanceof ValidationException;
  if (!ecsError) throw new Error(`not an ECS error: ${String(thrown)}`);
  const { message } = thrown as Error;
  expect(message).not.toMatch(ZOD_WORDING);
  expect(message).toMatch(/\.$/);
  // It names a member of the request, or says the request as a whole is wrong.
  const namesAField = names.some((name) => message.includes(name)) || /^(The request|Unknown parameter|Task definition size)/.test(message);
  if (!namesAField) throw new Error(`message names no field: ${message}`);
};

const wireCases = [operations, applicationAutoScalingProtocol.operations, cloudWatchProtocol.operations].flatMap((table) =>
  Object.entries(table).map(([name, operation]) => [name, operation] as const),
);

describe('input messages over the AWS wire protocols (ECS, Application Auto Scaling, CloudWatch)', () => {
  it.each(wireCases)('%s refuses hostile input with an ECS sentence', (_name, operation) => {
    const names = memberNames(operation.input());
    expect(names.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(hostileBody(names), (body) => expectEcsRefusal(() => operation.parse(body), names)),
      { seed: 20261130, numRuns: 300 },
    );
  });
});

const restCases = Object.values(routes as Record<string, RestRoute<unknown, unknown>>).flatMap((route) => [
  ...(route.body ? [[`${route.operationId} body`, route, 'body'] as const] : []),
  ...(route.query ? [[`${route.operationId} query`, route, 'query'] as const] : []),
]);

describe('input messages over REST', () => {
  it.each(restCases)('%s refuses hostile input with an ECS sentence', (_name, route, part) => {
    const schema = part === 'body' ? route.body : route.query;
    const names = memberNames(schema?.());
    expect(names.length).toBeGreaterThan(0);
    // A query string holds strings only.
    const query = fc.dictionary(fc.constantFrom(...names, ...PROTOTYPE_NAMES), fc.oneof(fc.string(), fc.constantFrom('1e20', '-1', 'Infinity', '0.5')), { maxKeys: 4 });
    fc.assert(
      part === 'body'
        ? fc.property(hostileBody(names), (body) => expectEcsRefusal(() => parseRouteBody(route, body), names))
        : fc.property(query, (raw) =>
            expectEcsRefusal(() => parseRouteQuery(route, JSON.parse(JSON.stringify(raw)) as Record<string, string>), names),
          ),
      { seed: 20261130, numRuns: 300 },
    );
  });
});

describe('the error name of each operation', () => {
  it.each([
    ['RunTask', { taskDefinition: 'web', launchType: 'MARS' }, InvalidParameterException, 'launchType must be'],
    ['CreateService', { serviceName: 's', taskDefinition: 'web', desiredCount: -1 }, InvalidParameterException, 'desiredCount must be'],
    ['DescribeServices', { services: [] }, InvalidParameterException, 'services must contain at least 1 item.'],
    ['TagResource', { resourceArn: 'x' }, InvalidParameterException, 'tags is required.'],
    ['CreateCluster', { clusterName: 7 }, ClientException, 'clusterName must be a string.'],
    ['RegisterTaskDefinition', { family: 'web', containerDefinitions: [] }, ClientException, 'containerDefinitions must contain'],
    ['DeleteTaskDefinitions', { taskDefinitions: [] }, ClientException, 'taskDefinitions must contain at least 1 item.'],
  ] as const)('%s refuses bad input with its ECS error', (name, body, refusal, message) => {
    let thrown: unknown;
    try {
      operations[name].parse(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(refusal);
    expect(thrown).toHaveProperty('name', refusal.name);
    expect((thrown as Error).message.startsWith(message)).toBe(true);
  });
});
