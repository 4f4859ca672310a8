import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Every item of the stack's table, to prove that a refused request wrote nothing. */
export const tableSnapshot = async (): Promise<string[]> => {
  const endpoint = process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT;
  const tableName = process.env.ECSBOX_TEST_STACK_TABLE_NAME;
  if (!endpoint || !tableName) throw new Error('The local stack is not running');
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const items: string[] = [];
  let startKey: Record<string, any> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
      items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return items.sort();
};
