/**
 * Hosted mode's sign-in, from the console's side, until issue 11's server side is merged: the
 * stack here runs without authentication, so the browser's traffic goes through a route that
 * plays hosted mode's contract (401 to an unsigned call; POST /v1/session signed with SigV4,
 * service "ecs", answered with {token, expiresAt}; then Authorization: Bearer on every call). The
 * signature is checked by recomputing it with @smithy/signature-v4; signed-in calls go on to the
 * real stack.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { Browser, Page, Request } from 'playwright-core';
import { apiUrl } from '../support/http';
import { NodeSha256 } from '../support/node-sha256';
import { launchChromium, seriousViolations } from './browser';

const KEYS = { accessKeyId: 'AKIASANDBOX0000EXAMPLE', secretAccessKey: 'sandbox/secret+key/EXAMPLE0000000000000000' };
const TOKEN = 'session-token-for-the-test';

/** The Authorization header hosted mode would expect for this request, signed with KEYS. */
const expectedSignature = async (request: Request) => {
  const url = new URL(request.url());
  const headers = request.headers();
  const amzDate = headers['x-amz-date'];
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signed = await new SignatureV4({ service: 'ecs', region: 'us-east-1', credentials: KEYS, sha256: NodeSha256, applyChecksum: true }).sign(
    {
      method: request.method(),
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': headers['content-type'], 'x-amz-content-sha256': headers['x-amz-content-sha256'] },
      body: request.postData() ?? '',
    },
    { signingDate },
  );
  return signed.headers.authorization;
};

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
});

afterAll(async () => {
  await browser?.close();
});

it('asks for the sandbox keys when the API refuses an unsigned call, trades them for a token, and sends it on every call', async () => {
  const bearers: string[] = [];
  let sessionAuthorization: string | undefined;
  let expectedAuthorization: string | undefined;
  await page.route('**/v1/**', async (route) => {
    const request = route.request();
    const authorization = request.headers().authorization;
    if (new URL(request.url()).pathname === '/v1/session') {
      sessionAuthorization = authorization;
      expectedAuthorization = await expectedSignature(request);
      if (authorization !== expectedAuthorization) {
        return route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ __type: 'InvalidSignatureException', message: 'bad signature' }) });
      }
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ token: TOKEN, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }) });
    }
    if (authorization !== `Bearer ${TOKEN}`) {
      return route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ __type: 'UnrecognizedClientException', message: 'Sign in.' }) });
    }
    bearers.push(request.url());
    return route.continue();
  });

  await page.goto(`${apiUrl()}/console/#/`);
  await page.getByRole('heading', { name: 'Sign in to ecsbox' }).waitFor();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel('Access key ID').fill(KEYS.accessKeyId);
  await page.getByLabel('Secret access key').fill(KEYS.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  await page.locator('.empty, ul.cards').first().waitFor();

  expect(sessionAuthorization).toBe(expectedAuthorization);
  expect(sessionAuthorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIASANDBOX0000EXAMPLE\/\d{8}\/us-east-1\/ecs\/aws4_request, /);
  expect(bearers.length).toBeGreaterThan(0);
  // Signing out forgets the token: the next call is unsigned again, and refused.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to ecsbox' }).waitFor();
});
