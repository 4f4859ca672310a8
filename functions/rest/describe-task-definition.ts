import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { describeTaskDefinition } from '../../lib/usecases/task-definitions';

export const handler = restHandler(routes.describeTaskDefinition, ({ path, query }, deps) =>
  describeTaskDefinition(deps, path.taskDefinition, query.include === 'TAGS'),
);
