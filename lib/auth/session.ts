import { createHmac } from 'node:crypto';
import type { EpochMs } from '../domain/model';
import { UnrecognizedClientException } from '../errors';
import { constantTimeEqual } from './keys';

/**
 * Short-lived bearer tokens for browser frontends (POST /v1/session): issued to a request signed
 * with an access key, they stand for that key until they expire. Stateless: the payload (account,
 * key, expiry) is HMAC-signed with a key derived from the master key, so nothing is stored, and
 * every use still checks the key and its tenant (a revoked key's tokens die with it).
 */
export const SESSION_LIFETIME_MS = 3_600_000;

const PREFIX = 'ecsbox1';

export interface SessionClaims {
  accountId: string;
  accessKeyId: string;
  expiresAt: EpochMs;
}

const macOf = (masterKey: string, payload: string) =>
  createHmac('sha256', createHmac('sha256', masterKey).update('session-token').digest()).update(payload).digest('base64url');

export const issueSessionToken = (masterKey: string, claims: SessionClaims): string => {
  const payload = Buffer.from(JSON.stringify([claims.accountId, claims.accessKeyId, claims.expiresAt])).toString('base64url');
  return `${PREFIX}.${payload}.${macOf(masterKey, payload)}`;
};

/** The claims of a genuine, unexpired token; UnrecognizedClientException for anything else. */
export const verifySessionToken = (masterKey: string, token: string, now: EpochMs): SessionClaims => {
  const [prefix, payload, mac, ...rest] = token.split('.');
  if (prefix !== PREFIX || !payload || !mac || rest.length > 0 || !constantTimeEqual(mac, macOf(masterKey, payload))) {
    throw new UnrecognizedClientException();
  }
  const [accountId, accessKeyId, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, string, number];
  if (!(expiresAt > now)) throw new UnrecognizedClientException('The security token included in the request is expired');
  return { accountId, accessKeyId, expiresAt };
};
