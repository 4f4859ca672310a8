/**
 * Points each jest worker at its own local stack (see stack-setup.ts): the global setup leaves
 * every stack's addresses under numbered names, and this file, run before each test file, copies
 * the worker's set to the names the tests read.
 */
export const STACK_VARIABLES = {
  apiUrl: 'ECSBOX_TEST_API_URL',
  lambdaUrl: 'ECSBOX_TEST_LAMBDA_URL',
  dynamoDbEndpoint: 'ECSBOX_TEST_STACK_DYNAMODB_ENDPOINT',
  tableName: 'ECSBOX_TEST_STACK_TABLE_NAME',
} as const;

export const stackVariable = (name: string, number: number) => `${name}_${number}`;

const count = Number(process.env.ECSBOX_TEST_STACK_COUNT ?? 0);
if (count > 0) {
  const number = ((Number(process.env.JEST_WORKER_ID ?? 1) - 1) % count) + 1;
  for (const name of Object.values(STACK_VARIABLES)) process.env[name] = process.env[stackVariable(name, number)];
}
