import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { launchContainerInstances } from '../../lib/usecases/container-instances';

export const handler = restHandler(routes.launchContainerInstances, ({ path, body }, deps) => launchContainerInstances(deps, path.cluster, body));
