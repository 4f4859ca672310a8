import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { updateService } from '../../lib/usecases/services';

export const handler = restHandler(routes.updateService, ({ path, body }, deps) =>
  updateService(deps, path.cluster, path.service, body),
);
