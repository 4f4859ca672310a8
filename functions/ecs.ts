import { accountOf } from '../lib/auth/middleware';
import { depsFor } from '../lib/container';
import { serveEcs } from '../lib/ecs-wire/serve';
import { httpStack } from '../lib/http/middleware';

/** The ECS API's own protocol (what the AWS SDKs and CLI speak), at POST /, as the caller's account. */
export const handler = httpStack('ecs').handler((event, context) => serveEcs(event, depsFor(accountOf(context))));
