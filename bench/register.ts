/**
 * npx tsx bench/register.ts — RegisterTaskDefinition's use case called in this process against
 * DynamoDB Local (no HTTP, no serverless-offline): what the repository's write costs on its own,
 * which the local stack's figures (bench:api, bench:overhead) drown in the framework's share on a
 * loaded machine. 1,000 warm-up registrations, then the p50 of 2,000 and the CPU this process
 * spent per call. Every registration must answer the next revision number.
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../lib/config';
import { buildDeps } from '../lib/container';
import { validateTaskDefinition } from '../lib/domain/task-definition';
import { registerTaskDefinition } from '../lib/usecases/task-definitions';
import { startDynamoDbLocal } from '../scripts/local/dynamodb-local';
import { createTable } from '../scripts/local/table';
import { fargateTaskDefinition } from '../test/support/fixtures';

const WARM_UP = 1000;
const CALLS = 2000;

const main = async () => {
  const dynamo = await startDynamoDbLocal();
  try {
    const tableName = `bench-register-${randomUUID()}`;
    await createTable(dynamo.endpoint, tableName);
    const deps = buildDeps(parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamo.endpoint }));
    const input = fargateTaskDefinition('bench');
    const samples: number[] = [];
    let cpuMs = 0;
    for (let call = 1; call <= WARM_UP + CALLS; call++) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const { taskDefinition } = await registerTaskDefinition(deps, validateTaskDefinition(input));
      if (call > WARM_UP) {
        samples.push(performance.now() - started);
        const spent = process.cpuUsage(cpu);
        cpuMs += (spent.user + spent.system) / 1000;
      }
      if (taskDefinition.revision !== call) throw new Error(`registration ${call} answered revision ${taskDefinition.revision}`);
    }
    samples.sort((a, b) => a - b);
    console.log(`register_in_process: p50_ms=${samples[CALLS / 2].toFixed(3)} cpu_ms_per_call=${(cpuMs / CALLS).toFixed(3)} calls=${CALLS}`);
  } finally {
    await dynamo.stop();
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
