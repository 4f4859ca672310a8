import type { ReconcileTrigger } from '../ports';

/** A controller the reconciler's scheduled minute wakes, and only when it has something to act on. */
export interface ScheduledController {
  name: 'scaling' | 'capacity';
  /** Whether any account has the controller's items (scalable targets, capacity providers). */
  hasAccounts(): Promise<boolean>;
  trigger: ReconcileTrigger;
}

/**
 * The scaling and capacity controllers have no schedule of their own: a schedule of each would
 * start a Lambda invocation and take and drop a lease (two writes) every minute, for nothing on a
 * deployment without scaling or capacity providers, about $0.15 a month more than the whole idle
 * deployment's target. The reconciler's scheduled minute asks each, with one small read, whether
 * any account has something for it, and wakes only those; their changes wake them at once as
 * before. Returns the controllers woken.
 */
export const wakeControllersWithWork = async (controllers: ScheduledController[]): Promise<string[]> => {
  const woken = await Promise.all(
    controllers.map(async (controller) => {
      if (!(await controller.hasAccounts())) return undefined;
      await controller.trigger.wake();
      return controller.name;
    }),
  );
  return woken.filter((name) => name !== undefined);
};
