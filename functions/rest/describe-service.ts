import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { describeService } from '../../lib/usecases/services';

export const handler = restHandler(routes.describeService, ({ path }, deps) =>
  describeService(deps, path.cluster, path.service),
);
