import type { Tag } from '../domain/model';

/**
 * The answer of ECS's Describe* operations: what was found, tags only when asked for
 * (`include: ["TAGS"]`), and every name that was not found as a failure with reason MISSING.
 */
export const describedOrMissing = <Found, Shown extends { tags?: Tag[] }>(
  names: string[],
  found: Array<Found | undefined>,
  show: (found: Found) => Shown,
  arnOf: (name: string) => string,
  includeTags: boolean,
) => ({
  items: found
    .filter((item): item is Found => item !== undefined)
    .map(show)
    .map(({ tags, ...shown }) => (includeTags ? { ...shown, tags: tags ?? [] } : shown)),
  failures: names.filter((_, index) => found[index] === undefined).map((name) => ({ arn: arnOf(name), reason: 'MISSING' })),
});
