import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { listClusters } from '../../lib/usecases/clusters';

export const handler = restHandler(routes.listClusters, ({ query }, deps) => listClusters(deps, query));
