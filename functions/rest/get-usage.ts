import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { getUsage } from '../../lib/usecases/usage';

export const handler = restHandler(routes.getUsage, ({ query }, deps) => getUsage(deps, query));
