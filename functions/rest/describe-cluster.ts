import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { describeCluster } from '../../lib/usecases/clusters';

export const handler = restHandler(routes.describeCluster, ({ path }, deps) => describeCluster(deps, path.cluster));
