import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { deregisterTaskDefinition } from '../../lib/usecases/task-definitions';

export const handler = restHandler(routes.deregisterTaskDefinition, ({ path }, deps) =>
  deregisterTaskDefinition(deps, path.taskDefinition),
);
