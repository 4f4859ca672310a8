/**
 * The web console's pure parts (console/src), run in Node: the SigV4 signer of hosted mode's
 * sign-in against the AWS one, the revision diff, the field an ECS refusal names, and the plain
 * words for a stuck or failed deployment. The pages themselves are tested in chromium
 * (test/browser, npm run test:browser).
 */
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import type { Deployment, Service, Task } from '../../console/src/api';
import { sideBySide } from '../../console/src/diff';
import { bounds, explain } from '../../console/src/explain';
import { fieldOf } from '../../console/src/fields';
import { signRequest } from '../../console/src/sigv4';
import { NodeSha256 } from '../support/node-sha256';

describe('console SigV4 (POST /v1/session)', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  it('signs exactly as @smithy/signature-v4 does, for any body, path and date', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('/v1/session', '/v1/clusters/a b', '/v1/task-definitions/web%3A1'),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }),
        fc.constantFrom('us-east-1', 'eu-west-3'),
        async (body, path, when, region) => {
          const now = new Date(Math.floor(when.getTime() / 1000) * 1000);
          const url = `https://api.example.com${path}`;
          const ours = await signRequest({ method: 'POST', url, body, headers: { 'Content-Type': 'application/json' } }, credentials, region, 'ecs', now);
          const theirs = await new SignatureV4({ service: 'ecs', region, credentials, sha256: NodeSha256, applyChecksum: true }).sign(
            {
              method: 'POST',
              protocol: 'https:',
              hostname: 'api.example.com',
              path: new URL(url).pathname,
              query: {},
              headers: { host: 'api.example.com', 'content-type': 'application/json', 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') },
              body,
            },
            { signingDate: now },
          );
          expect(ours.headers.authorization).toBe(theirs.headers.authorization);
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  });

  it('sends a session token when the keys have one, and never the Host header (the browser sets it)', async () => {
    const signed = await signRequest({ method: 'POST', url: 'http://localhost:3000/v1/session', body: '{}' }, { ...credentials, sessionToken: 'tok' }, 'us-east-1', 'ecs');
    expect(signed.headers['x-amz-security-token']).toBe('tok');
    expect(signed.headers.host).toBeUndefined();
    expect(signed.headers.authorization).toMatch(/SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
  });
});

describe('console revision diff', () => {
  it('pairs every line of both sides, in order, and marks only differing ones', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 30 }), fc.array(fc.constantFrom('a', 'b', 'c', 'e'), { maxLength: 30 }), (left, right) => {
        const rows = sideBySide(left.join('\n'), right.join('\n'));
        expect(rows.flatMap((row) => (row.left === undefined ? [] : [row.left]))).toEqual(left.join('\n').split('\n'));
        expect(rows.flatMap((row) => (row.right === undefined ? [] : [row.right]))).toEqual(right.join('\n').split('\n'));
        for (const row of rows) if (row.kind === 'same') expect(row.left).toBe(row.right);
        if (left.join('\n') === right.join('\n')) expect(rows.every((row) => row.kind === 'same')).toBe(true);
      }),
      { seed: 14 },
    );
  });

  it('shows a changed image as one changed row', () => {
    expect(sideBySide('{\n  "image": "nginx:1"\n}', '{\n  "image": "nginx:2"\n}').filter((row) => row.kind !== 'same')).toEqual([
      { left: '  "image": "nginx:1"', right: '  "image": "nginx:2"', kind: 'changed' },
    ]);
  });
});

describe('console: the field an ECS refusal names', () => {
  it.each([
    ['containerDefinitions[0].image: invalid reference format: image must not be empty ("").', 'containerDefinitions[0].image'],
    ["Invalid 'memory' setting for task. Expected a whole number of MiB (\"512\") or GB (\"0.5 GB\"), received \"lots\".", 'memory'],
    ['Family contains invalid characters or is too long.', 'family'],
    ["Unknown parameter 'containerDefinitions[0].healthCheck.intervall'.", 'containerDefinitions[0].healthCheck.intervall'],
    ['Task definition size exceeds the 64 KiB limit.', undefined],
  ])('%s', (message, field) => {
    expect(fieldOf(message)).toBe(field);
  });
});

describe('console: why a deployment is stuck or failed', () => {
  const deployment = (overrides: Partial<Deployment>): Deployment => ({
    id: 'ecs-svc/1',
    status: 'PRIMARY',
    taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2',
    desiredCount: 2,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });
  const service = (deployments: Deployment[], minimumHealthyPercent = 100, maximumPercent = 200): Service => ({
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/c/web',
    status: 'ACTIVE',
    taskDefinition: deployments[0].taskDefinition,
    desiredCount: 2,
    pendingCount: 0,
    runningCount: 2,
    deployments,
    deploymentConfiguration: { minimumHealthyPercent, maximumPercent, deploymentCircuitBreaker: { enable: true, rollback: true } },
    events: [],
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const old = deployment({ id: 'ecs-svc/0', status: 'ACTIVE', runningCount: 2, rolloutState: 'COMPLETED', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1' });
  const pullFailure = {
    desiredStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    stoppedReason: 'CannotPullContainerError: not found',
  } as Task;

  it('draws the rollout bounds from the percentages', () => {
    expect(bounds(service([deployment({})], 50, 150))).toMatchObject({ minimum: 1, maximum: 3 });
  });

  it('names the failing tasks and the circuit breaker', () => {
    expect(explain(service([deployment({ failedTasks: 2 }), old]), [pullFailure])).toBe(
      'Tasks of web:2 keep failing (2 so far), so the deployment cannot finish. The last task to fail stopped with ' +
        '"CannotPullContainerError: not found". The circuit breaker stops the deployment after 3 failures and rolls back to the last deployment that completed.',
    );
  });

  it('says when min and max leave ECS no move', () => {
    expect(explain(service([deployment({}), old], 100, 100), [])).toMatch(/^Blocked: ECS may neither start a new task \(at most 2 may run\) nor stop an old one \(at least 2 must stay healthy\)/);
  });

  it('tells a rollout from a first start', () => {
    expect(explain(service([deployment({ runningCount: 1 }), old]), [])).toBe(
      'Rolling out web:2: 1 of 2 tasks running, 2 old task(s) still running. ECS keeps between 2 and 4 tasks during the rollout.',
    );
    expect(explain(service([deployment({ runningCount: 1 })]), [])).toBe('Starting tasks of web:2: 1 of 2 running.');
  });

  it('says nothing when the service is steady', () => {
    expect(explain(service([deployment({ runningCount: 2, rolloutState: 'COMPLETED' })]), [])).toBeUndefined();
  });
});
