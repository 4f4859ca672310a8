/**
 * Whether two stored values are the same data. DynamoDB returns a map's keys in any order and
 * drops undefined members, so neither key order nor undefined members may count as a change
 * (a false change would be a write on every reconcile pass). Compared in place, member by member:
 * every reconcile pass compares every service it reads, so nothing is copied or serialised.
 */
export const sameData = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // JSON's view of numbers, as the stored data has it: NaN and infinities are null.
    return typeof a === 'number' && typeof b === 'number' && !Number.isFinite(a) && !Number.isFinite(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((entry, index) => sameData(entry, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let defined = 0;
  for (const key in left) {
    if (left[key] === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(right, key) || !sameData(left[key], right[key])) return false;
  }
  for (const key in right) if (right[key] !== undefined) defined--;
  return defined === 0;
};

/**
 * A deep copy of stored data (what JSON holds: plain objects, arrays, strings, numbers, booleans,
 * null; undefined members kept as they are). The planner copies every service it plans, every
 * pass: this costs a fraction of structuredClone, which serialises for other realms.
 */
export const cloneData = <T>(value: T): T => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneData) as T;
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) copy[key] = cloneData(source[key]);
  return copy as T;
};
