import type { Deps } from '../deps';
import { DomainError } from '../errors';
import { contentTypes, jsonBody, jsonResult, type HttpEvent, type HttpResult } from '../http/middleware';
import { presentEcs } from '../http/present';
import { operations, type EcsOperation } from './operations';

/** The X-Amz-Target of every ECS operation is this prefix followed by the operation's name. */
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

/** What AWS answers for a target it does not serve; a protocol error, not a domain one. */
export class UnknownOperationException extends DomainError {
  readonly kind = 'client' as const;
}

const operationFor = (target: string | undefined): EcsOperation => {
  const name = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  // Own properties only, so that "toString" or "__proto__" is not an operation.
  if (name !== undefined && Object.hasOwn(operations, name)) return operations[name];
  throw new UnknownOperationException(
    target === undefined ? 'Missing X-Amz-Target header.' : `Unknown operation ${JSON.stringify(target)}.`,
  );
};

/**
 * One request of the ECS JSON 1.1 protocol: the operation named by X-Amz-Target, its input as a
 * JSON object in the body, sent as application/x-amz-json-1.1 (or 1.0), as the SDKs and the CLI
 * do. The caller was authenticated before (lib/auth: SigV4 in hosted mode, anyone in open mode).
 */
export const serveEcs = async (event: HttpEvent, deps: Deps): Promise<HttpResult> => {
  const operation = operationFor(event.headers['x-amz-target']);
  const body = jsonBody(event, 'ecs');
  const output = await operation.run(deps, operation.parse(body));
  return jsonResult(200, presentEcs(output), { 'Content-Type': contentTypes.ecs });
};
