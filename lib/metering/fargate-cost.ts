import type { EpochMs } from '../domain/model';
import type { PriceTable } from './prices';

/**
 * What a task would have cost on real Fargate (Linux, on demand): per second from the start of its
 * image pull to its stop, with a one-minute minimum, at its vCPU and memory and its CPU
 * architecture's prices. A task never pulled was never billed; a task still running is billed up
 * to `now` (what it has cost so far).
 */
export type Architecture = keyof PriceTable['fargate'];

export interface BillableTask {
  /** CPU units (1024 = 1 vCPU) and memory in MiB, as the task definition or overrides give them. */
  cpu?: string;
  memory?: string;
  architecture: Architecture;
  pullStartedAt?: EpochMs;
  startedAt?: EpochMs;
  stoppedAt?: EpochMs;
}

export interface FargateCharge {
  /** Seconds billed: whole seconds, at least 60 once the pull began. */
  seconds: number;
  vcpuSeconds: number;
  gbSeconds: number;
  usd: number;
}

/** Fargate's billing minimum. */
export const MINIMUM_BILLED_SECONDS = 60;

/** Fargate's smallest size, which a task definition without sizes would get. */
const DEFAULT_CPU_UNITS = 256;
const DEFAULT_MEMORY_MIB = 512;

const numberOr = (text: string | undefined, fallback: number) => {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const billedSeconds = (from: EpochMs, to: EpochMs): number =>
  Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(Math.max(0, to - from) / 1000));

/** The price of resources held for some seconds (vCPU-seconds, GB-seconds) at an architecture's prices. */
export const priceOf = (vcpuSeconds: number, gbSeconds: number, architecture: Architecture, prices: PriceTable): number => {
  const rate = prices.fargate[architecture];
  return (vcpuSeconds * rate.vcpuHour + gbSeconds * rate.gbHour) / 3600;
};

export const fargateCharge = (task: BillableTask, prices: PriceTable, now: EpochMs): FargateCharge => {
  const from = task.pullStartedAt ?? task.startedAt;
  if (from === undefined) return { seconds: 0, vcpuSeconds: 0, gbSeconds: 0, usd: 0 };
  const seconds = billedSeconds(from, task.stoppedAt ?? Math.max(from, now));
  const vcpuSeconds = (seconds * numberOr(task.cpu, DEFAULT_CPU_UNITS)) / 1024;
  const gbSeconds = (seconds * numberOr(task.memory, DEFAULT_MEMORY_MIB)) / 1024;
  return { seconds, vcpuSeconds, gbSeconds, usd: priceOf(vcpuSeconds, gbSeconds, task.architecture, prices) };
};
