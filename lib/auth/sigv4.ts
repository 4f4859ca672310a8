import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../errors';
import { NodeSha256 } from '../node-sha256';
import { constantTimeEqual } from './keys';

/**
 * AWS Signature Version 4, as a server checks it: the signature is recomputed with
 * @smithy/signature-v4 (the SDKs' own signer) over the request as it arrived, and compared in
 * constant time. Nothing the client says about the request is trusted: the payload hash is the
 * body's, the date must be within 15 minutes, the scope's region and service must be ours.
 */

/** A request as it reached the handler. */
export interface ArrivedRequest {
  method: string;
  /** The path the client may have signed: as received, and with API Gateway's stage prefix put back. */
  paths: string[];
  /** The raw query string (without "?"). */
  query: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

export interface SignatureScope {
  region: string;
  /** The signing names this request may be scoped to (ecs, application-autoscaling, monitoring). */
  service: string;
}

/** The Authorization header, taken apart. */
export interface SignedCredential {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date, YYYYMMDDTHHMMSSZ. */
  amzDate: string;
}

export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const ALGORITHM = 'AWS4-HMAC-SHA256';

const AMZ_DATE = /^(\d{8})T\d{6}Z$/;

const amzDateOf = (epochMs: number) => new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

const epochOfAmzDate = (amzDate: string) =>
  Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );

/** Takes the Authorization header apart; a malformed one is IncompleteSignatureException, as AWS says. */
export const parseAuthorization = (headers: ArrivedRequest['headers']): SignedCredential => {
  const authorization = headers.authorization;
  if (!authorization) throw new MissingAuthenticationTokenException();
  const [algorithm, ...rest] = authorization.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) {
    throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 64)}'. Sign with ${ALGORITHM}.`);
  }
  const parts = new Map(
    rest
      .join('')
      .split(',')
      .map((part) => {
        const equals = part.indexOf('=');
        return [part.slice(0, equals).trim(), part.slice(equals + 1).trim()] as const;
      }),
  );
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length) {
    throw new IncompleteSignatureException(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const credential = parts.get('Credential')!.split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request') {
    throw new IncompleteSignatureException(
      "Credential should be scoped to a valid region, service and date: '<access key>/<YYYYMMDD>/<region>/<service>/aws4_request'.",
    );
  }
  const amzDate = headers['x-amz-date'];
  if (!amzDate || !AMZ_DATE.test(amzDate)) {
    throw new IncompleteSignatureException("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const [accessKeyId, scopeDate, region, service] = credential;
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: parts.get('SignedHeaders')!.toLowerCase().split(';'),
    signature: parts.get('Signature')!,
    amzDate,
  };
};

/**
 * What can be checked before the key is looked up: the date (within 15 minutes of `now`, AWS's
 * sentences), the scope's date, region and service, and that the signature covers host and date.
 */
export const checkScope = (credential: SignedCredential, expected: SignatureScope, now: number): void => {
  const signedAt = epochOfAmzDate(credential.amzDate);
  if (signedAt < now - MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature expired: ${credential.amzDate} is now earlier than ${amzDateOf(now - MAX_CLOCK_SKEW_MS)} (${amzDateOf(now)} - 15 min.)`,
    );
  }
  if (signedAt > now + MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${credential.amzDate} is still later than ${amzDateOf(now + MAX_CLOCK_SKEW_MS)} (${amzDateOf(now)} + 15 min.)`,
    );
  }
  if (credential.scopeDate !== credential.amzDate.slice(0, 8)) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${credential.scopeDate.slice(0, 8)}' != '${credential.amzDate.slice(0, 8)}', from '${credential.amzDate}'.`,
    );
  }
  if (credential.region !== expected.region) {
    throw new InvalidSignatureException(`Credential should be scoped to a valid region. Use '${expected.region}'.`);
  }
  if (credential.service !== expected.service) {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${expected.service}'.`);
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!credential.signedHeaders.includes(required)) {
      throw new InvalidSignatureException(`'${required}' must be a 'SignedHeader' in the AWS Authorization.`);
    }
  }
};

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const hexSha256 = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');

/** Splits a raw query string into the signer's form: decoded names to one value or several. */
const queryOf = (raw: string): HttpRequest['query'] => {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const present = query[name];
    query[name] = present === undefined ? value : [present, value].flat();
  }
  return query;
};

/**
 * Recomputes the signature with the key's secret over the signed headers only, for each path the
 * client may have signed, and compares it in constant time. Throws InvalidSignatureException on a
 * mismatch; returns normally on a match.
 */
export const checkSignature = async (
  request: ArrivedRequest,
  credential: SignedCredential,
  secretAccessKey: string,
): Promise<void> => {
  if (request.headers['x-amz-security-token'] !== undefined) throw new UnrecognizedClientException();
  const headers: Record<string, string> = {};
  for (const name of credential.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
    headers[name] = value;
  }
  // A signed payload hash must be the body's own: otherwise a replayed signature would cover any body.
  const claimedHash = headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== hexSha256(request.body)) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
  const signer = new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey },
    region: credential.region,
    service: credential.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signingDate = new Date(epochOfAmzDate(credential.amzDate));
  for (const path of request.paths) {
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'https:',
        hostname: headers.host ?? '',
        path,
        query: queryOf(request.query),
        headers: { ...headers },
        body: request.body,
      },
      { signingDate, signableHeaders: new Set(credential.signedHeaders) },
    );
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
    if (constantTimeEqual(credential.signature, expected)) return;
  }
  throw new InvalidSignatureException(SIGNATURE_MISMATCH);
};
