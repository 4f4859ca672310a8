import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { listTaskDefinitions } from '../../lib/usecases/task-definitions';

export const handler = restHandler(routes.listTaskDefinitions, ({ query }, deps) => listTaskDefinitions(deps, query));
