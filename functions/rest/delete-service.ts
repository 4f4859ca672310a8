import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { deleteService } from '../../lib/usecases/services';

export const handler = restHandler(routes.deleteService, ({ path, query }, deps) =>
  deleteService(deps, path.cluster, path.service, query.force === 'true'),
);
