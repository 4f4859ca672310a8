import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { createService } from '../../lib/usecases/services';

export const handler = restHandler(routes.createService, ({ path, body }, deps) =>
  createService(deps, { ...body, cluster: path.cluster }),
);
