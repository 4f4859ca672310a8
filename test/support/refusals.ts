import { request } from './http';
import { tableSnapshot } from './table-snapshot';

/** A bad request over REST: its name, method, path, body, and the answer expected. */
export type RefusalCase = [name: string, method: string, path: string, body: unknown, status: number, type: string, message: RegExp];

/**
 * Bad input must get a 4xx with an ECS error name and a message naming the field, and leave the
 * stored data exactly as it was (the account's items and those of `clusters`).
 */
export const describeRefusals = (cases: RefusalCase[], clusters: string[]) =>
  it.each(cases)('%s → 4xx with an ECS error name, nothing stored', async (_name, method, path, body, status, type, message) => {
    const before = await tableSnapshot(clusters);
    const answer = await request(method, path, body);
    expect(answer.status).toBe(status);
    expect(answer.body.__type).toBe(type);
    expect(answer.body.message).toMatch(message);
    expect(await tableSnapshot(clusters)).toEqual(before);
  });
