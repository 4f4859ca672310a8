import * as z from 'zod';
import { routes } from './routes';
import type { RestRoute } from './route';

/**
 * The OpenAPI 3.1 document of the REST API, generated from the routes' own validation schemas
 * (zod's JSON Schema output), so the document always says what the server checks.
 */
const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));

const queryParameters = (route: RestRoute<unknown, unknown>) => {
  if (!route.query) return [];
  const schema = jsonSchema(route.query()) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
};

const operation = (route: RestRoute<unknown, unknown>) => ({
  operationId: route.operationId,
  summary: route.summary,
  tags: [route.tag],
  parameters: [...pathParameters(route.path), ...queryParameters(route)],
  ...(route.body
    ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body()) } } } }
    : {}),
  responses: {
    [String(route.successStatus)]: {
      description: `JSON object with ${route.responds}. Timestamps are ISO 8601 strings.`,
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    '400': errorResponse('Invalid input (ClientException, InvalidParameterException, SerializationException, ...).'),
    '404': errorResponse('A named resource does not exist (ClusterNotFoundException, ...).'),
    '409': errorResponse('A conflicting concurrent change or idempotency token (ConflictException).'),
    '500': errorResponse('ServerException: an internal fault; nothing about it is disclosed.'),
  },
});

export const openApiDocument = () => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of Object.values(routes) as Array<RestRoute<unknown, unknown>>) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ecsbox REST API',
      version: '1',
      description:
        'A control plane that behaves like Amazon ECS. Field names and shapes follow the ECS API Reference. ' +
        'The same operations are also served over the ECS wire protocol at POST /.',
    },
    paths: {
      ...paths,
      '/v1/openapi.json': {
        get: {
          operationId: 'GetOpenApiDocument',
          summary: 'This document.',
          tags: ['Meta'],
          responses: { '200': { description: 'The OpenAPI 3.1 document.' } },
        },
      },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['__type', 'message'],
          properties: {
            __type: { type: 'string', description: 'The ECS error name, e.g. ClientException.' },
            message: { type: 'string', description: 'What is wrong, naming the field.' },
          },
        },
      },
    },
  };
};
