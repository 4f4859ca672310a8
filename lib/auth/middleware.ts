import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { authenticator } from '../container';
import type { Face } from '../http/error-mapping';
import type { HttpEvent, HttpResult } from '../http/middleware';
import type { AccessPolicy, Caller } from './authenticator';

/** The Lambda context with the request's authenticated caller, set before the handler runs. */
export interface CallerContext extends Context {
  caller?: Caller;
}

/**
 * Authentication, one middleware for every handler and protocol: it sets the caller (and so the
 * account every use case is scoped to) from the verified credential only, or refuses the request
 * with AWS's error before the handler sees it.
 */
export const authentication = (face: Face, policy: AccessPolicy): MiddlewareObj<HttpEvent, HttpResult, Error, CallerContext> => {
  // Built when the handler's module loads: configuration is read and checked once, at cold start.
  const callers = authenticator();
  return {
    before: async (request) => {
      request.context.caller = await callers.callerOf(request.event, face, policy);
    },
  };
};

/** The account of a tenant handler's caller (the middleware guarantees there is one). */
export const accountOf = (context: CallerContext): string => {
  const caller = context.caller;
  if (caller?.kind !== 'tenant') throw new Error('a tenant handler ran without an authenticated tenant');
  return caller.accountId;
};
