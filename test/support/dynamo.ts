import { randomUUID } from 'node:crypto';
import { createTableContext, type TableContext } from '../../lib/adapters/dynamodb/table';
import { buildDeps, type Overrides } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import { validateTaskDefinition } from '../../lib/domain/task-definition';
import { createCluster } from '../../lib/usecases/clusters';
import { registerTaskDefinition } from '../../lib/usecases/task-definitions';
import type { Clock, Deps } from '../../lib/deps';
import type { TaskRecord } from '../../lib/domain/task';
import { createTable } from '../../scripts/local/table';
import { fargateTaskDefinition } from './fixtures';

export const dynamoEndpoint = (): string => {
  const endpoint = process.env.ECSBOX_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is not running: run this test through jest, which starts it');
  return endpoint;
};

/** A new, empty table with the real definition from serverless.yml, private to the calling test file. */
export const freshTable = async (): Promise<TableContext> => {
  const tableName = `test-${randomUUID()}`;
  await createTable(dynamoEndpoint(), tableName);
  return createTableContext({ tableName, region: 'us-east-1', endpoint: dynamoEndpoint(), pageTokenSecret: 'test-page-token-secret' });
};

/** A controllable clock for tests. */
export class TestClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.current;
  }
  advance(ms: number) {
    this.current += ms;
  }
}

/** The real composition root over a fresh table in DynamoDB Local. */
export const freshDeps = async (overrides: Overrides = {}): Promise<Deps & { tableName: string }> => {
  const table = await freshTable();
  table.client.destroy();
  return { ...buildDeps(testConfig(table.tableName), { clock: new TestClock(), ...overrides }), tableName: table.tableName };
};

export const testConfig = (tableName: string) =>
  parseConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), FLEET_PROFILE: 'fast' });

/** Every task record of a service, live and stopped, read through the task repository. */
export const serviceTaskRecords = async (deps: Deps, cluster: string, serviceName: string): Promise<TaskRecord[]> => {
  const records: TaskRecord[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    let nextToken: string | undefined;
    do {
      const page = await deps.tasks.list(cluster, { serviceName, desiredStatus }, { maxResults: 100, nextToken }, deps.clock.now());
      for (const arn of page.items) records.push((await deps.tasks.get(cluster, arn.split('/').pop()!))!);
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return records;
};

/**
 * Fresh deps on the test clock with cluster "c1" and the Fargate family "web" (revision 1): where
 * the integration tests of services and the reconciler start.
 */
export const depsWithWebFamily = async (
  clock: TestClock,
  taskDefinition: Record<string, unknown> = fargateTaskDefinition('web'),
): Promise<Deps & { tableName: string }> => {
  const deps = await freshDeps({ clock });
  await createCluster(deps, { clusterName: 'c1' });
  await registerTaskDefinition(deps, validateTaskDefinition(taskDefinition));
  return deps;
};

/** The commands a table's client sends from now on, by name (GetItem, BatchGetItem, ...), in the order sent. */
export const recordCommands = (table: TableContext): string[] => {
  const sent: string[] = [];
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String((context as { commandName?: string }).commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'testRecordCommands' },
  );
  return sent;
};
