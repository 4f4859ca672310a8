import fc from 'fast-check';
import { cloneData, sameData } from '../../lib/domain/equality';

/** What "the same data" means: equal once stored, i.e. as JSON with keys sorted and undefined members dropped. */
const stored = (value: unknown): string =>
  JSON.stringify(value, (_, entry: unknown) =>
    entry && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : entry,
  );

/** A record as DynamoDB may hand it back: keys in another order, undefined members dropped or added. */
const reshuffled = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((entry) => reshuffled(entry, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
  if (seed % 2) entries.reverse();
  return Object.fromEntries([...entries.map(([key, entry]) => [key, reshuffled(entry, seed >> 1)]), ...(seed % 3 ? [['absent', undefined]] : [])]);
};

const record = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.option(tie('value'), { nil: undefined }), { maxKeys: 4 }),
  ),
})).value;

describe('sameData', () => {
  it('says two values are the same exactly when they are stored the same', () => {
    fc.assert(
      fc.property(record, record, fc.nat(), (a, b, seed) => {
        expect(sameData(a, reshuffled(a, seed))).toBe(true);
        expect(sameData(a, b)).toBe(stored(a) === stored(b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('cloneData', () => {
  it('copies stored data deeply: equal, with undefined members kept, and sharing no object or array', () => {
    const objects = (value: unknown): unknown[] =>
      value !== null && typeof value === 'object' ? [value, ...Object.values(value).flatMap(objects)] : [];
    // As JSON.parse builds them (the arbitrary's dictionaries have no prototype).
    const plain = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(plain)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plain(entry)]))
          : value;
    fc.assert(
      fc.property(record.map(plain), (value) => {
        const copy = cloneData(value);
        expect(copy).toStrictEqual(value);
        const originals = new Set(objects(value));
        expect(objects(copy).filter((object) => originals.has(object))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
