import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { getCapacityProvider } from '../../lib/usecases/capacity-providers';

export const handler = restHandler(routes.getCapacityProvider, ({ path }, deps) => getCapacityProvider(deps, path.capacityProvider));
