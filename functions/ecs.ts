import { accountOf } from '../lib/auth/middleware';
import { depsFor } from '../lib/container';
import { httpStack } from '../lib/http/middleware';
import { meteredRequest } from '../lib/metering/request-meter';
import { serveAws } from '../lib/protocols/dispatch';

/**
 * The AWS protocols (what the AWS SDKs and CLI speak) at POST /: ECS, Application Auto Scaling and
 * CloudWatch, told apart by X-Amz-Target or the query protocol's Action (lib/protocols/dispatch.ts),
 * as the caller's account, metered.
 */
export const handler = httpStack('ecs').handler((event, context) => {
  const dependencies = depsFor(accountOf(context));
  return meteredRequest(dependencies, () => serveAws(event, dependencies));
});
