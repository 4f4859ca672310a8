import { createHash, createHmac } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

/**
 * node:crypto as @smithy/signature-v4's hash: sha256, or HMAC-sha256 when given a key. Used to check
 * the signatures of hosted mode's callers (lib/auth/sigv4.ts) and to sign the reconciler's wake-up
 * (lib/adapters/lambda/reconcile-trigger.ts).
 */
export class NodeSha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    const key = typeof secret === 'string' || secret === undefined ? secret : Buffer.from(secret as ArrayBuffer);
    this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('not used by the signer');
  }
}
