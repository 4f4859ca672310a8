import { httpStack, jsonResult } from '../../lib/http/middleware';
import { openApiDocument } from '../../lib/http/openapi';

/**
 * Built on the first request, not at load: turning every route's schemas into JSON Schema takes
 * about 25 ms, which every cold start of this function paid before it could answer anything.
 */
let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = httpStack('rest', 'public').handler(async () => jsonResult(200, (document ??= openApiDocument())));
