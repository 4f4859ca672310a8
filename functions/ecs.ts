import { deps } from '../lib/container';
import { httpStack } from '../lib/http/middleware';
import { serveAws } from '../lib/protocols/dispatch';

// Configuration is read and checked, and clients built, once at cold start.
const dependencies = deps();

/**
 * The AWS protocols (what the AWS SDKs and CLI speak) at POST /: ECS, Application Auto Scaling and
 * CloudWatch, told apart by X-Amz-Target or the query protocol's Action (lib/protocols/dispatch.ts).
 */
export const handler = httpStack('ecs').handler((event) => serveAws(event, dependencies));
