import { log } from '../lib/log';

/** Placeholder until the reconciler lands: the schedule is wired, a pass does nothing yet. */
export const handler = async (): Promise<void> => {
  log.debug('reconcile pass skipped: no services yet');
};
