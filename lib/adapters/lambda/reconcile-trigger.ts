import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ReconcileTrigger } from '../../ports';
import { log } from '../../log';

/** The source of ecsbox's own wake-up events (EventBridge's scheduled events say `aws.events`). */
export const WAKE_SOURCE = 'ecsbox.wake';

/**
 * Wakes the reconciler at once after a desired-state change: an asynchronous Lambda invocation,
 * the same call deployed and locally (serverless-offline answers it on its Lambda port). A failed
 * wake-up is logged, not raised: the one-minute schedule still converges the change.
 */
export class LambdaReconcileTrigger implements ReconcileTrigger {
  private readonly client: LambdaClient;

  constructor(
    private readonly functionName: string,
    options: { region: string; endpoint?: string },
  ) {
    this.client = new LambdaClient({
      region: options.region,
      // An Event invoke only queues: a stalled Lambda API must not hold the request that changed desired state.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
      maxAttempts: 2,
      ...(options.endpoint
        ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  }

  async wake(shard?: number, options: { resync?: boolean } = {}): Promise<void> {
    try {
      const payload = JSON.stringify({
        source: WAKE_SOURCE,
        ...(shard === undefined ? {} : { shard }),
        ...(options.resync ? { resync: true } : {}),
      });
      await this.client.send(new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: payload }));
    } catch (error) {
      log.warn('reconciler wake-up failed', { error: error as Error });
    }
  }
}
