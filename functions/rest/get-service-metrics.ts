import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { getServiceMetrics } from '../../lib/usecases/load';

export const handler = restHandler(routes.getServiceMetrics, ({ path, query }, deps) => getServiceMetrics(deps, path.cluster, path.service, query));
