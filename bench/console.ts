/**
 * npm run bench:console — the web console's two budgets (issue 14) and what an open tab costs.
 *
 * 1. Size: builds the console (as npm install does) and gzips each built asset (level 9, as a CDN
 *    or API Gateway compression would serve it). Target: JavaScript under 150 KB gzipped.
 * 2. Time to first render on the local stack: chromium (Debian's, through playwright-core) opens
 *    each page BENCH_RUNS times (default 5) and times navigation start to the page's data shown,
 *    by the page's own clock (performance.now()). The first load of the clusters page includes the
 *    console function's cold start. Target: under 1 s.
 * 3. Cost per open tab: requests and bytes over BENCH_WATCH_S seconds (default 15) on a steady
 *    service page of 3 tasks (its auto scaling view included), with the API's ETag/304 answers.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort } from '../scripts/local/dynamodb-local';
import { startLocalStack } from '../scripts/local/stack';
import { launchChromium } from '../test/browser/browser';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WATCH_S = Number(process.env.BENCH_WATCH_S ?? 15);
const JS_BUDGET_KB = 150;
const RENDER_BUDGET_MS = 1000;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const bundleSizes = () => {
  execFileSync(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'console/vite.config.mts', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
  const assets = join('console', 'dist', 'assets');
  let jsGzip = 0;
  console.log('\nBuilt assets (raw → gzip -9):');
  for (const file of readdirSync(assets).sort()) {
    const data = readFileSync(join(assets, file));
    const gzipped = gzipSync(data, { level: 9 }).length;
    if (file.endsWith('.js')) jsGzip += gzipped;
    console.log(`  ${file.padEnd(28)} ${kb(data.length).padStart(9)} → ${kb(gzipped).padStart(8)}`);
  }
  console.log(`JavaScript, gzipped: ${kb(jsGzip)} (budget ${JS_BUDGET_KB} KB: ${jsGzip < JS_BUDGET_KB * 1024 ? 'met' : 'MISSED'})`);
};

const post = async (apiUrl: string, path: string, body: unknown) => {
  const response = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
};

const main = async () => {
  console.log(`load before: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  bundleSizes();
  const stack = await startLocalStack({ httpPort: await freePort(), lambdaPort: await freePort(), logFile: join('.data', 'bench-console.log') });
  const browser = await launchChromium();
  try {
    const api = stack.apiUrl;
    await post(api, '/v1/clusters', { clusterName: 'bench' });
    await post(api, '/v1/task-definitions', {
      family: 'bench-web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }],
    });
    await post(api, '/v1/clusters/bench/services', {
      serviceName: 'web',
      taskDefinition: 'bench-web',
      desiredCount: 3,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } },
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pages = [
      { name: 'clusters', hash: '#/', ready: 'ul.cards' },
      { name: 'cluster', hash: '#/clusters/bench', ready: 'table' },
      { name: 'service', hash: '#/clusters/bench/services/web', ready: 'li.deployment' },
      { name: 'service + scaling', hash: '#/clusters/bench/services/web', ready: 'section.scaling figure.chart' },
      { name: 'task definitions', hash: '#/task-definitions', ready: 'ul.chips' },
    ];
    await new Promise((resolve) => setTimeout(resolve, 4000)); // the service's tasks reach RUNNING
    console.log(`\nTime to first render (navigation to data shown), ${RUNS} loads each:`);
    for (const { name, hash, ready } of pages) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        await page.goto('about:blank');
        await page.goto(`${api}/console/${hash}`);
        await page.locator(ready).first().waitFor();
        times.push(Math.round((await page.evaluate('performance.now()')) as number));
      }
      console.log(`  ${name.padEnd(17)} first ${String(times[0]).padStart(5)} ms, median ${String(median(times)).padStart(5)} ms, max ${String(Math.max(...times)).padStart(5)} ms`);
    }
    // What one open tab costs: every request and byte of a service page left open.
    await page.goto(`${api}/console/#/clusters/bench/services/web`);
    await page.locator('li.deployment').first().waitFor();
    let requests = 0;
    let notModified = 0;
    let bytes = 0;
    page.on('response', async (response) => {
      if (!response.url().includes('/v1/')) return;
      requests += 1;
      if (response.status() === 304) notModified += 1;
      bytes += (await response.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.waitForTimeout(WATCH_S * 1000);
    console.log(
      `\nOne open service page (3 tasks) for ${WATCH_S} s: ${requests} API requests (${(requests / WATCH_S).toFixed(1)}/s), ` +
        `${notModified} answered 304, ${kb(bytes)} of bodies (${kb(bytes / WATCH_S)}/s)`,
    );
    console.log(`load after: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
    console.log(`(render budget ${RENDER_BUDGET_MS} ms)`);
  } finally {
    await browser.close();
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
