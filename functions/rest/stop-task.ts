import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { stopTask } from '../../lib/usecases/tasks';

export const handler = restHandler(routes.stopTask, ({ path, body }, deps) =>
  stopTask(deps, path.cluster, path.taskId, body.reason),
);
