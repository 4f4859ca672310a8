import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { interruptSpotTasks } from '../../lib/usecases/spot-interruptions';

export const handler = restHandler(routes.interruptSpotTasks, ({ path, body }, deps) => interruptSpotTasks(deps, path.cluster, body));
