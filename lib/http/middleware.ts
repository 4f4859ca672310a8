import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SerializationException } from '../errors';
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

/**
 * The shared middy stack of every HTTP handler. middy runs onError hooks last-registered first,
 * so the mapper sees the domain error before http-error-handler formats the answer, and
 * http-error-handler replaces every unmapped error with a generic 500 that leaks nothing.
 */
const httpMiddlewares = (face: Face): Array<MiddlewareObj<HttpEvent, HttpResult>> => [
  httpHeaderNormalizer() as MiddlewareObj<HttpEvent, HttpResult>,
  httpErrorHandler({
    fallbackMessage: errorBody(SERVER_ERROR),
    // Answers to bad input are not faults; only what becomes a 500 is logged.
    logger: (error: unknown) => {
      const status = (error as { statusCode?: number } | undefined)?.statusCode;
      if (status === undefined || status >= 500) log.error('unhandled error', { error: error as Error });
    },
  }) as MiddlewareObj<HttpEvent, HttpResult>,
  domainErrorMapper(face),
];

export const httpStack = (face: Face) =>
  httpMiddlewares(face).reduce((stack, middleware) => stack.use(middleware), middy<HttpEvent, HttpResult>());

/** The request body as JSON; a missing body is `{}` (ECS operations with no parameters send none). */
export const jsonBody = (event: HttpEvent): unknown => {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new SerializationException(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SerializationException('Request body is not valid JSON.');
  }
};

export const jsonResult = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
