import { ResourceNotFoundException } from '../../lib/errors';
import { httpStack } from '../../lib/http/middleware';

/** API Gateway's catch-all route: unknown paths and methods get an ECS-style 404, not a bare one. */
export const handler = httpStack('rest').handler(async (event) => {
    throw new ResourceNotFoundException(
      `No such route: ${event.requestContext.http.method} ${event.rawPath}. See GET /v1/openapi.json.`,
    );
  });
