import type { TableContext } from '../../lib/adapters/dynamodb/table';

/**
 * Counts what the table's reads cost: items DynamoDB examined (a Query's ScannedCount, a GetItem's
 * one item), read capacity consumed, and round trips. Attached as middleware to the client the
 * repositories use, so it sees every read they make.
 */
export interface ReadMeter {
  itemsExamined: number;
  readUnits: number;
  roundTrips: number;
  reset(): void;
}

const READS = new Set(['QueryCommand', 'GetCommand', 'BatchGetCommand', 'ScanCommand']);

export const meterReads = (table: TableContext): ReadMeter => {
  const meter: ReadMeter = {
    itemsExamined: 0,
    readUnits: 0,
    roundTrips: 0,
    reset() {
      meter.itemsExamined = 0;
      meter.readUnits = 0;
      meter.roundTrips = 0;
    },
  };
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!READS.has(String(context.commandName))) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as { ScannedCount?: number; Item?: unknown; ConsumedCapacity?: { CapacityUnits?: number } };
      meter.roundTrips += 1;
      meter.itemsExamined += output.ScannedCount ?? (output.Item ? 1 : 0);
      meter.readUnits += output.ConsumedCapacity?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'readMeter' },
  );
  return meter;
};
