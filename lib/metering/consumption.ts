import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The DynamoDB capacity one request consumes, collected while it runs: every call the table's
 * client makes inside `measuring` asks DynamoDB for its ConsumedCapacity and adds it here
 * (lib/adapters/dynamodb/consumed-capacity.ts). AsyncLocalStorage keeps concurrent requests of one
 * process (serverless-offline runs them in-process) apart.
 */
export interface Consumption {
  readUnits: number;
  writeUnits: number;
}

const current = new AsyncLocalStorage<Consumption>();

export const measuring = <T>(consumption: Consumption, work: () => Promise<T>): Promise<T> => current.run(consumption, work);

/** The request being measured, or undefined outside one (the reconciler, tests). */
export const currentConsumption = (): Consumption | undefined => current.getStore();
