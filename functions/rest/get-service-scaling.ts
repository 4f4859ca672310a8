import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { describeServiceScaling } from '../../lib/usecases/scaling';

export const handler = restHandler(routes.getServiceScaling, ({ path }, deps) => describeServiceScaling(deps, path.cluster, path.service));
