import * as z from 'zod';
import type { EpochMs } from '../domain/model';
import type { TaskRecord } from '../domain/task';
import { lazySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { fargateCharge, priceOf, type Architecture } from '../metering/fargate-cost';
import type { PriceTable } from '../metering/prices';
import { dayOf } from '../metering/request-meter';
import type { DailyUsage, FargateUsageEntry } from '../ports';

/** GET /v1/usage: what the caller's account consumed, and what its tasks would have cost on Fargate. */
export const USAGE_DAYS_MAX = 31;

export const usageQuery = lazySchema(() =>
  z.object({ days: z.coerce.number().int().min(1).max(USAGE_DAYS_MAX).optional() }).strict(),
);

const DAY_MS = 86_400_000;

/** Rounded to micro-dollars: the meter's figures are estimates, and float noise is not information. */
const usd = (value: number) => Math.round(value * 1e6) / 1e6;

const requestCosts = (usage: Omit<DailyUsage, 'date'>, prices: PriceTable) => {
  const dynamoDb =
    (usage.readUnits * prices.dynamoDbReadRequestUnitsPerMillion + usage.writeUnits * prices.dynamoDbWriteRequestUnitsPerMillion) / 1e6;
  const lambda = (usage.lambdaMbMs / 1024 / 1000) * prices.lambdaGbSecond + (usage.requests * prices.lambdaRequestsPerMillion) / 1e6;
  const apiGateway = (usage.requests * prices.httpApiRequestsPerMillion) / 1e6;
  return { dynamoDb: usd(dynamoDb), lambda: usd(lambda), apiGateway: usd(apiGateway), total: usd(dynamoDb + lambda + apiGateway) };
};

const presentDay = (usage: Omit<DailyUsage, 'date'> & { date?: string }, prices: PriceTable) => ({
  ...(usage.date ? { date: usage.date } : {}),
  requests: usage.requests,
  dynamoDb: { readUnits: usage.readUnits, writeUnits: usage.writeUnits },
  lambda: { ms: usage.lambdaMs, gbSeconds: usage.lambdaMbMs / 1024 / 1000 },
  usd: requestCosts(usage, prices),
});

const ownerOf = (task: Pick<TaskRecord, 'clusterName' | 'serviceName'>) => `${task.clusterName}/${task.serviceName ?? ''}`;

/**
 * Stopped tasks of the account not yet in their day's aggregate are added to it now (each once:
 * the aggregate keeps the ids it counted), so that their cost outlives the task records, which
 * expire after the retention. The reconciler adds tasks as it sees them stop (foldStoppedTasks).
 */
export const countStoppedTasks = async (
  deps: Pick<Deps, 'usage' | 'metering'>,
  accountId: string,
  tasks: TaskRecord[],
  architectures: Map<string, Architecture>,
  counted: (date: string, taskId: string) => boolean,
  now: EpochMs,
) => {
  // EC2 tasks cost nothing on top of their instances: Fargate's prices are for Fargate tasks only.
  const stopped = tasks.filter((task) => task.lastStatus === 'STOPPED' && task.stoppedAt !== undefined && task.launchType === 'FARGATE');
  await Promise.all(
    stopped
      .filter((task) => !counted(dayOf(task.stoppedAt!), task.taskId))
      .map((task) => {
        const architecture = architectures.get(task.taskDefinitionArn) ?? 'X86_64';
        const charge = fargateCharge({ ...task, architecture }, deps.metering.prices, now);
        const entry: FargateUsageEntry = {
          clusterName: task.clusterName,
          ...(task.serviceName ? { serviceName: task.serviceName } : {}),
          architecture,
          vcpuSeconds: charge.vcpuSeconds,
          gbSeconds: charge.gbSeconds,
          tasks: 1,
        };
        return deps.usage.countStoppedTask(accountId, dayOf(task.stoppedAt!), task.taskId, entry, now);
      }),
  );
};

/**
 * An account's usage over the last `days` days (today included, UTC): per day and in total, the
 * requests, DynamoDB units and Lambda time its API calls consumed with their estimated price; and
 * the would-be Fargate cost of its tasks per day, per service and per task (tasks still kept:
 * live ones so far, stopped ones within the retention). The admin API calls it for any tenant.
 */
export const usageReport = async (
  deps: Pick<Deps, 'usage' | 'usageLedger' | 'metering' | 'clock'>,
  accountId: string,
  options: { days?: number } = {},
) => {
  // What this container's own requests used so far is in the report (read your own writes).
  await deps.usageLedger.settled();
  const now = deps.clock.now();
  const { prices } = deps.metering;
  const dates = Array.from({ length: options.days ?? 7 }, (_, index) => dayOf(now - index * DAY_MS)).reverse();
  const [daily, tasks] = await Promise.all([deps.usage.dailyUsage(accountId, dates), deps.usage.keptTasks(accountId, now)]);
  const architectures = await deps.usage.architectures(accountId, tasks.map((task) => task.taskDefinitionArn));
  const before = await deps.usage.fargateDays(accountId, dates);
  const countedBefore = new Map(before.map((day) => [day.date, day.counted]));
  const isCounted = (date: string, taskId: string) => countedBefore.get(date)?.has(taskId) ?? !dates.includes(date);
  const fresh = tasks.some((task) => task.lastStatus === 'STOPPED' && task.stoppedAt !== undefined && !isCounted(dayOf(task.stoppedAt), task.taskId));
  if (fresh) await countStoppedTasks(deps, accountId, tasks, architectures, isCounted, now);
  const fargateDays = fresh ? await deps.usage.fargateDays(accountId, dates) : before;

  const total = daily.reduce(
    (sum, day) => ({
      requests: sum.requests + day.requests,
      readUnits: sum.readUnits + day.readUnits,
      writeUnits: sum.writeUnits + day.writeUnits,
      lambdaMs: sum.lambdaMs + day.lambdaMs,
      lambdaMbMs: sum.lambdaMbMs + day.lambdaMbMs,
    }),
    { requests: 0, readUnits: 0, writeUnits: 0, lambdaMs: 0, lambdaMbMs: 0 },
  );

  const taskCharges = tasks
    .filter((task) => task.launchType === 'FARGATE')
    .map((task) => {
      const architecture = architectures.get(task.taskDefinitionArn) ?? 'X86_64';
      const charge = fargateCharge({ ...task, architecture }, prices, now);
      return {
        taskArn: task.taskArn,
        clusterName: task.clusterName,
        ...(task.serviceName ? { serviceName: task.serviceName } : {}),
        cpu: task.cpu,
        memory: task.memory,
        architecture,
        lastStatus: task.lastStatus,
        ...(task.pullStartedAt !== undefined ? { pullStartedAt: new Date(task.pullStartedAt).toISOString() } : {}),
        ...(task.stoppedAt !== undefined ? { stoppedAt: new Date(task.stoppedAt).toISOString() } : {}),
        billedSeconds: charge.seconds,
        usd: usd(charge.usd),
      };
    })
    .sort((a, b) => b.usd - a.usd || a.taskArn.localeCompare(b.taskArn));

  // Stopped tasks from the days' aggregates; live tasks' cost so far on top, by service.
  const services = new Map<string, { clusterName: string; serviceName?: string; tasks: number; usd: number }>();
  const addToService = (owner: { clusterName: string; serviceName?: string }, tasksCount: number, amount: number) => {
    const key = ownerOf(owner);
    const entry = services.get(key) ?? { clusterName: owner.clusterName, ...(owner.serviceName ? { serviceName: owner.serviceName } : {}), tasks: 0, usd: 0 };
    entry.tasks += tasksCount;
    entry.usd += amount;
    services.set(key, entry);
  };
  const days = fargateDays.map((day) => {
    let amount = 0;
    let tasksCount = 0;
    for (const entry of day.entries) {
      const price = priceOf(entry.vcpuSeconds, entry.gbSeconds, entry.architecture, prices);
      amount += price;
      tasksCount += entry.tasks;
      addToService(entry, entry.tasks, price);
    }
    return { date: day.date, tasks: tasksCount, usd: amount };
  });
  const today = days.at(-1)!;
  for (const task of taskCharges.filter((charge) => charge.lastStatus !== 'STOPPED')) {
    addToService(task, 1, task.usd);
    today.tasks += 1;
    today.usd += task.usd;
  }

  return {
    accountId,
    from: dates[0],
    to: dates.at(-1)!,
    days: daily.map((day) => presentDay(day, prices)),
    total: presentDay(total, prices),
    fargate: {
      totalUsd: usd(days.reduce((sum, day) => sum + day.usd, 0)),
      days: days.map((day) => ({ ...day, usd: usd(day.usd) })),
      services: [...services.values()].map((entry) => ({ ...entry, usd: usd(entry.usd) })).sort((a, b) => b.usd - a.usd),
      tasks: taskCharges,
    },
    prices,
  };
};

/** GET /v1/usage: the caller's own account. */
export const getUsage = (deps: Deps, query: SchemaOutput<typeof usageQuery>) => usageReport(deps, deps.scope.accountId, query);
