import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { createCluster } from '../../lib/usecases/clusters';

export const handler = restHandler(routes.createCluster, ({ body }, deps) => createCluster(deps, body));
