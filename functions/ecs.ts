import { deps } from '../lib/container';
import { serveEcs } from '../lib/ecs-wire/serve';
import { httpStack } from '../lib/http/middleware';

/** The ECS API's own protocol (what the AWS SDKs and CLI speak), at POST /. */
export const handler = httpStack('ecs').handler((event) => serveEcs(event, deps()));
