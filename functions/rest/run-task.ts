import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { runTask } from '../../lib/usecases/tasks';

export const handler = restHandler(routes.runTask, ({ path, body }, deps) => runTask(deps, { ...body, cluster: path.cluster }));
