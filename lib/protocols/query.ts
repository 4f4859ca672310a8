import { SerializationException } from '../errors';

/** CloudWatch's longest list (PutMetricData's MetricData) has 1,000 entries. */
const MAX_LIST_INDEX = 1000;
/** No CloudWatch input nests deeper than this many parts in a query key. */
const MAX_KEY_PARTS = 12;

type Node = Record<string, unknown> | unknown[];

/**
 * The query protocol's form (`Dimensions.member.1.Name=ClusterName&…`) as the JSON protocol would
 * carry the same input: `member.N` is the Nth entry of a list (1-based), other parts are structure
 * members. Values stay text; the schemas read numbers, booleans and timestamps from text. Objects
 * have no prototype, so no key ("__proto__", "constructor") reaches one.
 */
export const decodeQuery = (form: URLSearchParams): Record<string, unknown> => {
  const root: Record<string, unknown> = Object.create(null);
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    if (parts.length > MAX_KEY_PARTS || parts.some((part) => part === '')) throw new SerializationException(`Malformed query parameter ${JSON.stringify(key.slice(0, 100))}.`);
    let node: Node = root;
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index];
      const last = index === parts.length - 1;
      let slot: string | number = part;
      if (part === 'member') {
        const position = Number(parts[++index]);
        if (!Number.isInteger(position) || position < 1 || position > MAX_LIST_INDEX || !Array.isArray(node)) {
          throw new SerializationException(`Malformed query parameter ${JSON.stringify(key.slice(0, 100))}.`);
        }
        slot = position - 1;
      } else if (Array.isArray(node)) {
        throw new SerializationException(`Malformed query parameter ${JSON.stringify(key.slice(0, 100))}.`);
      }
      const isLast = last || (part === 'member' && index === parts.length - 1);
      const container = node as Record<string | number, unknown>;
      if (isLast) {
        container[slot] = value;
        break;
      }
      if (container[slot] === undefined) container[slot] = parts[index + 1] === 'member' ? [] : Object.create(null);
      node = container[slot] as Node;
      if (typeof node !== 'object' || node === null) throw new SerializationException(`Malformed query parameter ${JSON.stringify(key.slice(0, 100))}.`);
    }
  }
  return compact(root) as Record<string, unknown>;
};

/** Lists without their holes (a form may number entries 1, 3, 7). */
const compact = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.filter((entry) => entry !== undefined).map(compact);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = Object.create(null);
    for (const [key, entry] of Object.entries(value)) copy[key] = compact(entry);
    return copy;
  }
  return value;
};
