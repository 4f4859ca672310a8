import { join } from 'node:path';
import { LOCAL_AUTH_FILE } from './local/auth-secrets';
import { startLocalStack } from './local/stack';

/**
 * `npm start`: the whole local stack on this machine. DynamoDB is in memory unless
 * `--persist` (or ECSBOX_PERSIST=1) is given, which keeps it under .data/.
 */
const main = async () => {
  const persist = process.argv.includes('--persist') || process.env.ECSBOX_PERSIST === '1';
  const stack = await startLocalStack({
    httpPort: Number(process.env.ECSBOX_HTTP_PORT ?? 3000),
    lambdaPort: Number(process.env.ECSBOX_LAMBDA_PORT ?? 3002),
    dataDirectory: persist ? join(process.cwd(), '.data') : undefined,
    verbose: true,
  });
  console.log(
    [
      '',
      'ecsbox is running:',
      `  REST API          ${stack.apiUrl.replace('127.0.0.1', 'localhost')}/v1/  (OpenAPI: /v1/openapi.json)`,
      `  ECS endpoint      ${stack.apiUrl.replace('127.0.0.1', 'localhost')}/  (aws ecs --endpoint-url ...)`,
      `  DynamoDB Local    ${stack.dynamoDbEndpoint} table ${stack.tableName} (${persist ? 'persisted in .data/' : 'in memory'})`,
      `  Lambda invoke     ${stack.lambdaUrl} (reconciler: at start-up, every minute, and on every change)`,
      '  Fleet             simulated, fast profile',
      process.env.ECSBOX_AUTH === 'sigv4'
        ? `  Auth              sigv4 (hosted mode): POST /v1/sandboxes issues keys; admin token in ${LOCAL_AUTH_FILE}`
        : '  Auth              open: any credentials, account 000000000000 (ECSBOX_AUTH=sigv4 for hosted mode)',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
