/**
 * npm run bench:cold — how long each packaged function takes to load, and how big it is.
 *
 * Runs `serverless package --stage dev` (exactly what would be deployed), unpacks every function's
 * zip into its own empty folder outside the repository (so nothing can resolve from node_modules,
 * as on Lambda), then loads each handler in BENCH_RUNS (default 5) fresh `node` processes (in
 * rounds over all functions) with the environment a deployed function gets, timing `require()`
 * of the handler file: wall time (what the target is about) and the process's CPU time over the
 * same span (which other work on the machine inflates far less). Prints each function's medians,
 * zip and unzipped sizes.
 *
 * Then where a handler's load time goes: each big dependency bundled on its own with the same
 * esbuild settings as the package (serverless.yml's custom.esbuild at a deployed stage) and loaded
 * the same way.
 *
 * Target: every handler loads in ≤ 80 ms (median of 5 fresh processes).
 */
import { execFile, execFileSync } from 'node:child_process';
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzip } from '../scripts/zip';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MS = 80;

/** One fresh process: loads the handler, answers its wall and CPU milliseconds. */
const loadOnce = async (directory: string, handlerFile: string): Promise<{ wallMs: number; cpuMs: number }> => {
  const probe = `
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const loaded = require(${JSON.stringify(join(directory, handlerFile))});
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    if (typeof loaded.handler !== 'function') throw new Error('no handler exported');
    process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe], {
    cwd: directory,
    env: {
      PATH: process.env.PATH,
      // What serverless.yml gives a deployed function, with Lambda's own variables.
      TABLE_NAME: 'ecsbox-dev',
      ECSBOX_ACCOUNT_ID: '123456789012',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      RECONCILER_FUNCTION_NAME: 'ecsbox-dev-reconciler',
      FLEET_PROFILE: 'realistic',
      FLEET_BACKEND: 'simulated',
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
      LOG_LEVEL: 'INFO',
    },
  });
  return JSON.parse(stdout);
};

/** serverless.yml's custom.esbuild, as resolved at a deployed stage (nothing excluded, the credentials alias). */
const DEPLOYED_ESBUILD = {
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
  alias: { '@aws-sdk/credential-provider-node': `${process.cwd()}/lib/adapters/lambda/credentials.ts` },
} satisfies BuildOptions;

/** The parts of a handler's load, each an entry of its own: what it imports is what it costs. */
const PARTS: Record<string, string> = {
  'zod (the library)': `import * as z from 'zod'; export const probe = z.string();`,
  'zod + the ECS operation table (schemas lazy)': `export * from '${process.cwd()}/lib/protocols/ecs/operations';`,
  'zod + every input schema built': `import { openApiDocument } from '${process.cwd()}/lib/http/openapi'; export const probe = openApiDocument();`,
  'AWS SDK: DynamoDB client + document client': `import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'; export const probe = [DynamoDBDocumentClient.from(new DynamoDBClient({})), GetCommand];`,
  'AWS SDK: ECS client (Fargate)': `import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs'; export const probe = [new ECSClient({}), RunTaskCommand];`,
  'middy + its two middlewares': `import middy from '@middy/core'; import errors from '@middy/http-error-handler'; import headers from '@middy/http-header-normalizer'; export const probe = middy().use(errors()).use(headers());`,
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)}KiB`;

const main = async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'ecsbox-cold-'));
  try {
    const packageDirectory = join(workspace, 'package');
    const packagingStarted = Date.now();
    execFileSync(process.execPath, [require.resolve('serverless/bin/serverless.js'), 'package', '--stage', 'dev', '--package', packageDirectory], {
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    console.log(`packaged in ${((Date.now() - packagingStarted) / 1000).toFixed(1)} s`);
    const template = JSON.parse(readFileSync(join(packageDirectory, 'cloudformation-template-update-stack.json'), 'utf8'));
    const functions = Object.values<any>(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => ({
        name: resource.Properties.FunctionName as string,
        zip: resource.Properties.Code.S3Key.split('/').pop() as string,
        handler: resource.Properties.Handler as string,
      }));
    const unpacked = functions.map((fn) => {
      const zipPath = join(packageDirectory, fn.zip);
      const entries = unzip(readFileSync(zipPath));
      const directory = join(workspace, 'functions', fn.zip.replace(/\.zip$/, ''));
      for (const entry of entries) {
        mkdirSync(dirname(join(directory, entry.name)), { recursive: true });
        writeFileSync(join(directory, entry.name), entry.data);
      }
      const maps = entries.filter((entry) => entry.name.endsWith('.map'));
      if (maps.length) throw new Error(`${fn.zip} holds source maps: ${maps.map((entry) => entry.name).join(', ')}`);
      return {
        name: fn.name.replace(/^ecsbox-dev-/, ''),
        directory,
        handlerFile: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`,
        zipBytes: statSync(zipPath).size,
        unzippedBytes: entries.reduce((sum, entry) => sum + entry.data.length, 0),
        samples: [] as Array<{ wallMs: number; cpuMs: number }>,
      };
    });
    // Round after round over all functions rather than one function's runs in a row, so that a
    // burst of other work on the shared machine lands on one run of several functions (which
    // the medians drop) instead of on every run of one function.
    for (let run = 0; run < RUNS; run++) {
      for (const fn of unpacked) fn.samples.push(await loadOnce(fn.directory, fn.handlerFile));
    }
    const rows = unpacked.map(({ name, zipBytes, unzippedBytes, samples }) => ({
      name,
      zipBytes,
      unzippedBytes,
      wallMs: median(samples.map((sample) => sample.wallMs)),
      cpuMs: median(samples.map((sample) => sample.cpuMs)),
    }));
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(28)} zip=${kib(row.zipBytes).padStart(7)} unzipped=${kib(row.unzippedBytes).padStart(8)} load_wall_ms=${row.wallMs.toFixed(1).padStart(6)} load_cpu_ms=${row.cpuMs.toFixed(1).padStart(6)}`,
      );
    }
    const slowest = rows.reduce((worst, row) => (row.wallMs > worst.wallMs ? row : worst));
    const slowestCpu = rows.reduce((worst, row) => (row.cpuMs > worst.cpuMs ? row : worst));
    const totalZip = rows.reduce((sum, row) => sum + row.zipBytes, 0);
    const largest = rows.reduce((worst, row) => (row.unzippedBytes > worst.unzippedBytes ? row : worst));
    console.log('where the time goes (each part bundled and loaded on its own, medians):');
    const partsDirectory = join(workspace, 'parts');
    mkdirSync(partsDirectory);
    for (const [index, [part, source]] of Object.entries(PARTS).entries()) {
      writeFileSync(join(partsDirectory, `part-${index}.ts`), `${source}\nexport const handler = () => undefined;\n`);
      await build({ ...DEPLOYED_ESBUILD, entryPoints: [join(partsDirectory, `part-${index}.ts`)], outfile: join(partsDirectory, `part-${index}.js`), nodePaths: [join(process.cwd(), 'node_modules')], logLevel: 'error' });
      const samples = [];
      for (let run = 0; run < RUNS; run++) samples.push(await loadOnce(partsDirectory, `part-${index}.js`));
      console.log(
        `  ${part.padEnd(44)} bundle=${kib(statSync(join(partsDirectory, `part-${index}.js`)).size).padStart(7)} load_wall_ms=${median(samples.map((sample) => sample.wallMs)).toFixed(1).padStart(6)} load_cpu_ms=${median(samples.map((sample) => sample.cpuMs)).toFixed(1).padStart(6)}`,
      );
    }
    console.log(`load: ${execFileSync('uptime').toString().trim()}`);
    console.log(
      `cold: functions=${rows.length} runs=${RUNS} max_load_wall_ms=${slowest.wallMs.toFixed(1)} (${slowest.name}) max_load_cpu_ms=${slowestCpu.cpuMs.toFixed(1)} (${slowestCpu.name}) largest_unzipped=${kib(largest.unzippedBytes)} total_zip=${kib(totalZip)} target_ms=${TARGET_MS}`,
    );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
