import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaReconcileTrigger } from '../../lib/adapters/lambda/reconcile-trigger';
import { checkScope, checkSignature, parseAuthorization } from '../../lib/auth/sigv4';

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for Lambda's API over real HTTP: records each request and answers as `answer` says. */
const lambdaApi = async (answer: (attempt: number, response: ServerResponse) => void) => {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      answer(received.length, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
  };
};

const accepted = (_attempt: number, response: ServerResponse) => response.writeHead(202).end();

describe("the reconciler's wake-up (Lambda Invoke, InvocationType Event)", () => {
  const credentials = { accessKeyId: 'AKIDWAKEUP', secretAccessKey: 'wake-up-secret' };

  it('sends one Event invocation of the reconciler, signed as Lambda checks it', async () => {
    const api = await lambdaApi(accepted);
    try {
      await new LambdaReconcileTrigger('ecsbox-dev-reconcile', { region: 'eu-west-1', endpoint: api.endpoint, credentials }).wake(3, { resync: true });
      expect(api.received).toHaveLength(1);
      const [request] = api.received;
      expect(request).toMatchObject({ method: 'POST', path: '/2015-03-31/functions/ecsbox-dev-reconcile/invocations' });
      expect(request.headers['x-amz-invocation-type']).toBe('Event');
      expect(JSON.parse(request.body)).toEqual({ source: 'ecsbox.wake', shard: 3, resync: true });
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      const credential = parseAuthorization(headers);
      expect(credential).toMatchObject({ accessKeyId: 'AKIDWAKEUP', region: 'eu-west-1', service: 'lambda' });
      checkScope(credential, { region: 'eu-west-1', service: 'lambda' }, Date.now());
      const arrived = { method: 'POST', paths: [request.path], query: '', headers, body: Buffer.from(request.body) };
      await expect(checkSignature(arrived, credential, credentials.secretAccessKey)).resolves.toBeUndefined();
      await expect(checkSignature(arrived, credential, 'another-secret')).rejects.toThrow('signature');
    } finally {
      await api.close();
    }
  });

  it("carries the role's session token, and wakes every shard without one", async () => {
    const api = await lambdaApi(accepted);
    try {
      await new LambdaReconcileTrigger('reconcile', { region: 'us-east-1', endpoint: api.endpoint, credentials: { ...credentials, sessionToken: 'the-token' } }).wake();
      expect(api.received[0].headers['x-amz-security-token']).toBe('the-token');
      expect(JSON.parse(api.received[0].body)).toEqual({ source: 'ecsbox.wake' });
    } finally {
      await api.close();
    }
  });

  it('tries twice, then gives up without failing the request that changed desired state', async () => {
    const refusing = await lambdaApi((attempt, response) => response.writeHead(attempt === 1 ? 429 : 202).end('{"message":"Rate exceeded"}'));
    const broken = await lambdaApi((_attempt, response) => response.writeHead(500).end());
    const silent = await lambdaApi(() => undefined);
    try {
      await new LambdaReconcileTrigger('reconcile', { region: 'us-east-1', endpoint: refusing.endpoint, credentials }).wake(0);
      expect(refusing.received).toHaveLength(2);

      await expect(new LambdaReconcileTrigger('reconcile', { region: 'us-east-1', endpoint: broken.endpoint, credentials }).wake(0)).resolves.toBeUndefined();
      expect(broken.received).toHaveLength(2);

      const started = Date.now();
      await expect(new LambdaReconcileTrigger('reconcile', { region: 'us-east-1', endpoint: silent.endpoint, credentials, timeoutMs: 200 }).wake(0)).resolves.toBeUndefined();
      expect(silent.received).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await Promise.all([refusing.close(), broken.close(), silent.close()]);
    }
  });
});
