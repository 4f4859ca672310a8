import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Open mode's one account; a hosted stack's tenants each have their own. */
const OPEN_ACCOUNT = '000000000000';

/**
 * The stack's items that a request could touch, to prove that a refused request wrote nothing:
 * the account's partition (clusters, task definitions) and the partitions of the named clusters.
 * Other clusters' partitions and the reconciler's leases are left out: the reconciler keeps
 * working on other tests' services meanwhile, and that is not the request's doing.
 * `accountId` and `tableName` choose a hosted stack's tenant (test/support/hosted.ts).
 */
export const tableSnapshot = async (
  clusters: string[] = [],
  { accountId = OPEN_ACCOUNT, tableName = process.env.ECSBOX_TEST_STACK_TABLE_NAME } = {},
): Promise<string[]> => {
  const endpoint = process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT;
  if (!endpoint || !tableName) throw new Error('The local stack is not running');
  const account = `A#${accountId}`;
  const partitions = new Set([account, ...clusters.map((cluster) => `${account}#C#${cluster}`)]);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const items: string[] = [];
  let startKey: Record<string, any> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
      for (const item of page.Items ?? []) {
        if (partitions.has(item.PK?.S ?? '')) items.push(JSON.stringify(item, Object.keys(item).sort()));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return items.sort();
};
