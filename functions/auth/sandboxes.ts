import { endpointOf } from '../../lib/auth/endpoint';
import { createSandbox } from '../../lib/auth/sandboxes';
import { config } from '../../lib/config';
import { authSecrets, buildTenantStore } from '../../lib/container';
import { systemClock } from '../../lib/deps';
import { httpStack, jsonBody, jsonResult } from '../../lib/http/middleware';

const settings = config();
const tenants = buildTenantStore(settings);

/** POST /v1/sandboxes: public; guarded by the invite code, the per-address limit and the cap. */
export const handler = httpStack('rest', 'public').handler(async (event) => {
  const sandbox = await createSandbox(
    { tenants, settings: settings.sandbox, region: settings.region, masterKey: (await authSecrets()()).masterKey, now: systemClock.now() },
    event.body ? jsonBody(event, 'rest') : {},
    event.requestContext.http.sourceIp,
    endpointOf(event, settings.sandbox),
  );
  return jsonResult(201, sandbox);
});
