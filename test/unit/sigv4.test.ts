import fc from 'fast-check';
import { SignatureV4 } from '@smithy/signature-v4';
import { Authenticator } from '../../lib/auth/authenticator';
import { issueSessionToken, verifySessionToken } from '../../lib/auth/session';
import { NodeSha256 } from '../../lib/node-sha256';
import { secretFor } from '../../lib/auth/keys';
import type { KeyGrant, TenantStore } from '../../lib/auth/tenant-store';
import type { HttpEvent } from '../../lib/http/middleware';

const MASTER = 'unit-test-master-key-0123456789abcdef';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const KEY = 'AKIAUNITTESTKEY23456';
const OTHER_KEY = 'AKIAOTHERKEY23456777';
const grants: Record<string, KeyGrant> = Object.fromEntries(
  [KEY, OTHER_KEY].map((accessKeyId, index) => [
    accessKeyId,
    { accessKeyId, accountId: `12345678901${index}`, keyStatus: 'ACTIVE', tenantStatus: 'ACTIVE', tenantExpiresAt: NOW + 3_600_000 },
  ]),
);
const store = { keyGrant: async (id: string) => grants[id] } as unknown as TenantStore;
const authenticator = new Authenticator(
  { auth: { mode: 'sigv4' }, accountId: '000000000000', region: 'us-east-1' },
  store,
  async () => ({ masterKey: MASTER, adminToken: 'admin-token-0123456789' }),
  { now: () => NOW },
);

interface ClientRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

/** Signs as a client does, with the SDKs' signer, and turns the result into what the handler receives. */
const signedEvent = async (
  request: ClientRequest,
  options: { key?: string; secret?: string; at?: number; stage?: string; service?: string; signPayload?: boolean } = {},
) => {
  const key = options.key ?? KEY;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key, secretAccessKey: options.secret ?? secretFor(MASTER, key) },
    region: 'us-east-1',
    service: options.service ?? 'ecs',
    sha256: NodeSha256,
    applyChecksum: options.signPayload ?? false,
  });
  const signed = await signer.sign(
    { method: request.method, protocol: 'https:', hostname: 'api.example.com', path: request.path, query: request.query, headers: { host: 'api.example.com', ...request.headers }, body: request.body },
    { signingDate: new Date(options.at ?? NOW) },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return {
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query).toString(),
    headers,
    body: request.body || undefined,
    isBase64Encoded: false,
    requestContext: { stage: options.stage ?? '$default', http: { method: request.method, sourceIp: '10.0.0.1' } },
  } as unknown as HttpEvent;
};

const callerOf = (event: HttpEvent, face: 'ecs' | 'rest' = 'rest') => authenticator.callerOf(event, face, 'tenant');

const segment = fc.stringMatching(/^[A-Za-z0-9_:.~-]{1,12}$/);
const requests: fc.Arbitrary<ClientRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'),
  path: fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
  query: fc.dictionary(fc.stringMatching(/^[a-zA-Z]{1,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  headers: fc.record({
    'content-type': fc.constantFrom('application/json', 'application/x-amz-json-1.1'),
    'x-amz-target': fc.constantFrom('AmazonEC2ContainerServiceV20141113.ListClusters', 'AmazonEC2ContainerServiceV20141113.RunTask'),
  }),
  body: fc.string({ maxLength: 200 }),
});

type Tamper = (event: HttpEvent) => HttpEvent;
const tampers: Record<string, Tamper> = {
  body: (event) => ({ ...event, body: `${event.body ?? ''} ` }),
  'a signed header': (event) => ({ ...event, headers: { ...event.headers, 'x-amz-target': `${event.headers['x-amz-target']}X` } }),
  path: (event) => ({ ...event, rawPath: `${event.rawPath.replace(/\/$/, '')}/x` }),
  query: (event) => ({ ...event, rawQueryString: `${event.rawQueryString}${event.rawQueryString ? '&' : ''}extra=1` }),
  method: (event) => ({ ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: event.requestContext.http.method === 'GET' ? 'POST' : 'GET' } } }),
  date: (event) => ({ ...event, headers: { ...event.headers, 'x-amz-date': event.headers['x-amz-date']!.replace(/\d\dZ$/, (s) => `${String((Number(s.slice(0, 2)) + 1) % 60).padStart(2, '0')}Z`) } }),
  'key id': (event) => ({ ...event, headers: { ...event.headers, authorization: event.headers.authorization!.replace(KEY, OTHER_KEY) } }),
  signature: (event) => ({ ...event, headers: { ...event.headers, authorization: event.headers.authorization!.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } }),
};

describe('SigV4 verification', () => {
  it('accepts any request signed with the key, as the signing key\'s account; an unsigned header may change', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.boolean(), async (request, signPayload) => {
        const event = await signedEvent(request, { signPayload });
        await expect(callerOf(event)).resolves.toEqual({ kind: 'tenant', accountId: grants[KEY].accountId, accessKeyId: KEY });
        await expect(callerOf({ ...event, headers: { ...event.headers, 'user-agent': 'changed', 'x-forwarded-for': '1.2.3.4' } })).resolves.toMatchObject({ kind: 'tenant' });
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('refuses every tampering of a signed request: body, signed header, path, query, method, date, key, signature', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.constantFrom(...Object.keys(tampers)), fc.boolean(), async (request, tamper, signPayload) => {
        const event = tampers[tamper](await signedEvent(request, { signPayload }));
        await expect(callerOf(event)).rejects.toMatchObject({ name: 'InvalidSignatureException' });
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('refuses a wrong secret with AWS\'s sentence, and an unknown key as an invalid token', async () => {
    const request = { method: 'POST', path: '/', query: {}, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' }, body: '{}' };
    await expect(callerOf(await signedEvent(request, { secret: 'x'.repeat(40) }), 'ecs')).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    });
    await expect(callerOf(await signedEvent(request, { key: 'AKIAUNKNOWNKEY234567' }), 'ecs')).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    await expect(callerOf({ ...(await signedEvent(request)), headers: { 'content-type': 'application/json' } } as HttpEvent)).rejects.toMatchObject({
      name: 'MissingAuthenticationTokenException',
    });
  });

  it('refuses a signature older or newer than 15 minutes with AWS\'s sentences, and accepts one just inside', async () => {
    const request = { method: 'GET', path: '/v1/clusters', query: {}, headers: {}, body: '' };
    await expect(callerOf(await signedEvent(request, { at: NOW - 15 * 60_000 - 1000 }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: 'Signature expired: 20261130T114459Z is now earlier than 20261130T114500Z (20261130T120000Z - 15 min.)',
    });
    await expect(callerOf(await signedEvent(request, { at: NOW + 16 * 60_000 }))).rejects.toMatchObject({
      message: 'Signature not yet current: 20261130T121600Z is still later than 20261130T121500Z (20261130T120000Z + 15 min.)',
    });
    await expect(callerOf(await signedEvent(request, { at: NOW - 14 * 60_000 }))).resolves.toMatchObject({ kind: 'tenant' });
  });

  it('checks the signed service: ecs on REST, the protocol\'s signing name at POST /', async () => {
    const scaling = { method: 'POST', path: '/', query: {}, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AnyScaleFrontendService.DescribeScalableTargets' }, body: '{}' };
    await expect(callerOf(await signedEvent(scaling, { service: 'application-autoscaling' }), 'ecs')).resolves.toMatchObject({ kind: 'tenant' });
    await expect(callerOf(await signedEvent(scaling, { service: 'ecs' }), 'ecs')).rejects.toMatchObject({
      message: "Credential should be scoped to correct service: 'application-autoscaling'.",
    });
    await expect(callerOf(await signedEvent({ ...scaling, path: '/v1/clusters' }, { service: 'execute-api' }))).rejects.toMatchObject({
      message: "Credential should be scoped to correct service: 'ecs'.",
    });
  });

  it("accepts the URL the client called on an API Gateway stage: with or without the stage in rawPath", async () => {
    const request = { method: 'GET', path: '/dev/v1/clusters', query: {}, headers: {}, body: '' };
    await expect(callerOf(await signedEvent(request, { stage: 'dev' }))).resolves.toMatchObject({ kind: 'tenant' });
    const signedWithStage = await signedEvent(request, { stage: 'dev' });
    await expect(callerOf({ ...signedWithStage, rawPath: '/v1/clusters' })).resolves.toMatchObject({ kind: 'tenant' });
  });

  it('refuses revoked keys and suspended or expired tenants as invalid tokens', async () => {
    const request = { method: 'GET', path: '/v1/clusters', query: {}, headers: {}, body: '' };
    for (const change of [{ keyStatus: 'REVOKED' }, { tenantStatus: 'SUSPENDED' }, { tenantExpiresAt: NOW }] as const) {
      const saved = grants[KEY];
      grants[KEY] = { ...saved, ...change };
      try {
        await expect(callerOf(await signedEvent(request))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
      } finally {
        grants[KEY] = saved;
      }
    }
  });
});

describe('bearer session tokens', () => {
  const claims = { accountId: '123456789010', accessKeyId: KEY, expiresAt: NOW + 60_000 };

  it('stand for their key until they expire; any edited character is refused', () => {
    const token = issueSessionToken(MASTER, claims);
    expect(verifySessionToken(MASTER, token, NOW)).toEqual(claims);
    expect(() => verifySessionToken(MASTER, token, NOW + 60_000)).toThrow(/expired/);
    expect(() => verifySessionToken('another-master-key-0123456789abcdef', token, NOW)).toThrow(/invalid/);
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(...'AZaz09-_.'), (at, replacement) => {
        fc.pre(token[at] !== replacement);
        const edited = `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
        expect(() => verifySessionToken(MASTER, edited, NOW)).toThrow();
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('authenticate REST requests, not the ECS face, and still check the key', async () => {
    const token = issueSessionToken(MASTER, claims);
    const event = { rawPath: '/v1/clusters', rawQueryString: '', headers: { authorization: `Bearer ${token}` }, requestContext: { http: { method: 'GET' } } } as unknown as HttpEvent;
    await expect(callerOf(event)).resolves.toEqual({ kind: 'tenant', accountId: grants[KEY].accountId, accessKeyId: KEY });
    await expect(callerOf(event, 'ecs')).rejects.toMatchObject({ name: 'IncompleteSignatureException' });
  });
});
