/**
 * The web console's pure parts (console/src), run in Node: the SigV4 signer of hosted mode's
 * sign-in against the AWS one, the revision diff, the field an ECS refusal names, and the plain
 * words for a stuck or failed deployment and for auto scaling's next move. The pages themselves are tested in chromium
 * (test/browser, npm run test:browser).
 */
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import type { Deployment, Service, ServiceMetrics, ServiceScaling, Task } from '../../console/src/api';
import { sideBySide } from '../../console/src/diff';
import { bounds, explain, explainScaling } from '../../console/src/explain';
import { fieldOf } from '../../console/src/fields';
import { signRequest } from '../../console/src/sigv4';
import { NodeSha256 } from '../../lib/node-sha256';

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

describe('console: why auto scaling has not moved yet', () => {
  const scaling = (options: { min?: number; max?: number; disableScaleIn?: boolean } = {}): ServiceScaling => ({
    scalableTarget: { MinCapacity: options.min ?? 1, MaxCapacity: options.max ?? 6, SuspendedState: {} },
    policies: [
      {
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          DisableScaleIn: options.disableScaleIn,
        },
      },
    ],
    scheduledActions: [],
    activities: [],
    notScaledBecause: null,
  });
  const metrics = (averages: number[]): ServiceMetrics => ({
    metricName: 'CPUUtilization',
    periodSeconds: 60,
    timeScale: 12,
    start: new Date(0).toISOString(),
    end: new Date(averages.length * 5000).toISOString(),
    datapoints: averages.map((average, index) => ({ timestamp: new Date(index * 5000).toISOString(), average, minimum: average, maximum: average })),
  });

  it('counts the datapoints above the target that scale out, and sizes the move', () => {
    expect(explainScaling(scaling(), metrics([20, 80, 75]), 2)).toBe(
      'Average CPU 75 % is above the target 50 %: 2 of the 3 datapoints in a row that scale out (to about 3 tasks).',
    );
    expect(explainScaling(scaling({ max: 2 }), metrics([80]), 2)).toMatch(/at its maximum capacity \(2 tasks\)/);
  });

  it('says why there is no scale-in yet: 15 datapoints in a row below 90 % of the target', () => {
    expect(explainScaling(scaling(), metrics([60, 10, 12, 11]), 4)).toBe(
      'Why no scale-in yet: scale-in waits for 15 one-minute datapoints in a row below 45 % (90 % of the target 50 %); 3 of 15 so far, ' +
        'then to about 2 tasks. Scaling in slowly keeps a short dip from removing tasks.',
    );
    expect(explainScaling(scaling(), metrics(Array(15).fill(10)), 4)).toMatch(/^Average CPU has stayed below 45 % for 15 datapoints: scale-in is due, then to about 1 task\.$/);
    expect(explainScaling(scaling({ disableScaleIn: true }), metrics([10]), 4)).toMatch(/disables scale-in/);
    expect(explainScaling(scaling({ min: 4 }), metrics([10]), 4)).toMatch(/at its minimum capacity \(4 tasks\)/);
    expect(explainScaling(scaling(), metrics([47]), 4)).toMatch(/between the scale-in threshold 45 % .* and the target 50 %: no alarm/);
  });

  it('predicts a scale-in that stays within the bounds and leaves each task under the threshold', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 44.9, noNaN: true }), { minLength: 15, maxLength: 30 }), fc.integer({ min: 2, max: 20 }), (averages, desired) => {
        const text = explainScaling(scaling({ min: 1, max: 20 }), metrics(averages), desired) ?? '';
        const wanted = Number(/then to about (\d+) tasks?/.exec(text)?.[1] ?? desired);
        expect(wanted).toBeGreaterThanOrEqual(1);
        expect(wanted).toBeLessThanOrEqual(desired);
        // Spread over `wanted` tasks, the window's highest load stays at most 90 % of the target.
        expect((desired * Math.max(...averages.slice(-15))) / wanted).toBeLessThanOrEqual(45 + 1e-9);
      }),
    );
  });

  it('says nothing without a CPU target tracking policy', () => {
    expect(explainScaling({ ...scaling(), scalableTarget: null }, metrics([90]), 1)).toBeUndefined();
    expect(explainScaling({ ...scaling(), policies: [] }, metrics([90]), 1)).toBeUndefined();
  });
});
