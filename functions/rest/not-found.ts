import { ResourceNotFoundException } from '../../lib/errors';
import { httpStack, preflight } from '../../lib/http/middleware';

/**
 * API Gateway's catch-all route: CORS preflights (no route declares OPTIONS), and unknown paths
 * and methods, which get an ECS-style 404 rather than a bare one.
 */
export const handler = httpStack('rest', 'public').handler(async (event) => {
  if (event.requestContext.http.method === 'OPTIONS') return preflight(event);
  throw new ResourceNotFoundException(
    `No such route: ${event.requestContext.http.method} ${event.rawPath}. See GET /v1/openapi.json.`,
  );
});
