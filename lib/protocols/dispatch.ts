import type { Deps } from '../deps';
import { ClientException, DomainError, SerializationException } from '../errors';
import { answerFor } from '../http/error-mapping';
import { log } from '../log';
import { jsonBody, MAX_BODY_BYTES, type HttpEvent, type HttpResult } from '../http/middleware';
import { applicationAutoScalingProtocol } from './application-autoscaling/operations';
import { cloudWatchProtocol } from './cloudwatch/operations';
import { ecsProtocol } from './ecs/operations';
import { operationOf, type ProtocolTable, type WireOperation } from './operation';
import { jsonFormat, queryFormat, type WireFormat } from './wire-formats';

/** Every AWS service ecsbox answers at POST /, told apart by X-Amz-Target's prefix. */
const TABLES: ProtocolTable[] = [ecsProtocol, applicationAutoScalingProtocol, cloudWatchProtocol];

/** What AWS answers for a target or action it does not serve; a protocol error, not a domain one. */
export class UnknownOperationException extends DomainError {
  readonly kind = 'client' as const;
}

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

interface Route {
  table: ProtocolTable;
  operation: WireOperation;
  format: WireFormat;
  /** The request's input, read in the route's protocol (its errors answered in the route's format). */
  input(): Record<string, unknown>;
}

const jsonRoute = (event: HttpEvent, target: string): Route => {
  const table = TABLES.find((candidate) => target.startsWith(candidate.targetPrefix));
  const operation = table && operationOf(table, target.slice(table.targetPrefix.length));
  if (!table || !operation) throw new UnknownOperationException(`Unknown operation ${JSON.stringify(target)}.`);
  return { table, operation, format: jsonFormat(table), input: () => jsonBody(event, 'ecs') };
};

const formOf = (event: HttpEvent): URLSearchParams => {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new SerializationException(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
  return new URLSearchParams(text);
};

/**
 * A query-protocol request (form-encoded `Action=…&Version=…`), as the AWS CLI v2 sends CloudWatch's.
 * A browser can post a form to any site without a CORS preflight, but it cannot add an
 * Authorization header to it: requiring the SigV4 header (every AWS client signs) keeps other sites
 * from driving these operations from a visitor's browser.
 */
const queryRoute = (event: HttpEvent): Route => {
  if (!event.headers.authorization) {
    throw new ClientException('A form-encoded request must be signed (Authorization header), as AWS clients sign it.');
  }
  const form = formOf(event);
  const action = form.get('Action') ?? '';
  const table = TABLES.find((candidate) => candidate.query?.version === form.get('Version'));
  const operation = table && operationOf(table, action);
  if (!table?.query || !operation) {
    throw new UnknownOperationException(`Unknown operation ${JSON.stringify(action)} of version ${JSON.stringify(form.get('Version') ?? '')}.`);
  }
  const { decode } = table.query;
  return { table, operation, format: queryFormat(table, action), input: () => decode(form) };
};

const routeOf = (event: HttpEvent): Route => {
  const target = event.headers['x-amz-target'];
  if (target !== undefined) return jsonRoute(event, target);
  if (event.headers['content-type']?.split(';')[0].trim().toLowerCase() === FORM_MEDIA_TYPE) return queryRoute(event);
  throw new UnknownOperationException('Missing X-Amz-Target header.');
};

/**
 * The one entry of every AWS protocol at POST /: ECS and Application Auto Scaling (AWS JSON 1.1),
 * CloudWatch (AWS JSON 1.0 for the SDKs, the query protocol for the CLI). The operation is named by
 * X-Amz-Target, or by `Action=` in a form-encoded body. Domain errors are answered here, in the
 * request's own wire format under the service's own error names; errors before a service is known
 * (no target, an unknown one) are answered as ECS's by the shared stack. The SigV4 Authorization
 * header is not checked here.
 */
export const serveAws = async (event: HttpEvent, deps: Deps): Promise<HttpResult> => {
  const route = routeOf(event);
  try {
    const output = await route.operation.run(deps, route.operation.parse(route.input()));
    return route.format.result(output);
  } catch (error) {
    const answer = answerFor(error, 'ecs', route.table.errorName);
    if (!answer) throw error;
    // As the shared stack logs it: ServerException means the outcome is unknown to the caller.
    if (answer.statusCode >= 500) log.warn('request outcome unknown', { status: answer.statusCode });
    return route.format.error(answer);
  }
};
