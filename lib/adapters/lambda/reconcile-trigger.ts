import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { log } from '../../log';
import { NodeSha256 } from '../../node-sha256';
import type { ReconcileTrigger } from '../../ports';

/** The source of ecsbox's own wake-up events (EventBridge's scheduled events say `aws.events`). */
export const WAKE_SOURCE = 'ecsbox.wake';

export interface LambdaReconcileTriggerOptions {
  region: string;
  /** Lambda's API (serverless-offline's Lambda port locally); Lambda's regional endpoint when unset. */
  endpoint?: string;
  /** The function's role's, from the environment Lambda gives it, unless given; fixed ones locally. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** An Event invoke only queues: a stalled Lambda API must not hold the request that changed desired state. */
  timeoutMs?: number;
}

const ATTEMPTS = 2;

/** Lambda's regional endpoint: China's regions are under their own domain. */
const regionalEndpoint = (region: string) => `https://lambda.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;

/**
 * Wakes the reconciler at once after a desired-state change: an asynchronous Lambda invocation
 * (Invoke with InvocationType Event), the same call deployed and locally (serverless-offline answers
 * it on its Lambda port). It is signed with @smithy/signature-v4 and sent with node's own HTTP
 * client rather than through @aws-sdk/client-lambda: every function that changes desired state
 * loads this module, and that client added 140 KiB and about 8 ms to each cold start for this one
 * call (npm run bench:cold). A failed wake-up is logged, not raised: the one-minute schedule still
 * converges the change.
 */
export class LambdaReconcileTrigger implements ReconcileTrigger {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;

  constructor(
    private readonly functionName: string,
    options: LambdaReconcileTriggerOptions,
  ) {
    this.url = new URL(`/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, options.endpoint ?? regionalEndpoint(options.region));
    const credentials = options.credentials ?? (options.endpoint ? { accessKeyId: 'local', secretAccessKey: 'local' } : fromEnv());
    this.signer = new SignatureV4({ service: 'lambda', region: options.region, credentials, sha256: NodeSha256 });
    // Kept alive between wake-ups of a warm container; a socket Lambda froze and the far end closed is retried.
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  async wake(shard?: number, options: { resync?: boolean } = {}): Promise<void> {
    const payload = JSON.stringify({
      source: WAKE_SOURCE,
      ...(shard === undefined ? {} : { shard }),
      ...(options.resync ? { resync: true } : {}),
    });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.invoke(payload);
        return;
      } catch (error) {
        if (attempt === ATTEMPTS) log.warn('reconciler wake-up failed', { error: error as Error, functionName: this.functionName });
      }
    }
  }

  private async invoke(payload: string): Promise<void> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: this.url.pathname,
      query: {},
      headers: { host: this.url.host, 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      body: payload,
    });
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const outgoing = send(this.url, { method: 'POST', headers: signed.headers, agent: this.agent, timeout: this.timeoutMs }, (incoming: IncomingMessage) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (body += chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const status = incoming.statusCode ?? 0;
          // Lambda answers 202 Accepted to an Event invocation; anything else says why it did not queue it.
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`Lambda answered ${status} to the wake-up: ${body.slice(0, 200)}`));
        });
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`Lambda did not answer the wake-up within ${this.timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }
}
