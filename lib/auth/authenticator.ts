import type { Config } from '../config';
import type { Clock } from '../deps';
import { AccessDeniedException, MissingAuthenticationTokenException, UnrecognizedClientException } from '../errors';
import type { HttpEvent } from '../http/middleware';
import type { Face } from '../http/error-mapping';
import { ACCESS_KEY_ID_PATTERN, constantTimeEqual, secretFor } from './keys';
import type { AuthSecrets } from './secrets';
import { verifySessionToken } from './session';
import { checkScope, checkSignature, parseAuthorization, type ArrivedRequest } from './sigv4';
import type { KeyGrant, TenantStore } from './tenant-store';

/**
 * Who may call a handler:
 * - tenant: a tenant's signed request (or, on the REST face, its bearer session token); in open
 *   mode anyone, as the configured account;
 * - signed: a tenant's signed request only (issuing a session token takes a key, not a token);
 * - admin: the admin token, never a tenant key;
 * - public: anyone (the sandbox sign-up, the OpenAPI document, CORS preflights).
 */
export type AccessPolicy = 'tenant' | 'signed' | 'admin' | 'public';

export type Caller =
  /** `quotas`: the tenant's overrides of the default quotas (none in open mode). */
  | { kind: 'tenant'; accountId: string; accessKeyId?: string; quotas?: Record<string, number> }
  | { kind: 'admin' }
  | { kind: 'public' };

/** The signing names of the protocols served at POST /, by their X-Amz-Target prefix. */
const SIGNING_NAMES: Array<[prefix: string, service: string]> = [
  ['AnyScaleFrontendService.', 'application-autoscaling'],
  ['GraniteServiceVersion20100801.', 'monitoring'],
];

/** The service a request must be signed for: ecs, or the protocol's that POST / also serves. */
export const signingNameOf = (event: HttpEvent, face: Face): string => {
  if (face === 'rest') return 'ecs';
  const target = event.headers['x-amz-target'] ?? '';
  const named = SIGNING_NAMES.find(([prefix]) => target.startsWith(prefix));
  if (named) return named[1];
  // CloudWatch's query protocol (Action=... in a form body) has no target.
  return event.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? 'monitoring' : 'ecs';
};

/**
 * The path with each segment percent-encoded as the SDKs send it (an ARN's ':' as %3A): the
 * server may hand such characters over decoded, while the client signed them encoded.
 */
const encodedSegments = (path: string): string =>
  path
    .split('/')
    .map((segment) => {
      try {
        return encodeURIComponent(decodeURIComponent(segment));
      } catch {
        return segment;
      }
    })
    .join('/');

/**
 * The paths the client may have signed. API Gateway hands the path without the stage on the
 * $default stage and with it on a named one; a client signs the URL it called, so both forms are
 * tried, each as received and as the SDKs encode it.
 */
const signedPaths = (event: HttpEvent): string[] => {
  const path = event.rawPath || '/';
  const stage = event.requestContext?.stage;
  const prefix = `/${stage}`;
  const staged =
    !stage || stage === '$default'
      ? [path]
      : path === prefix || path.startsWith(`${prefix}/`)
        ? [path, path.slice(prefix.length) || '/']
        : [path, `${prefix}${path}`];
  return [...new Set([...staged, ...staged.map(encodedSegments)])];
};

export const arrivedRequest = (event: HttpEvent): ArrivedRequest => ({
  method: event.requestContext.http.method,
  paths: signedPaths(event),
  query: event.rawQueryString ?? '',
  headers: event.headers,
  body: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : new Uint8Array(),
});

const bearerOf = (event: HttpEvent): string | undefined => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(event.headers.authorization ?? '');
  return match?.[1];
};

const tenantCaller = (grant: KeyGrant): Caller => ({
  kind: 'tenant',
  accountId: grant.accountId,
  accessKeyId: grant.accessKeyId,
  ...(grant.quotas ? { quotas: grant.quotas } : {}),
});

export class Authenticator {
  constructor(
    private readonly settings: Pick<Config, 'auth' | 'accountId' | 'region'>,
    private readonly tenants: TenantStore,
    private readonly secrets: () => Promise<AuthSecrets>,
    private readonly clock: Clock,
  ) {}

  async callerOf(event: HttpEvent, face: Face, policy: AccessPolicy): Promise<Caller> {
    if (policy === 'public') return { kind: 'public' };
    if (policy === 'admin') return this.admin(event);
    if (this.settings.auth.mode === 'open') return { kind: 'tenant', accountId: this.settings.accountId };
    const bearer = bearerOf(event);
    if (bearer !== undefined && face === 'rest' && policy === 'tenant') return this.session(bearer);
    return this.signed(event, face);
  }

  private async admin(event: HttpEvent): Promise<Caller> {
    const bearer = bearerOf(event);
    if (bearer === undefined) {
      if (event.headers.authorization) throw new AccessDeniedException('The admin API takes the admin token (Authorization: Bearer <token>), never an access key.');
      throw new MissingAuthenticationTokenException();
    }
    const { adminToken } = await this.secrets();
    if (!constantTimeEqual(bearer, adminToken)) throw new AccessDeniedException('The admin token is not valid.');
    return { kind: 'admin' };
  }

  /** The key's grant, if it may be used now: known, not revoked, its tenant ACTIVE and unexpired. */
  private async usableGrant(accessKeyId: string): Promise<KeyGrant> {
    if (!ACCESS_KEY_ID_PATTERN.test(accessKeyId)) throw new UnrecognizedClientException();
    const grant = await this.tenants.keyGrant(accessKeyId);
    if (!grant || grant.keyStatus !== 'ACTIVE' || grant.tenantStatus !== 'ACTIVE' || grant.tenantExpiresAt <= this.clock.now()) {
      throw new UnrecognizedClientException();
    }
    return grant;
  }

  private async signed(event: HttpEvent, face: Face): Promise<Caller> {
    const request = arrivedRequest(event);
    const credential = parseAuthorization(request.headers);
    checkScope(credential, { region: this.settings.region, service: signingNameOf(event, face) }, this.clock.now());
    const grant = await this.usableGrant(credential.accessKeyId);
    const { masterKey } = await this.secrets();
    await checkSignature(request, credential, secretFor(masterKey, credential.accessKeyId));
    return tenantCaller(grant);
  }

  private async session(token: string): Promise<Caller> {
    const { masterKey } = await this.secrets();
    const claims = verifySessionToken(masterKey, token, this.clock.now());
    return tenantCaller(await this.usableGrant(claims.accessKeyId));
  }
}
