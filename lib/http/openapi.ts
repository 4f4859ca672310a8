import * as z from 'zod';
import { createSandboxInput } from '../auth/sandboxes';
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
      // Hosted mode's own routes (docs/sandbox.md); the admin API is documented there, not here.
      '/v1/sandboxes': {
        post: {
          operationId: 'CreateSandbox',
          summary:
            'Create a sandbox: an account with an access key pair (public; an invite code when the stage requires one). ' +
            'Answers accountId, accessKeyId, secretAccessKey (shown once), region, expiresAt, endpoint, and ready credentials and config files.',
          tags: ['Sandboxes'],
          security: [],
          requestBody: { required: false, content: { 'application/json': { schema: jsonSchema(createSandboxInput()) } } },
          responses: {
            '201': { description: 'The sandbox and its keys.', content: { 'application/json': { schema: { type: 'object' } } } },
            '403': errorResponse('AccessDeniedException: the invite code is missing or wrong.'),
            '429': errorResponse('ThrottlingException: too many sandboxes from this address this hour.'),
          },
        },
      },
      '/v1/session': {
        post: {
          operationId: 'CreateSession',
          summary: 'Trade a SigV4-signed request for a bearer token ({token, expiresAt}) standing for the signing key for an hour.',
          tags: ['Sandboxes'],
          security: [{ sigv4: [] }],
          responses: {
            '201': { description: 'token, expiresAt, accountId.', content: { 'application/json': { schema: { type: 'object' } } } },
            '403': errorResponse('InvalidSignatureException.'),
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'GetOpenApiDocument',
          summary: 'This document.',
          tags: ['Meta'],
          security: [],
          responses: { '200': { description: 'The OpenAPI 3.1 document.' } },
        },
      },
    },
    // In hosted mode (sigv4) every route but these two and this document takes either scheme.
    security: [{ sigv4: [] }, { session: [] }],
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 with an issued key, service "ecs" (only in hosted mode; open mode takes anything).',
        },
        session: { type: 'http', scheme: 'bearer', description: 'A token from POST /v1/session.' },
      },
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
