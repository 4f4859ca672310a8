import { burstOf } from '../domain/quotas';
import type { Deps } from '../deps';
import { ThrottlingException } from '../errors';
import { measuring, type Consumption } from './consumption';

/** The day (UTC) a usage figure belongs to. */
export const dayOf = (time: number): string => new Date(time).toISOString().slice(0, 10);

/**
 * Every API request of an account runs through here, on both faces: first the account's request
 * rate (the sandbox quota; over it, ThrottlingException "Rate exceeded" and no work done), then the
 * work, measured: the DynamoDB capacity it consumed (rate check included) and its duration at the
 * function's memory go to the container's usage ledger, which adds them to the account's day off
 * the request's path (lib/metering/usage-ledger.ts). A failed request is counted too: it cost as
 * much. The meter's failure never fails the request (the ledger logs it).
 */
export const meteredRequest = async <T>(deps: Deps, work: () => Promise<T>): Promise<T> => {
  const { accountId } = deps.scope;
  const consumption: Consumption = { readUnits: 0, writeUnits: 0 };
  const started = performance.now();
  const admitThenWork = async () => {
    const quotas = await deps.quotas.of(accountId);
    if (quotas.requestsPerSecond !== undefined) {
      const rate = { perSecond: quotas.requestsPerSecond, burst: burstOf(quotas) };
      if (!(await deps.usage.admitRequest(accountId, rate, deps.clock.now()))) throw new ThrottlingException();
    }
    return work();
  };
  if (!deps.metering.enabled) return admitThenWork();
  try {
    return await measuring(consumption, admitThenWork);
  } finally {
    const lambdaMs = Math.max(1, Math.ceil(performance.now() - started));
    const now = deps.clock.now();
    deps.usageLedger.add(
      accountId,
      dayOf(now),
      { requests: 1, readUnits: consumption.readUnits, writeUnits: consumption.writeUnits, lambdaMs, lambdaMbMs: lambdaMs * deps.metering.lambdaMemoryMb },
      now,
    );
    if (deps.metering.recordBeforeAnswer) await deps.usageLedger.settled();
  }
};
