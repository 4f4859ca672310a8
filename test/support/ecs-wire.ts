import { ECSClient } from '@aws-sdk/client-ecs';
import { modelViolations } from './ecs-model';
import { apiUrl, request, type HttpAnswer } from './http';

export const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

/** Whatever credentials: ecsbox accepts any SigV4 signature without checking it. */
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array> | Uint8Array;
}

const bytesOf = async (body: RawResponse['body']): Promise<Buffer> => {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
};

/** What an ECS error answer may hold, besides its x-amzn-ErrorType header naming the same error. */
const errorViolations = (response: RawResponse, body: any): string[] => {
  const problems: string[] = [];
  if (typeof body?.__type !== 'string' || typeof body?.message !== 'string') problems.push('error: needs string __type and message');
  if (Object.keys(body ?? {}).some((key) => key !== '__type' && key !== 'message')) problems.push('error: extra members');
  if (response.statusCode < 500 && response.headers['x-amzn-errortype'] !== body?.__type) problems.push('error: x-amzn-ErrorType differs from __type');
  return problems;
};

/**
 * The real @aws-sdk/client-ecs, pointed at the local stack, that checks every raw answer before
 * the SDK reads it: a successful one against ECS's model of the operation's output, an error
 * against ECS's error shape. A call whose answer does not conform rejects with the violations,
 * so no test can pass on a response ECS would not send. `checked` lists the operations whose
 * successful answers were checked.
 */
export const checkedEcsClient = () => {
  const checked = new Set<string>();
  const client = new ECSClient({ endpoint: apiUrl(), region: 'us-east-1', credentials, maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      const bytes = await bytesOf(response.body);
      // The SDK's deserializer, which runs after this, reads the body from here.
      response.body = bytes;
      const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
      const body = JSON.parse(bytes.toString('utf8') || '{}');
      const problems = response.statusCode === 200 ? modelViolations(operation, body) : errorViolations(response, body);
      if (problems.length > 0) {
        throw new Error(`${operation} answered what ECS would not:\n${problems.join('\n')}\n${bytes.toString('utf8').slice(0, 1000)}`);
      }
      if (response.statusCode === 200) checked.add(operation);
      return result;
    },
    // Inside the deserializer: this sees the raw HTTP answer first.
    { step: 'deserialize', priority: 'low', name: 'ecsModelCheck' },
  );
  return { client, checked };
};

/** A raw ECS wire request, for what the SDK cannot send (no or a wrong X-Amz-Target, bad JSON). */
export const wireRequest = (target: string | undefined, body: unknown): Promise<HttpAnswer> =>
  request('POST', '/', body, {
    'content-type': 'application/x-amz-json-1.1',
    ...(target === undefined ? {} : { 'x-amz-target': target }),
  });
