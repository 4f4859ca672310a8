/**
 * AWS Signature Version 4 for the one signed call the console makes: POST /v1/session, which
 * trades the sandbox keys for a bearer token (hosted mode). WebCrypto does the hashing, so the
 * keys never leave the browser and no signing library is bundled (@smithy/signature-v4 and its
 * dependencies would be most of the bundle).
 */
const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');

const sha256 = async (text: string) => hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));

const hmac = async (key: ArrayBuffer | Uint8Array<ArrayBuffer>, text: string) => {
  const cryptoKey = await crypto.subtle.importKey('raw', key instanceof Uint8Array ? key : new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(text));
};

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** "20261130T193700Z" and "20261130". */
const stamps = (now: Date) => {
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  return { amzDate, dateStamp: amzDate.slice(0, 8) };
};

/** RFC 3986 encoding, as SigV4 wants each path segment and query part. */
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const signRequest = async (
  request: { method: string; url: string; body: string; headers?: Record<string, string> },
  credentials: Credentials,
  region: string,
  service: string,
  now = new Date(),
): Promise<SignedRequest> => {
  const url = new URL(request.url);
  const { amzDate, dateStamp } = stamps(now);
  const payloadHash = await sha256(request.body);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value.trim()])),
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const signedHeaders = Object.keys(headers).sort();
  const canonicalQuery = [...url.searchParams]
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
    .sort()
    .join('&');
  // The path as sent (already URL-encoded), encoded once more: SigV4's rule for every service but S3.
  const canonicalPath = url.pathname.split('/').map(uriEncode).join('/');
  const canonicalRequest = [
    request.method,
    canonicalPath,
    canonicalQuery,
    ...signedHeaders.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${dateStamp}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonicalRequest)].join('\n');
  let key: ArrayBuffer | Uint8Array<ArrayBuffer> = encoder.encode(`AWS4${credentials.secretAccessKey}`);
  for (const part of [dateStamp, region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  // The browser sets Host itself; every other signed header is sent as signed.
  const { host: _host, ...sent } = headers;
  return {
    method: request.method,
    url: request.url,
    body: request.body,
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
    },
  };
};
