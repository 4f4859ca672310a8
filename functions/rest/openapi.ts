import { httpStack, jsonResult } from '../../lib/http/middleware';
import { openApiDocument } from '../../lib/http/openapi';

const document = openApiDocument();

export const handler = httpStack('rest').handler(async () => jsonResult(200, document));
