import type * as z from 'zod';
import { parseInput, type Refusal } from '../domain/validation';

/**
 * A REST route: its place in the API, and the schemas that both validate its requests and
 * generate the OpenAPI document (lib/http/openapi.ts), so that the document cannot drift. The
 * schemas are built on first use (lazySchema): a handler builds only its own route's.
 */
export interface RestRoute<Query = undefined, Body = undefined> {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway syntax: /v1/clusters/{cluster} */
  path: string;
  summary: string;
  tag: string;
  successStatus: number;
  query?: () => z.ZodType<Query>;
  /** The body's schema, for validation and for the document. */
  body?: () => z.ZodType<Body>;
  /** When set, replaces plain schema validation (task definitions check their size first). */
  parseBody?: (raw: unknown) => Body;
  /** The error bad input gets, as ECS names it for the operation (default ClientException). */
  refusal?: Refusal;
  /** Name of the top-level response member(s), for the document. */
  responds: string;
}

export const defineRoute = <Query = undefined, Body = undefined>(route: RestRoute<Query, Body>) => route;

export const parseRouteBody = <Query, Body>(route: RestRoute<Query, Body>, raw: unknown): Body => {
  if (route.parseBody) return route.parseBody(raw);
  return route.body ? parseInput(route.body(), raw, route.refusal) : (undefined as Body);
};

export const parseRouteQuery = <Query, Body>(route: RestRoute<Query, Body>, raw: Record<string, string | undefined>): Query =>
  route.query ? parseInput(route.query(), raw, route.refusal) : (undefined as Query);
