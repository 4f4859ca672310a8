import { scopeOf } from '../domain/arn';
import type { TaskRecord } from '../domain/task';
import type { Clock, MeterSettings } from '../deps';
import { log } from '../log';
import type { ReconcileStore, ServiceCommit, UsageStore } from '../ports';
import { countStoppedTasks } from '../usecases/usage';

/**
 * The reconciler's store, counting every task it records STOPPED into the account's Fargate
 * aggregate of that day (docs/cost.md): the would-be cost outlives the task records, which expire
 * after the retention. Counted after the commit landed (a lost commit counts nothing), each task
 * once (the aggregate keeps the ids it counted); the usage report counts any task missed here (a
 * crash between the commit and the count) while its record is kept. A failure to count never
 * fails the reconciler's pass: it is logged.
 */
export const countingStoppedTasks = (store: ReconcileStore, usage: UsageStore, metering: MeterSettings, clock: Clock): ReconcileStore => {
  const count = async (tasks: TaskRecord[]) => {
    const stopped = tasks.filter((task) => task.lastStatus === 'STOPPED' && task.stoppedAt !== undefined);
    const accounts = new Map<string, TaskRecord[]>();
    for (const task of stopped) {
      const accountId = scopeOf(task.taskArn).accountId;
      const accountTasks = accounts.get(accountId);
      if (accountTasks) accountTasks.push(task);
      else accounts.set(accountId, [task]);
    }
    for (const [accountId, accountTasks] of accounts) {
      try {
        const architectures = await usage.architectures(accountId, accountTasks.map((task) => task.taskDefinitionArn));
        await countStoppedTasks({ usage, metering }, accountId, accountTasks, architectures, () => false, clock.now());
      } catch (error) {
        log.warn('stopped tasks not counted', { accountId, tasks: accountTasks.length, error: error as Error });
      }
    }
  };
  const tasksOf = (commit: ServiceCommit) => [...commit.changedTasks, ...(commit.observedTasks ?? [])];
  // Each wrapper passes every argument on (a commit's due times included) and counts what landed.
  const commitService: ReconcileStore['commitService'] = async (...args) => {
    const committed = await store.commitService(...args);
    const [, commit] = args;
    if (committed) await count(tasksOf(commit));
    return committed;
  };
  const commitServices: ReconcileStore['commitServices'] = async (...args) => {
    const committed = await store.commitServices(...args);
    const [, commits] = args;
    await count(commits.filter((_, index) => committed[index]).flatMap(tasksOf));
    return committed;
  };
  const commitTasks: ReconcileStore['commitTasks'] = async (...args) => {
    const committed = await store.commitTasks(...args);
    // A false commit may have landed some batches: those tasks are counted by the usage report.
    if (committed) await count(args[1]);
    return committed;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'commitService') return commitService;
      if (property === 'commitServices') return commitServices;
      if (property === 'commitTasks') return commitTasks;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
};
