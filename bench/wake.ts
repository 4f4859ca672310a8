/**
 * npm run bench:wake — how soon after an API write the reconciler launches the first task, on the
 * local stack as `npm start` runs it: CreateService, then ListTasks every 10 ms until the service's
 * task appears. The reconciler's schedule runs once a minute; anything near a second comes from the
 * wake-up after the write. Target: about a second.
 */
import { freePort } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);

const main = async () => {
  const stack = await startLocalStack({ httpPort: await freePort(), lambdaPort: await freePort() });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as { taskArns: string[] };
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };
  try {
    await call('POST', '/v1/clusters', { clusterName: 'wake' });
    await call('POST', '/v1/task-definitions', {
      family: 'wake',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }],
    });
    const samples: number[] = [];
    for (let index = 0; index < SAMPLES; index++) {
      await call('POST', '/v1/clusters/wake/services', {
        launchType: 'FARGATE',
        serviceName: `s${index}`,
        taskDefinition: 'wake',
        desiredCount: 1,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-wake'] } },
      });
      const written = performance.now();
      for (;;) {
        const { taskArns } = await call('GET', `/v1/clusters/wake/tasks?serviceName=s${index}`);
        if (taskArns.length) break;
        if (performance.now() - written > 30_000) throw new Error(`no task for s${index} after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      samples.push(performance.now() - written);
      // Let the service settle so each sample starts from a quiet reconciler.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    samples.sort((a, b) => a - b);
    console.log(`samples (ms): ${samples.map((sample) => sample.toFixed(0)).join(' ')}`);
    console.log(
      `wake: samples=${SAMPLES} p50_ms=${samples[Math.floor(SAMPLES / 2)].toFixed(0)} max_ms=${samples[SAMPLES - 1].toFixed(0)}`,
    );
  } finally {
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
