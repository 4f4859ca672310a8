import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { getServiceLoad } from '../../lib/usecases/load';

export const handler = restHandler(routes.getServiceLoad, ({ path }, deps) => getServiceLoad(deps, path.cluster, path.service));
