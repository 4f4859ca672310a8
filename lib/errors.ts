/**
 * Domain errors. Everything in lib/ throws these; the HTTP and ECS wire faces map them to a
 * status code and an ECS error name in one place (lib/http/error-mapping.ts). The `name` of each
 * class is the ECS error name (`__type`) clients see.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'client' | 'not-found' | 'conflict' | 'throttled' | 'unavailable' | 'media-type' | 'unauthenticated' | 'forbidden';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input or a request that ECS refuses ("ClientException" is ECS's catch-all 400). */
export class ClientException extends DomainError {
  readonly kind = 'client' as const;
}

/** A parameter value is out of range or malformed (ECS uses this for some fields). */
export class InvalidParameterException extends DomainError {
  readonly kind = 'client' as const;
}

export class ClusterNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(message = 'Cluster not found.') {
    super(message);
  }
}

export class ServiceNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(message = 'Service not found.') {
    super(message);
  }
}

export class ServiceNotActiveException extends DomainError {
  readonly kind = 'client' as const;
  constructor(message = 'Service was not ACTIVE.') {
    super(message);
  }
}

/** A task definition (or task) that does not exist: ECS answers ClientException, we answer 404 on REST. */
export class TaskDefinitionNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(message = 'Unable to describe task definition.') {
    super(message);
  }
}

export class TaskNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(message = 'The referenced task was not found.') {
    super(message);
  }
}

export class ClusterContainsServicesException extends DomainError {
  readonly kind = 'client' as const;
  constructor(
    message = 'The Cluster cannot be deleted while Services are active.',
  ) {
    super(message);
  }
}

export class ClusterContainsTasksException extends DomainError {
  readonly kind = 'client' as const;
  constructor(message = 'The Cluster cannot be deleted while Tasks are active.') {
    super(message);
  }
}

export class ClusterContainsContainerInstancesException extends DomainError {
  readonly kind = 'client' as const;
  constructor(message = 'The Cluster cannot be deleted while Container Instances are active or draining.') {
    super(message);
  }
}

/** A container instance that does not exist in the cluster: ECS answers InvalidParameterException, REST 404. */
export class ContainerInstanceNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(message = 'The referenced container instance was not found.') {
    super(message);
  }
}

/** A capacity provider that does not exist: ECS answers ClientException, REST 404. */
export class CapacityProviderNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
}

/** A capacity provider in use (by a service's strategy) cannot be removed from its cluster. */
export class ResourceInUseException extends DomainError {
  readonly kind = 'conflict' as const;
}

/** PutAttributes or DeleteAttributes named a resource that does not exist. */
export class TargetNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
}

/** PutAttributes would leave a resource with more custom attributes than ECS allows. */
export class AttributeLimitExceededException extends DomainError {
  readonly kind = 'client' as const;
  constructor(message = 'You can apply up to 10 custom attributes per resource.') {
    super(message);
  }
}

/** A quota of ECS's was reached (ECS names it so on RegisterTaskDefinition and TagResource). */
export class LimitExceededException extends DomainError {
  readonly kind = 'client' as const;
}

/** Idempotency token reuse with other parameters, or a write that lost a race it cannot retry. */
export class ConflictException extends DomainError {
  readonly kind = 'conflict' as const;
}

/** The caller (or ecsbox on the caller's behalf) is going too fast. */
export class ThrottlingException extends DomainError {
  readonly kind = 'throttled' as const;
  constructor(message = 'Rate exceeded') {
    super(message);
  }
}

/**
 * ECS's retryable server error: the store did not answer within its deadline or the connection
 * broke, so whether a write landed is unknown. Retrying is safe, as every mutating call is
 * idempotent under retries (clientTokens and conditional writes).
 */
export class ServerException extends DomainError {
  readonly kind = 'unavailable' as const;
  constructor(message = 'The server did not complete the request in time; the outcome is unknown. Retry the request.') {
    super(message);
  }
}

/** A resource the request names does not exist, for resources without a dedicated ECS error. */
export class ResourceNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
}

/** Malformed request body (not JSON, wrong top-level type). */
export class SerializationException extends DomainError {
  readonly kind = 'client' as const;
}

/** A body in a media type the API face does not read (ECS answers ClientException). */
export class UnsupportedMediaTypeException extends DomainError {
  readonly kind = 'media-type' as const;
}

/** The access key is unknown, revoked, or its tenant suspended or expired (AWS answers 400 on its JSON APIs). */
export class UnrecognizedClientException extends DomainError {
  readonly kind = 'unauthenticated' as const;
  constructor(message = 'The security token included in the request is invalid.') {
    super(message);
  }
}

/** No credentials at all: no Authorization header (or bearer token) where one is required. */
export class MissingAuthenticationTokenException extends DomainError {
  readonly kind = 'unauthenticated' as const;
  constructor(message = 'Missing Authentication Token') {
    super(message);
  }
}

/** An Authorization header that is not a complete SigV4 one. */
export class IncompleteSignatureException extends DomainError {
  readonly kind = 'client' as const;
}

/** The signature does not match, is stale, or is scoped to another region or service. */
export class InvalidSignatureException extends DomainError {
  readonly kind = 'forbidden' as const;
}

/** A credential that is valid but may not do this (a tenant key on the admin API, a refused sandbox). */
export class AccessDeniedException extends DomainError {
  readonly kind = 'forbidden' as const;
}

export const isDomainError = (error: unknown): error is DomainError =>
  error instanceof DomainError;

/** Application Auto Scaling's refusal of bad input, and of a resource id naming no ECS service. */
export class ValidationException extends DomainError {
  readonly kind = 'client' as const;
}

/** Application Auto Scaling's answer for a scalable target, policy or scheduled action that does not exist. */
export class ObjectNotFoundException extends DomainError {
  readonly kind = 'not-found' as const;
}
