import { createHash } from 'node:crypto';
import { accountOf } from '../auth/middleware';
import { depsFor } from '../container';
import * as z from 'zod';
import { references } from '../domain/arn';
import { lazySchema, parseInput } from '../domain/validation';
import type { Deps } from '../deps';
import { ClientException } from '../errors';
import { meteredRequest } from '../metering/request-meter';
import { httpStack, jsonBody, jsonResult, type HttpEvent, type HttpResult } from './middleware';
import { presentRest } from './present';
import { parseRouteBody, parseRouteQuery, type RestRoute } from './route';

export interface RestRequest<Query, Body> {
  path: Record<string, string>;
  query: Query;
  body: Body;
}

/** Every path parameter of every route is a reference, checked by its kind's one schema. */
const pathSchema = lazySchema(() =>
  z
    .object({
      cluster: references.cluster(),
      service: references.service(),
      taskId: references.task(),
      taskDefinition: references.taskDefinition(),
      // A name or ARN; what names no provider is not found (capacityProviderNameOf).
      capacityProvider: z.string().min(1).max(2048),
    })
    .partial()
    .strict(),
);

const decodedPathParameters = (event: HttpEvent): Record<string, string> =>
  parseInput(
    pathSchema(),
    Object.fromEntries(
      Object.entries(event.pathParameters ?? {}).map(([name, value]) => {
        try {
          return [name, decodeURIComponent(value ?? '')];
        } catch {
          throw new ClientException(`Invalid '${name}': malformed URL encoding.`);
        }
      }),
    ),
  ) as Record<string, string>;

/**
 * A GET's answer with its ETag (a hash of the body), or 304 Not Modified with no body when the
 * caller already holds it (If-None-Match): a polling page (the web console) re-downloads only what
 * changed. The read itself still happens; only the transfer is saved.
 */
const conditional = (event: HttpEvent, answer: HttpResult): HttpResult => {
  const etag = `"${createHash('sha256').update(answer.body ?? '').digest('base64url').slice(0, 27)}"`;
  const held = event.headers['if-none-match']?.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (held?.includes(etag) || held?.includes('*')) return { statusCode: 304, headers: { ETag: etag }, body: '' };
  return { ...answer, headers: { ...answer.headers, ETag: etag } };
};

/**
 * A REST Lambda handler: the shared middy stack around one use case, given Deps scoped to the
 * authenticated caller's account (clients are built once per cold start, on the first request).
 */
export const restHandler = <Query, Body>(
  route: RestRoute<Query, Body>,
  useCase: (request: RestRequest<Query, Body>, deps: Deps) => Promise<unknown>,
) => {
  return httpStack('rest').handler((event, context) => {
    const dependencies = depsFor(accountOf(context));
    return meteredRequest(dependencies, async () => {
      const query = parseRouteQuery(route, event.queryStringParameters ?? {});
      const body = route.body || route.parseBody ? parseRouteBody(route, jsonBody(event, 'rest')) : (undefined as Body);
      const result = await useCase({ path: decodedPathParameters(event), query, body }, dependencies);
      const answer = jsonResult(route.successStatus, presentRest(result));
      return route.method === 'GET' ? conditional(event, answer) : answer;
    });
  });
};
