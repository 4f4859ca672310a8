import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AccessPolicy } from '../auth/authenticator';
import { authentication, type CallerContext } from '../auth/middleware';
import { ClientException, SerializationException, UnsupportedMediaTypeException } from '../errors';
import { config } from '../config';
import { log } from '../log';
import { answerFor, errorBody, SERVER_ERROR, type Face } from './error-mapping';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Larger bodies are refused before parsing; the largest legitimate one is a 64 KiB task definition. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The media type of each face's JSON answers, errors included: the AWS SDKs expect their protocol's. */
export const contentTypes: Record<Face, string> = {
  rest: 'application/json',
  ecs: 'application/x-amz-json-1.1',
};

/** Domain errors become exposed HTTP errors; anything else is left for the generic 500. */
const domainErrorMapper = (face: Face): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    const answer = answerFor(request.error, face);
    if (!answer) return;
    request.error = Object.assign(new Error(errorBody(answer)), {
      statusCode: answer.statusCode,
      expose: true,
      headers: {
        'Content-Type': contentTypes[face],
        'x-amzn-ErrorType': answer.type,
        ...(answer.retryAfterSeconds ? { 'Retry-After': String(answer.retryAfterSeconds) } : {}),
      },
    });
  },
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** CORS_ORIGINS as matchers; "*" in an entry stands for any run of host or port characters. */
const originMatchers = (origins: string[]) =>
  origins.map((origin) => new RegExp(`^${origin.split('*').map(escapeRegExp).join('[A-Za-z0-9.-]*')}$`));

/**
 * Whether a browser page of `origin` may read the answers. The opaque origin "null" (sandboxed
 * frames, file: pages) is never allowed: any site can produce it.
 */
let allowedOrigins: RegExp[] | undefined;

export const corsAllows = (origin: string | undefined): origin is string =>
  origin !== undefined &&
  origin !== 'null' &&
  (allowedOrigins ??= originMatchers(config().corsOrigins)).some((matcher) => matcher.test(origin));

/**
 * What a disallowed origin is told. Leaving the header out would be enough for API Gateway, but
 * serverless-offline echoes the request's Origin into every answer that does not set one.
 */
const NO_ORIGIN = 'https://origin-not-allowed.invalid';

export const corsHeaders = (event: HttpEvent): Record<string, string> => {
  const origin = event.headers.origin;
  if (origin === undefined) return {};
  return { 'access-control-allow-origin': corsAllows(origin) ? origin : NO_ORIGIN, vary: 'Origin' };
};

/** The answer to a CORS preflight (OPTIONS), which the catch-all route receives. */
export const preflight = (event: HttpEvent): HttpResult => ({
  statusCode: corsAllows(event.headers.origin) ? 204 : 403,
  headers: {
    ...corsHeaders(event),
    'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
    // What SigV4 signing (and bearer tokens) from a browser send.
    'access-control-allow-headers':
      'Content-Type,Authorization,X-Amz-Target,X-Amz-Date,X-Amz-Content-Sha256,X-Amz-Security-Token,X-Amz-User-Agent',
    'access-control-max-age': '600',
  },
});

/** CORS headers on every answer, errors included, from the configured origins only. */
const cors: MiddlewareObj<HttpEvent, HttpResult> = {
  after: (request) => {
    if (request.response) request.response.headers = { ...request.response.headers, ...corsHeaders(request.event) };
  },
  onError: (request) => {
    if (request.response) request.response.headers = { ...request.response.headers, ...corsHeaders(request.event) };
  },
};

/**
 * The shared middy stack of every HTTP handler. middy runs onError hooks last-registered first,
 * so the mapper sees the domain error before http-error-handler formats the answer, and
 * http-error-handler replaces every unmapped error with a generic 500 that leaks nothing.
 * Authentication runs last of the `before` hooks, so its refusals are mapped and get CORS headers.
 */
const httpMiddlewares = (face: Face, policy: AccessPolicy): Array<MiddlewareObj<HttpEvent, HttpResult, Error, CallerContext>> => [
  httpHeaderNormalizer() as MiddlewareObj<HttpEvent, HttpResult>,
  cors,
  httpErrorHandler({
    fallbackMessage: errorBody(SERVER_ERROR),
    // Answers to bad input are not faults; only what becomes a 500 is logged.
    logger: (error: unknown) => {
      const status = (error as { statusCode?: number } | undefined)?.statusCode;
      // A mapped 5xx is ServerException: DynamoDB gave no verdict in time, and the caller may retry.
      if (status === undefined) log.error('unhandled error', { error: error as Error });
      else if (status >= 500) log.warn('request outcome unknown', { status });
    },
  }) as MiddlewareObj<HttpEvent, HttpResult>,
  domainErrorMapper(face),
  authentication(face, policy),
];

/** The stack of a handler of one face, callable by whom `policy` says (tenants by default). */
export const httpStack = (face: Face, policy: AccessPolicy = 'tenant') =>
  httpMiddlewares(face, policy).reduce(
    (stack, middleware) => stack.use(middleware),
    middy<HttpEvent, HttpResult, Error, CallerContext>(),
  );

/**
 * The media types each face reads. Checking them refuses what a browser sends cross-site without
 * a CORS preflight (text/plain, form encodings), so no other site can make a browser change state.
 */
const acceptedMediaTypes: Record<Face, string[]> = {
  rest: ['application/json'],
  ecs: ['application/x-amz-json-1.1', 'application/x-amz-json-1.0'],
};

/**
 * Deeper bodies are refused before validation, whose recursion they would overflow. DynamoDB
 * stores at most 32 levels, and no ECS input nests nearly as deep.
 */
export const MAX_BODY_DEPTH = 32;

const checkMediaType = (event: HttpEvent, face: Face) => {
  const given = event.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (given === undefined || !acceptedMediaTypes[face].includes(given)) {
    throw new UnsupportedMediaTypeException(
      `Unsupported Content-Type ${JSON.stringify(event.headers['content-type'] ?? '')}: send ${acceptedMediaTypes[face].join(' or ')}.`,
    );
  }
};

/** AWS's protocol error on the ECS face; on REST, the error of any other input ECS refuses. */
const notAnObject = (face: Face) =>
  new (face === 'ecs' ? SerializationException : ClientException)('The request body must be a JSON object.');

/** Walks the parsed body without recursion, so that no nesting can overflow the stack here either. */
const checkDepth = (body: unknown) => {
  const pending: Array<[unknown, number]> = [[body, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) throw new SerializationException(`Request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
    for (const member of Object.values(value)) pending.push([member, depth + 1]);
  }
};

/**
 * The request body: a JSON object, in the face's media type, at most MAX_BODY_BYTES and
 * MAX_BODY_DEPTH deep. A missing body is `{}` (ECS operations with no parameters send none); a
 * body of `null`, an array or a scalar is refused.
 */
export const jsonBody = (event: HttpEvent, face: Face): Record<string, unknown> => {
  checkMediaType(event, face);
  if (!event.body) {
    // serverless-offline parses JSON bodies itself and hands a `null`, `0` or `false` on as no body.
    if (Number(event.headers['content-length'] ?? 0) > 0) throw notAnObject(face);
    return {};
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new SerializationException(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SerializationException('Request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw notAnObject(face);
  checkDepth(body);
  return body as Record<string, unknown>;
};

export const jsonResult = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
