import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { listServices } from '../../lib/usecases/services';

export const handler = restHandler(routes.listServices, ({ path, query }, deps) => listServices(deps, path.cluster, query));
