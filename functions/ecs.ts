import { deps } from '../lib/container';
import { serveEcs } from '../lib/ecs-wire/serve';
import { httpStack } from '../lib/http/middleware';
import { meteredRequest } from '../lib/metering/request-meter';

// Configuration is read and checked, and clients built, once at cold start.
const dependencies = deps();

/** The ECS API's own protocol (what the AWS SDKs and CLI speak), at POST /. */
export const handler = httpStack('ecs').handler((event) => meteredRequest(dependencies, () => serveEcs(event, dependencies)));
