import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startHostedStack, type AccessKey, type HostedStack, type Sandbox } from '../support/hosted';

/**
 * Hosted mode (ECSBOX_AUTH=sigv4) over real HTTP, with the real AWS CLI v2 and the SDK using
 * keys ecsbox issued. A stack of its own (sharing the e2e DynamoDB Local, in its own table), with
 * a small sandbox cap (4 live) and per-address limit (7 an hour) to reach them cheaply.
 */
const TABLE = 'ecsbox-hosted-e2e';
let hosted: HostedStack;
let url: string;

/** Debian's AWS CLI v2; a v1 elsewhere on PATH must not win (as in scripts/readme-story.ts). */
const AWS_CLI = '/usr/bin/aws';

const call: HostedStack['call'] = (...args) => hosted.call(...args);
const admin: HostedStack['admin'] = (...args) => hosted.admin(...args);
const newSandbox = () => hosted.newSandbox();
const ecs = (key: AccessKey) => hosted.ecs(key);
const signedFetch = (key: AccessKey, method: string, path: string, at = new Date(), body?: string) => hosted.signed(key, method, path, { at, body });

/** ListClusters with a key, on a client of its own. */
const listAs = async (key: AccessKey) => {
  const client = ecs(key);
  try {
    return await client.send(new ListClustersCommand({}));
  } finally {
    client.destroy();
  }
};

const cli = async (sandbox: Sandbox, args: string[]) => {
  // The issued profile files, exactly as POST /v1/sandboxes hands them out.
  const home = mkdtempSync(join(tmpdir(), 'ecsbox-cli-'));
  writeFileSync(join(home, 'credentials'), sandbox.credentials);
  writeFileSync(join(home, 'config'), sandbox.config);
  const env = { PATH: process.env.PATH, HOME: home, AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), AWS_CONFIG_FILE: join(home, 'config'), AWS_PROFILE: 'ecsbox' };
  // --endpoint-url: Debian's CLI (2.9) predates endpoint_url in profiles (2.13), which newer ones read.
  return promisify(execFile)(AWS_CLI, ['ecs', ...args, '--endpoint-url', sandbox.endpoint, '--output', 'json'], { env }).then(
    ({ stdout }) => ({ ok: true as const, output: JSON.parse(stdout) }),
    (error: { stderr: string }) => ({ ok: false as const, output: error.stderr }),
  );
};

const itemsOf = async (accountId: string, accessKeyIds: string[]) => {
  const dynamo = new DynamoDBClient({ endpoint: process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: TABLE }));
  dynamo.destroy();
  return Items.map((item) => item.PK.S!).filter((pk) => pk.startsWith(`A#${accountId}`) || accessKeyIds.some((id) => pk === `KEY#${id}`));
};

let main: Sandbox;

beforeAll(async () => {
  hosted = await startHostedStack(TABLE, { SANDBOX_MAX_TENANTS: '4', SANDBOX_PER_IP_PER_HOUR: '7' });
  url = hosted.url;
  main = await newSandbox();
}, 120_000);

afterAll(() => hosted?.stop());

describe('hosted mode (sigv4)', () => {
  it('issues a sandbox the AWS CLI v2 uses with the issued profile files, as its own account', async () => {
    expect(main).toMatchObject({ accountId: expect.stringMatching(/^\d{12}$/), accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/), endpoint: url.replace('127.0.0.1', '127.0.0.1') });
    expect(main.secretAccessKey).toHaveLength(40);
    const created = await cli(main, ['create-cluster', '--cluster-name', 'cli']);
    expect(created).toMatchObject({ ok: true, output: { cluster: { clusterArn: `arn:aws:ecs:us-east-1:${main.accountId}:cluster/cli` } } });
  });

  it('serves the SDK with issued keys, and refuses a tampered body, a wrong secret and an unknown key as AWS does', async () => {
    const client = ecs(main);
    await client.send(new CreateClusterCommand({ clusterName: 'sdk' }));
    expect((await client.send(new ListClustersCommand({}))).clusterArns).toEqual(
      expect.arrayContaining([`arn:aws:ecs:us-east-1:${main.accountId}:cluster/sdk`]),
    );
    // After signing, on its way out, the body changes (the deserialize step runs after signing).
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string | Uint8Array };
        const { body } = request;
        const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
        request.body = text.replace('"sdk"', '"sdl"');
        return next(args);
      },
      { step: 'deserialize', name: 'tamperAfterSigning' },
    );
    await expect(client.send(new CreateClusterCommand({ clusterName: 'sdk' }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\./),
    });
    client.destroy();
    const wrong = ecs({ ...main, secretAccessKey: 'A'.repeat(40) });
    await expect(wrong.send(new ListClustersCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    wrong.destroy();
    const unknown = ecs({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'A'.repeat(40) });
    await expect(unknown.send(new ListClustersCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 400 },
      message: 'The security token included in the request is invalid.',
    });
    unknown.destroy();
  });

  it('refuses a replay past 15 minutes; REST takes SigV4 and a bearer session token', async () => {
    const stale = await signedFetch(main, 'GET', '/v1/clusters', new Date(Date.now() - 16 * 60_000));
    expect(stale).toMatchObject({ status: 403, body: { __type: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/) } });
    const listed = await signedFetch(main, 'GET', '/v1/clusters');
    expect(listed).toMatchObject({ status: 200, body: { clusterArns: expect.arrayContaining([`arn:aws:ecs:us-east-1:${main.accountId}:cluster/cli`]) } });
    // A signed query string arrives re-encoded: still the same signature.
    expect((await signedFetch(main, 'GET', '/v1/clusters?maxResults=1')).status).toBe(200);
    expect((await signedFetch(main, 'GET', '/v1/clusters?maxResults=1&nextToken=a%2Bb%20c%3D')).body.__type).toBe('InvalidParameterException');
    const session = await signedFetch(main, 'POST', '/v1/session', new Date(), '{}');
    expect(session).toMatchObject({ status: 201, body: { token: expect.any(String), expiresAt: expect.any(String) } });
    const viaToken = await call('GET', '/v1/clusters', { headers: { authorization: `Bearer ${session.body.token}` } });
    expect(viaToken).toEqual(listed);
    // The document stays public, and says how to authenticate.
    const document = await call('GET', '/v1/openapi.json');
    expect(document.body.paths['/v1/session'].post.operationId).toBe('CreateSession');
    // Hosted mode refuses Fargate (and an endpoint override) to every tenant.
    const fargate = await signedFetch(main, 'POST', '/v1/clusters', new Date(), JSON.stringify({ clusterName: 'f', fleet: { backend: 'simulated', fargate: { endpoint: 'http://169.254.169.254' } } }));
    expect(fargate).toMatchObject({ status: 400, body: { __type: 'InvalidParameterException' } });
  });

  it('admin API: refuses tenant keys and tokens; rotating and revoking keys takes effect at once', async () => {
    expect((await signedFetch(main, 'GET', '/v1/admin/tenants')).body.__type).toBe('AccessDeniedException');
    expect((await call('GET', '/v1/admin/tenants')).status).toBe(401);
    expect((await call('GET', '/v1/admin/tenants', { headers: { authorization: 'Bearer not-the-admin-token' } })).status).toBe(403);
    const listed = await admin('GET', '/tenants');
    expect(listed.body.tenants.map((tenant: { accountId: string }) => tenant.accountId)).toContain(main.accountId);
    expect(JSON.stringify(listed.body)).not.toContain(main.secretAccessKey);

    const added = await admin('POST', `/tenants/${main.accountId}/keys`, { revokeExisting: false });
    expect(added.status).toBe(201);
    await listAs(added.body);
    expect((await admin('DELETE', `/tenants/${main.accountId}/keys/${added.body.accessKeyId}`)).status).toBe(200);
    const revoked = await cli({ ...main, ...added.body }, ['list-clusters']);
    expect(revoked).toEqual({ ok: false, output: expect.stringContaining('(UnrecognizedClientException) when calling the ListClusters operation: The security token included in the request is invalid.') });
    await listAs(main);
    // The operator sees a tenant's usage as the tenant's own GET /v1/usage shows it.
    const usage = await admin('GET', `/tenants/${main.accountId}/usage?days=2`);
    expect(usage).toMatchObject({ status: 200, body: { accountId: main.accountId, total: { requests: expect.any(Number) } } });
    expect(usage.body.days).toHaveLength(2);
    expect(usage.body.total.requests).toBeGreaterThan(0);
  });

  it('refuses a suspended or expired tenant; the sweeper deletes an expired tenant and everything it owned', async () => {
    const doomed = await newSandbox();
    expect((await cli(doomed, ['create-cluster', '--cluster-name', 'doomed'])).ok).toBe(true);
    const client = ecs(doomed);
    const refused = { name: 'UnrecognizedClientException' };
    await admin('PATCH', `/tenants/${doomed.accountId}`, { status: 'SUSPENDED' });
    await expect(client.send(new ListClustersCommand({}))).rejects.toMatchObject(refused);
    await admin('PATCH', `/tenants/${doomed.accountId}`, { status: 'ACTIVE' });
    await client.send(new ListClustersCommand({}));
    await admin('PATCH', `/tenants/${doomed.accountId}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    await expect(client.send(new ListClustersCommand({}))).rejects.toMatchObject(refused);
    client.destroy();

    expect(await itemsOf(doomed.accountId, [doomed.accessKeyId])).not.toEqual([]);
    const mainItems = await itemsOf(main.accountId, [main.accessKeyId]);
    const lambda = new LambdaClient({ endpoint: hosted.stack.lambdaUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const { Payload } = await lambda.send(new InvokeCommand({ FunctionName: 'ecsbox-local-tenantSweeper', Payload: '{}' }));
    lambda.destroy();
    // The sweeper purged it (or its own 5-minute schedule did, a moment before).
    expect([[doomed.accountId], []]).toContainEqual(JSON.parse(Buffer.from(Payload!).toString()).purged);
    expect(await itemsOf(doomed.accountId, [doomed.accessKeyId])).toEqual([]);
    expect((await admin('GET', `/tenants/${doomed.accountId}`)).status).toBe(404);
    // The main tenant is untouched.
    expect(await itemsOf(main.accountId, [main.accessKeyId])).toEqual(mainItems);
  });

  it('caps live sandboxes and limits creations per address', async () => {
    // Live: main. Created from this address so far: main and the swept one (2 of 7).
    const more = [await newSandbox(), await newSandbox(), await newSandbox()];
    const full = await call('POST', '/v1/sandboxes');
    expect(full).toMatchObject({ status: 400, body: { __type: 'LimitExceededException', message: expect.stringContaining('4 sandboxes are live') } });
    expect((await admin('DELETE', `/tenants/${more[0].accountId}`)).status).toBe(200);
    await expect(listAs(more[0])).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await newSandbox();
    const limited = await call('POST', '/v1/sandboxes');
    expect(limited).toMatchObject({ status: 429, body: { __type: 'ThrottlingException', message: expect.stringContaining('at most 7 sandboxes per hour') } });
  });
});
