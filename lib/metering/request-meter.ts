import { burstOf } from '../domain/quotas';
import type { Deps } from '../deps';
import { ThrottlingException } from '../errors';
import { log } from '../log';
import { measuring, type Consumption } from './consumption';

/** The day (UTC) a usage figure belongs to. */
export const dayOf = (time: number): string => new Date(time).toISOString().slice(0, 10);

/** The meter's own write per request: one small item, one write unit. */
const METER_WRITE_UNITS = 1;

/**
 * Every API request of an account runs through here, on both faces: first the account's request
 * rate (the sandbox quota; over it, ThrottlingException "Rate exceeded" and no work done), then the
 * work, measured: the DynamoDB capacity it consumed (rate check included) and its duration at the
 * function's memory are added to the account's day in one write. A failed request is counted too:
 * it cost as much. The meter's failure never fails the request (it is logged).
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
    await deps.usage
      .recordRequest(
        accountId,
        dayOf(now),
        {
          readUnits: consumption.readUnits,
          writeUnits: consumption.writeUnits + METER_WRITE_UNITS,
          lambdaMs,
          lambdaMbMs: lambdaMs * deps.metering.lambdaMemoryMb,
        },
        now,
      )
      .catch((error: unknown) => log.warn('usage not recorded', { accountId, error: error as Error }));
  }
};
