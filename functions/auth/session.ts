import { accountOf } from '../../lib/auth/middleware';
import { issueSessionToken, SESSION_LIFETIME_MS } from '../../lib/auth/session';
import { authSecrets } from '../../lib/container';
import { systemClock } from '../../lib/deps';
import { httpStack, jsonResult } from '../../lib/http/middleware';

/**
 * POST /v1/session, signed with SigV4 (a bearer token cannot renew itself): a bearer token for
 * browser frontends, valid for an hour, standing for the signing key.
 */
export const handler = httpStack('rest', 'signed').handler(async (_event, context) => {
  const accountId = accountOf(context);
  const accessKeyId = context.caller?.kind === 'tenant' ? (context.caller.accessKeyId ?? '') : '';
  const expiresAt = systemClock.now() + SESSION_LIFETIME_MS;
  const token = issueSessionToken((await authSecrets()()).masterKey, { accountId, accessKeyId, expiresAt });
  return jsonResult(201, { token, expiresAt: new Date(expiresAt).toISOString(), accountId });
});
