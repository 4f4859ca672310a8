import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { listTasks } from '../../lib/usecases/tasks';

export const handler = restHandler(routes.listTasks, ({ path, query }, deps) => listTasks(deps, path.cluster, query));
