import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';

export const handler = restHandler(routes.registerTaskDefinition, ({ body }, deps) =>
  registerTaskDefinition(deps, body),
);
