import { restHandler } from '../../lib/http/rest-handler';
import { routes } from '../../lib/http/routes';
import { updateSimulatedGroup } from '../../lib/usecases/capacity-providers';

export const handler = restHandler(routes.putAutoScalingGroup, ({ path, body }, deps) => updateSimulatedGroup(deps, path.capacityProvider, body));
