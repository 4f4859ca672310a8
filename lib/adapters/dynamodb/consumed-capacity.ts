import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { MetadataBearer, SerializeMiddleware } from '@smithy/types';
import { currentConsumption, type Consumption } from '../../metering/consumption';

/** Bytes of one attribute value as DynamoDB sizes items (names and values, numbers about 1 byte per 2 digits). */
const valueBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, entry) => sum + Buffer.byteLength(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, entry) => sum + Math.ceil(entry.length / 2) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, entry) => sum + 1 + valueBytes(entry), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M);
  return 1;
};

export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);

interface TransactAction {
  Put?: { Item?: Record<string, AttributeValue> };
  Update?: { Key?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> };
  Delete?: { Key?: Record<string, AttributeValue> };
  ConditionCheck?: { Key?: Record<string, AttributeValue> };
}

/**
 * What a TransactWriteItems costs, from its items' sizes: 2 write units per KB of each action (a
 * transaction's price), at least 2. DynamoDB Local under-reports transactions, so the meter prices
 * them this way everywhere. An Update is sized by its key and new values (the stored item is not
 * read for it): ecsbox's transactional updates touch small counters and status fields.
 */
export const transactionWriteUnits = (actions: TransactAction[]): number =>
  actions.reduce((sum, action) => {
    const bytes = action.Put?.Item
      ? itemBytes(action.Put.Item)
      : action.Update
        ? itemBytes({ ...action.Update.Key, ...action.Update.ExpressionAttributeValues })
        : itemBytes((action.Delete ?? action.ConditionCheck)?.Key ?? {});
    return sum + 2 * Math.max(1, Math.ceil(bytes / 1024));
  }, 0);

type CapacityEntry = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * A call's units as reported, but never below DynamoDB's minimum per request: a read costs at least
 * one unit (half when eventually consistent) even when it finds nothing, a write at least one.
 * DynamoDB Local reports 0 for a Query that matches nothing.
 */
const add = (consumption: Consumption, commandName: string, entries: CapacityEntry[], consistent: boolean) => {
  const units = entries.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
  if (READS.has(commandName)) consumption.readUnits += Math.max(units, consistent ? 1 : 0.5);
  else consumption.writeUnits += Math.max(units, 1);
};

/**
 * Inside a metered request, every call asks for its ConsumedCapacity (unless the caller asked
 * already) and adds it to the request's consumption; transactions of writes are priced from their
 * items (transactionWriteUnits) or as reported, whichever is more. Outside one, nothing changes.
 */
export const consumedCapacity: SerializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
  const consumption = currentConsumption();
  const commandName = (context as { commandName?: string }).commandName ?? '';
  const metered = READS.has(commandName) || WRITES.has(commandName) || commandName === 'TransactWriteItemsCommand';
  if (!consumption || !metered) return next(args);
  const input = args.input as { ReturnConsumedCapacity?: string; TransactItems?: TransactAction[]; ConsistentRead?: boolean };
  if (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE') input.ReturnConsumedCapacity = 'TOTAL';
  const result = await next(args);
  const reported = (result.output as { ConsumedCapacity?: CapacityEntry | CapacityEntry[] }).ConsumedCapacity;
  const entries = reported === undefined ? [] : Array.isArray(reported) ? reported : [reported];
  if (commandName === 'TransactWriteItemsCommand') {
    const fromSizes = transactionWriteUnits(input.TransactItems ?? []);
    consumption.writeUnits += Math.max(fromSizes, entries.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0));
  } else {
    add(consumption, commandName, entries, input.ConsistentRead === true);
  }
  return result;
};
