import { startDynamoDbLocal } from '../../scripts/local/dynamodb-local';
import { registerCleanup } from './teardown';

/** One DynamoDB Local for the integration tests; each test file creates its own table in it. */
export default async function setup(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  process.env.ECSBOX_TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  registerCleanup(dynamo.stop);
}
