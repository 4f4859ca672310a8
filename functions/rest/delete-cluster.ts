import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { deleteCluster } from '../../lib/usecases/clusters';

export const handler = restHandler(routes.deleteCluster, ({ path }, deps) => deleteCluster(deps, path.cluster));
