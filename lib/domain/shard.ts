import { createHash } from 'node:crypto';

/** Sorts after every service name ([A-Za-z0-9_-]), so standalone tasks group at a cluster's end. */
export const STANDALONE = '~';

/**
 * The reconcile shard a service (or a cluster's standalone tasks) belongs to: a stable hash, so the
 * reconciler reads it from that shard and a wake-up after a change to it wakes only that shard.
 */
export const shardOf = (accountId: string, clusterName: string, serviceName: string | undefined, shards: number): number =>
  createHash('sha256').update(`${accountId}#${clusterName}#${serviceName ?? STANDALONE}`).digest().readUInt32BE(0) % shards;
