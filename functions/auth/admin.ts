import { adminActions } from '../../lib/auth/admin';
import { endpointOf } from '../../lib/auth/endpoint';
import { config } from '../../lib/config';
import { authSecrets, buildTenantStore, depsFor } from '../../lib/container';
import { systemClock } from '../../lib/deps';
import { ResourceNotFoundException } from '../../lib/errors';
import { usageReport } from '../../lib/usecases/usage';
import { httpStack, jsonBody, jsonResult } from '../../lib/http/middleware';

const settings = config();
const tenants = buildTenantStore(settings);

/** The admin API (lib/auth/admin.ts): one function for its routes, chosen by API Gateway's route key. */
export const handler = httpStack('rest', 'admin').handler(async (event) => {
  const action = adminActions[event.routeKey];
  if (!action) throw new ResourceNotFoundException(`No such route: ${event.routeKey}.`);
  const { status, body } = await action(
    {
      tenants,
      fleets: depsFor(settings.accountId).fleets,
      settings,
      masterKey: (await authSecrets()()).masterKey,
      now: systemClock.now(),
      endpoint: endpointOf(event, settings.sandbox),
      usageOf: (accountId, days) => usageReport(depsFor(accountId), accountId, { days }),
    },
    {
      routeKey: event.routeKey,
      path: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      body: event.body ? jsonBody(event, 'rest') : undefined,
    },
  );
  return jsonResult(status, body);
});
