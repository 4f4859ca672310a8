/**
 * Hosted mode's sign-in, end to end against the real authentication: a second local stack in
 * sigv4 mode (ECSBOX_AUTH=sigv4, docs/sandbox.md) issues two sandboxes; the console, opened on that
 * stack, asks for keys when the API refuses its unsigned call, signs POST /v1/session with SigV4
 * in the browser, and sends the bearer token on every call. It shows only the signed-in tenant's
 * clusters, refuses a wrong secret in plain words, and forgets the token on sign-out.
 */
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import type { Browser, Page } from 'playwright-core';
import { startHostedStack, type HostedStack, type Sandbox } from '../support/hosted';
import { launchChromium, seriousViolations } from './browser';

const TABLE = 'ecsbox-console-sign-in';

let hosted: HostedStack;
let browser: Browser;
let page: Page;
let mine: Sandbox;
let theirs: Sandbox;
/** The Authorization header of every REST call the page made, by path. */
const calls: Array<{ method: string; path: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  [hosted, browser] = await Promise.all([startHostedStack(TABLE, { SANDBOX_PER_IP_PER_HOUR: '10' }), launchChromium()]);
  [mine, theirs] = [await hosted.newSandbox(), await hosted.newSandbox()];
  // Another tenant's cluster, which the console must never show.
  const theirClient = hosted.ecs(theirs);
  await theirClient.send(new CreateClusterCommand({ clusterName: 'their-cluster' }));
  theirClient.destroy();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) calls.push({ method: request.method(), path: url.pathname, authorization: request.headers().authorization });
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await hosted?.stop();
});

const signIn = async (accessKeyId: string, secretAccessKey: string) => {
  await page.getByLabel('Access key ID').fill(accessKeyId);
  await page.getByLabel('Secret access key').fill(secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
};

it('asks for the sandbox keys when the hosted API refuses the unsigned call', async () => {
  await page.goto(`${hosted.url}/console/#/`);
  await page.getByRole('heading', { name: 'Sign in to ecsbox' }).waitFor();
  expect(calls[0]).toMatchObject({ method: 'GET', path: '/v1/clusters', authorization: undefined });
  expect(await seriousViolations(page)).toEqual([]);
});

it('refuses a wrong secret with the API own words, and keeps no token', async () => {
  await signIn(mine.accessKeyId, `${mine.secretAccessKey.slice(0, -1)}${mine.secretAccessKey.endsWith('A') ? 'B' : 'A'}`);
  const alert = page.locator('.signin [role="alert"]');
  await alert.waitFor();
  await expect(alert.textContent()).resolves.toBe(
    'InvalidSignatureException: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
  expect(await page.evaluate("sessionStorage.getItem('ecsbox.session')")).toBeNull();
  expect(await seriousViolations(page)).toEqual([]);
});

it("signs in with the issued keys, sees only its own account's clusters, and creates one with the bearer token", async () => {
  const before = calls.length;
  await signIn(mine.accessKeyId, mine.secretAccessKey);
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  await page.getByLabel('New cluster name').fill('my-cluster');
  await page.getByRole('button', { name: 'Create cluster' }).click();
  await page.getByRole('link', { name: 'my-cluster' }).waitFor();
  // The other tenant's cluster exists (its own client sees it) but is not listed here.
  expect(await page.getByText('their-cluster').count()).toBe(0);
  const signedIn = calls.slice(before);
  const session = signedIn.find((call) => call.path === '/v1/session');
  expect(session).toMatchObject({ method: 'POST', authorization: expect.stringMatching(new RegExp(`^AWS4-HMAC-SHA256 Credential=${mine.accessKeyId}/\\d{8}/us-east-1/ecs/aws4_request, `)) });
  const rest = signedIn.filter((call) => call.path !== '/v1/session');
  expect(rest.map((call) => call.method)).toContain('POST');
  expect(rest.every((call) => /^Bearer \S+$/.test(call.authorization ?? ''))).toBe(true);
  // The token stands for this tenant only: the cluster the console created is in its account.
  const listed = await hosted.signed(mine, 'GET', '/v1/clusters');
  expect(listed.body.clusterArns).toEqual([`arn:aws:ecs:us-east-1:${mine.accountId}:cluster/my-cluster`]);
  const theirList = await hosted.signed(theirs, 'GET', '/v1/clusters');
  expect(theirList.body.clusterArns).toEqual([`arn:aws:ecs:us-east-1:${theirs.accountId}:cluster/their-cluster`]);
});

it('signs out: the token is forgotten and the API is asked unsigned again', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to ecsbox' }).waitFor();
  expect(await page.evaluate("sessionStorage.getItem('ecsbox.session')")).toBeNull();
  const before = calls.length;
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to ecsbox' }).waitFor();
  expect(calls.slice(before)[0]).toMatchObject({ path: '/v1/clusters', authorization: undefined });
});
