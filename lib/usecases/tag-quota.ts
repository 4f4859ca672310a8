import type { Tag } from '../domain/model';
import type { Deps } from '../deps';
import { InvalidParameterException } from '../errors';

/** The account's tags-per-resource quota (ECS's 50, a sandbox's fewer; docs/limits.md). */
export const tagsPerResource = async (deps: Deps): Promise<number> => (await deps.quotas.of(deps.scope.accountId)).tagsPerResource;

export const tooManyTags = (limit: number) => new InvalidParameterException(`A resource can have at most ${limit} tags.`);

/** Refuses a new resource's tags past the quota, before anything is written. */
export const requireTagRoom = async (deps: Deps, tags: Tag[] | undefined): Promise<void> => {
  if (!tags?.length) return;
  const limit = await tagsPerResource(deps);
  if (tags.length > limit) throw tooManyTags(limit);
};
