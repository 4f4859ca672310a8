import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { describeTask } from '../../lib/usecases/tasks';

export const handler = restHandler(routes.describeTask, ({ path }, deps) => describeTask(deps, path.cluster, path.taskId));
