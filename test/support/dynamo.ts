import { randomUUID } from 'node:crypto';
import { createTableContext, type TableContext } from '../../lib/adapters/dynamodb/table';
import { buildDeps } from '../../lib/container';
import { parseConfig } from '../../lib/config';
import type { Clock, Deps } from '../../lib/deps';
import { createTable } from '../../scripts/local/table';

export const dynamoEndpoint = (): string => {
  const endpoint = process.env.ECSBOX_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is not running: run this test through jest, which starts it');
  return endpoint;
};

/** A new, empty table with the real definition from serverless.yml, private to the calling test file. */
export const freshTable = async (): Promise<TableContext> => {
  const tableName = `test-${randomUUID()}`;
  await createTable(dynamoEndpoint(), tableName);
  return createTableContext({ tableName, region: 'us-east-1', endpoint: dynamoEndpoint() });
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
export const freshDeps = async (clock: Clock = new TestClock()): Promise<Deps & { tableName: string }> => {
  const table = await freshTable();
  table.client.destroy();
  const settings = parseConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint() });
  return { ...buildDeps(settings, clock), tableName: table.tableName };
};
