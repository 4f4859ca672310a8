import { Logger } from '@aws-lambda-powertools/logger';

/** Structured logs: fixed messages, context as keys. */
export const log = new Logger({ serviceName: 'ecsbox' });
