import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { toTask } from '../../lib/adapters/dynamodb/fleet-items';
import type { TaskRecord } from '../../lib/domain/task';

/**
 * Every task record of a cluster in one consistent Query of the stack's table: a single observed
 * moment, which a ListTasks + DescribeTasks pair over HTTP cannot give.
 */
export const clusterTasksNow = async (clusterName: string): Promise<TaskRecord[]> => {
  const endpoint = process.env.ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT;
  const tableName = process.env.ECSBOX_TEST_STACK_TABLE_NAME;
  if (!endpoint || !tableName) throw new Error('The local stack is not running');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': `A#000000000000#C#${clusterName}`, ':prefix': 'TASK#' },
        ConsistentRead: true,
      }),
    );
    // Through the items' own codec: a task item keeps most of its record packed (fleet-items.ts).
    return Items.map(toTask);
  } finally {
    client.destroy();
  }
};
