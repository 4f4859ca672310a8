import * as z from 'zod';
import { inScope, parseArn, references } from '../domain/arn';
import type { Tag } from '../domain/model';
import { parseTaskDefinitionRef } from '../domain/task-definition';
import { lazySchema, tagsSchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import {
  ClientException,
  ClusterNotFoundException,
  InvalidParameterException,
  ResourceNotFoundException,
  ServiceNotFoundException,
  TaskNotFoundException,
  type DomainError,
} from '../errors';
import { retryOnConflict } from '../retry';
import type { TagChange } from '../ports';
import { tagsPerResource, tooManyTags } from './tag-quota';

/** TagResource, UntagResource and ListTagsForResource: tags of any taggable resource, named by ARN. */

export const tagResourceInput = lazySchema(() => z.object({ resourceArn: references.resourceArn(), tags: tagsSchema() }).strict());

export const untagResourceInput = lazySchema(() =>
  z
    .object({ resourceArn: references.resourceArn(), tagKeys: z.array(z.string().min(1).max(128)).max(50) })
    .strict(),
);

export const listTagsForResourceInput = lazySchema(() => z.object({ resourceArn: references.resourceArn() }).strict());


interface Taggable {
  /** The resource's tags, or undefined when it does not exist. */
  read(deps: Deps, resource: string): Promise<Tag[] | undefined>;
  update(deps: Deps, resource: string, change: TagChange): Promise<Tag[] | undefined>;
  notFound(): DomainError;
}

/** A task definition ARN names one revision ("task-definition/FAMILY:REV"). */
const revisionOf = (resource: string) => {
  const { family, revision } = parseTaskDefinitionRef(resource);
  if (revision === undefined) throw new ClientException('A task definition ARN must include the revision.');
  return { family, revision };
};

/** "CLUSTER/NAME" from a service or task ARN's resource part. */
const clusterAndName = (resource: string) => {
  const parts = resource.split('/');
  if (parts.length !== 2) throw new InvalidParameterException(`Use the long ARN format, with the cluster: ${resource}.`);
  return { cluster: parts[0], name: parts[1] };
};

/**
 * Services and tasks keep their tags in their own versioned record: read, change, write with the
 * version read, and again on a conflict, so concurrent tag changes never lose one another.
 */
const versionedTags = async <R extends { tags?: Tag[]; version: number }>(
  read: () => Promise<R | undefined>,
  save: (record: R) => Promise<void>,
  change: TagChange,
): Promise<Tag[] | undefined> =>
  retryOnConflict(
    async () => {
      const record = await read();
      if (!record) return undefined;
      const tags = change(record.tags ?? []);
      await save({ ...record, tags, version: record.version + 1 });
      return tags;
    },
    30,
    'Too many concurrent tag changes to this resource; try again.',
  );

/** A record's tags, or undefined when there is no record. */
const tagsOf = (record: { tags?: Tag[] } | undefined) => (record ? (record.tags ?? []) : undefined);

const liveService = async (deps: Deps, resource: string) => {
  const { cluster, name } = clusterAndName(resource);
  const stored = await deps.services.get(cluster, name);
  return stored && stored.service.status !== 'INACTIVE' ? stored.service : undefined;
};

const knownTask = (deps: Deps, resource: string) => {
  const { cluster, name } = clusterAndName(resource);
  return deps.tasks.get(cluster, name);
};

/** What can be tagged, by the resource type in its ARN. */
const taggable: Record<string, Taggable> = {
  service: {
    read: async (deps, resource) => tagsOf(await liveService(deps, resource)),
    update: (deps, resource, change) =>
      versionedTags(() => liveService(deps, resource), (service) => deps.services.save(service), change),
    notFound: () => new ServiceNotFoundException(),
  },
  task: {
    read: async (deps, resource) => tagsOf(await knownTask(deps, resource)),
    update: (deps, resource, change) => versionedTags(() => knownTask(deps, resource), (task) => deps.tasks.save(task), change),
    notFound: () => new TaskNotFoundException(),
  },
  cluster: {
    read: async (deps, resource) => {
      const cluster = await deps.clusters.get(resource);
      return cluster?.status === 'ACTIVE' ? (cluster.tags ?? []) : undefined;
    },
    update: (deps, resource, change) => deps.clusters.updateTags(resource, change),
    notFound: () => new ClusterNotFoundException(),
  },
  'task-definition': {
    read: async (deps, resource) => {
      const { family, revision } = revisionOf(resource);
      return (await deps.taskDefinitions.get(family, revision))?.tags;
    },
    update: (deps, resource, change) => {
      const { family, revision } = revisionOf(resource);
      return deps.taskDefinitions.updateTags(family, revision, change);
    },
    notFound: () => new ResourceNotFoundException('The specified task definition does not exist.'),
  },
};

const taggableOf = (deps: Deps, resourceArn: string): { kind: Taggable; resource: string } => {
  const arn = parseArn(resourceArn);
  const kind = arn && Object.hasOwn(taggable, arn.resourceType) ? taggable[arn.resourceType] : undefined;
  if (!arn || !kind) throw new InvalidParameterException(`The ARN ${resourceArn} does not name a taggable resource.`);
  // A resource of another account or region does not exist here.
  if (!inScope(arn, deps.scope)) throw kind.notFound();
  return { kind, resource: arn.resource };
};

const changeTags = async (deps: Deps, resourceArn: string, change: TagChange): Promise<Record<string, never>> => {
  const { kind, resource } = taggableOf(deps, resourceArn);
  if ((await kind.update(deps, resource, change)) === undefined) throw kind.notFound();
  return {};
};

/** New keys are added, existing keys get the new value. */
const addingTags =
  (added: Tag[], limit: number): TagChange =>
  (current) => {
    // The account's quota (ECS's 50 at most), counted after the new tags are merged with the ones the resource has.
    const merged = new Map([...current, ...added].map((tag) => [tag.key, tag.value]));
    if (merged.size > limit) throw tooManyTags(limit);
    return [...merged].map(([key, value]) => ({ key, value }));
  };

/** Keys the resource does not have are ignored, as in ECS. */
const removingTags =
  (keys: string[]): TagChange =>
  (current) =>
    current.filter((tag) => !keys.includes(tag.key));

export const tagResource = async (deps: Deps, input: SchemaOutput<typeof tagResourceInput>) =>
  changeTags(deps, input.resourceArn, addingTags(input.tags, await tagsPerResource(deps)));

export const untagResource = (deps: Deps, input: SchemaOutput<typeof untagResourceInput>) =>
  changeTags(deps, input.resourceArn, removingTags(input.tagKeys));

export const listTagsForResource = async (deps: Deps, input: SchemaOutput<typeof listTagsForResourceInput>) => {
  const { kind, resource } = taggableOf(deps, input.resourceArn);
  const tags = await kind.read(deps, resource);
  if (tags === undefined) throw kind.notFound();
  return { tags };
};
