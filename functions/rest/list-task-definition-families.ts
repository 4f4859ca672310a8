import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { listTaskDefinitionFamilies } from '../../lib/usecases/task-definitions';

export const handler = restHandler(routes.listTaskDefinitionFamilies, ({ query }, deps) =>
  listTaskDefinitionFamilies(deps, query),
);
