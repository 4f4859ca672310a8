import { accountOf } from '../lib/auth/middleware';
import { depsFor } from '../lib/container';
import { serveEcs } from '../lib/ecs-wire/serve';
import { httpStack } from '../lib/http/middleware';
import { meteredRequest } from '../lib/metering/request-meter';

/** The ECS API's own protocol (what the AWS SDKs and CLI speak), at POST /, as the caller's account, metered. */
export const handler = httpStack('ecs').handler((event, context) => {
  const dependencies = depsFor(accountOf(context));
  return meteredRequest(dependencies, () => serveEcs(event, dependencies));
});
