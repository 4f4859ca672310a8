import { ECSClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecs';
import { startLocalStack } from './scripts/local/stack';
import { freePort } from './scripts/local/dynamodb-local';
(async () => {
  const stack = await startLocalStack({ httpPort: await freePort(), lambdaPort: await freePort() });
  try {
    const client = new ECSClient({ endpoint: stack.apiUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    try { await client.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/x:1' })); } catch (e: any) { console.log(e.name, e.constructor.name, Object.keys(e), e.message, e.$response?.headers); }
    const r = await fetch(stack.apiUrl + '/', { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListTagsForResource' }, body: JSON.stringify({ resourceArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/x:1' }) });
    console.log(r.status, [...r.headers], await r.text());
  } finally { await stack.stop(); }
})();
