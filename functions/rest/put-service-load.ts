import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { setServiceLoad } from '../../lib/usecases/load';

export const handler = restHandler(routes.putServiceLoad, ({ path, body }, deps) => setServiceLoad(deps, path.cluster, path.service, body));
