import { isDomainError, type DomainError } from '../errors';

/**
 * The one place where domain errors become HTTP answers, for both API faces. REST uses the
 * status codes a web frontend expects; the ECS wire protocol answers every client error with 400,
 * as ECS does. The `__type` is always an ECS error name.
 */
export type Face = 'rest' | 'ecs';

export interface ErrorAnswer {
  statusCode: number;
  type: string;
  message: string;
  /** Seconds after which a retry is worth it (the Retry-After header), for retryable server errors. */
  retryAfterSeconds?: number;
}

/** ECS reports these with a general error name rather than a dedicated one. */
const ecsNames: Record<string, string> = {
  TaskDefinitionNotFoundException: 'ClientException',
  TaskNotFoundException: 'InvalidParameterException',
  ContainerInstanceNotFoundException: 'InvalidParameterException',
  CapacityProviderNotFoundException: 'ClientException',
  UnsupportedMediaTypeException: 'ClientException',
};

const restStatus: Record<DomainError['kind'], number> = {
  client: 400,
  'not-found': 404,
  conflict: 409,
  throttled: 429,
  unavailable: 503,
  'media-type': 415,
  unauthenticated: 401,
  forbidden: 403,
};

/**
 * ECS answers every client error with 400 (an unknown access key included), a refused signature
 * with 403, and its retryable ServerException with 500.
 */
const ecsStatus = (kind: DomainError['kind']) => (kind === 'unavailable' ? 500 : kind === 'forbidden' ? 403 : 400);

export const SERVER_ERROR: ErrorAnswer = {
  statusCode: 500,
  type: 'ServerException',
  message: 'The server encountered an internal error. Try again later.',
};

/**
 * The answer for a domain error, or undefined for anything else (which must not leak). On the wire
 * another AWS service than ECS names its errors its own way (`nameOf`, lib/protocols/*).
 */
export const answerFor = (error: unknown, face: Face, nameOf?: (error: DomainError) => string): ErrorAnswer | undefined => {
  if (!isDomainError(error)) return undefined;
  return {
    statusCode: face === 'rest' ? restStatus[error.kind] : ecsStatus(error.kind),
    type: nameOf?.(error) ?? ecsNames[error.name] ?? error.name,
    message: error.message,
    ...(error.kind === 'unavailable' ? { retryAfterSeconds: 1 } : {}),
  };
};

export const errorBody = (answer: ErrorAnswer): string => JSON.stringify({ __type: answer.type, message: answer.message });
