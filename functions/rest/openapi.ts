import { httpStack, jsonResult } from '../../lib/http/middleware';
import { openApiDocument } from '../../lib/http/openapi';

const document = openApiDocument();

export const handler = httpStack('rest', 'public').handler(async () => jsonResult(200, document));
