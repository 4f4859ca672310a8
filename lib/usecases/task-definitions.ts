import * as z from 'zod';
import { arns } from '../domain/arn';
import type { NetworkConfiguration, TaskDefinition, TaskDefinitionStatus } from '../domain/model';
import { parseTaskDefinitionRef, type ValidatedTaskDefinition } from '../domain/task-definition';
import { pageQuerySchema } from '../domain/validation';
import type { Deps } from '../deps';
import { ClientException, InvalidParameterException, TaskDefinitionNotFoundException } from '../errors';
import type { StoredTaskDefinition } from '../ports';

/** REST query of DescribeTaskDefinition: `?include=TAGS`. */
export const describeTaskDefinitionQuery = z.object({ include: z.literal('TAGS').optional() }).strict();

export const listTaskDefinitionsInput = pageQuerySchema
  .extend({
    familyPrefix: z.string().min(1).max(255).optional(),
    status: z.enum(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']).default('ACTIVE'),
    sort: z.enum(['ASC', 'DESC']).default('ASC'),
  })
  .strict();

export const listTaskDefinitionFamiliesInput = pageQuerySchema
  .extend({
    familyPrefix: z.string().min(1).max(255).optional(),
    status: z.enum(['ACTIVE', 'INACTIVE', 'ALL']).default('ALL'),
  })
  .strict();

export const deleteTaskDefinitionsInput = z
  .object({ taskDefinitions: z.array(z.string().min(1)).min(1).max(10) })
  .strict();

const presentStored = (stored: StoredTaskDefinition, includeTags: boolean) => ({
  taskDefinition: stored.taskDefinition,
  ...(includeTags ? { tags: stored.tags } : {}),
});

/** Takes a definition already checked by validateTaskDefinition (each API face parses its input). */
export const registerTaskDefinition = async (deps: Deps, definition: ValidatedTaskDefinition) => {
  const stored = await deps.taskDefinitions.register(definition, deps.clock.now());
  return presentStored(stored, stored.tags.length > 0);
};

/**
 * "family" (its latest ACTIVE revision), "family:revision" or an ARN, as ECS accepts everywhere a
 * task definition is named. Unknown ones are ECS's "Unable to describe task definition."
 */
export const resolveTaskDefinition = async (deps: Deps, reference: string): Promise<StoredTaskDefinition> => {
  const { family, revision } = parseTaskDefinitionRef(reference);
  const stored =
    revision === undefined
      ? await deps.taskDefinitions.latestActive(family)
      : await deps.taskDefinitions.get(family, revision);
  if (!stored) throw new TaskDefinitionNotFoundException();
  return stored;
};

/**
 * As resolveTaskDefinition, for starting new tasks (CreateService, UpdateService, RunTask): ECS
 * refuses an INACTIVE revision, one that cannot run on Fargate, and awsvpc without a network.
 */
export const resolveLaunchableTaskDefinition = async (
  deps: Deps,
  reference: string,
  network: NetworkConfiguration | undefined,
): Promise<TaskDefinition> => {
  const { taskDefinition } = await resolveTaskDefinition(deps, reference);
  if (taskDefinition.status !== 'ACTIVE') {
    throw new ClientException(`TaskDefinition is inactive: ${taskDefinition.taskDefinitionArn}`);
  }
  if (!taskDefinition.compatibilities.includes('FARGATE')) {
    throw new InvalidParameterException('Task definition does not support launch_type FARGATE.');
  }
  if (taskDefinition.networkMode === 'awsvpc' && !network?.awsvpcConfiguration) {
    throw new InvalidParameterException(
      "Network Configuration must be provided when networkMode 'awsvpc' is specified (networkConfiguration.awsvpcConfiguration).",
    );
  }
  return taskDefinition;
};

export const describeTaskDefinition = async (deps: Deps, reference: string, includeTags: boolean) =>
  presentStored(await resolveTaskDefinition(deps, reference), includeTags);

export const listTaskDefinitions = async (deps: Deps, input: z.output<typeof listTaskDefinitionsInput>) => {
  const page = await deps.taskDefinitions.list({
    familyPrefix: input.familyPrefix,
    status: input.status as TaskDefinitionStatus,
    sort: input.sort,
    maxResults: input.maxResults ?? 100,
    nextToken: input.nextToken,
  });
  return {
    taskDefinitionArns: page.items.map((definition) => definition.taskDefinitionArn),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};

export const listTaskDefinitionFamilies = async (deps: Deps, input: z.output<typeof listTaskDefinitionFamiliesInput>) => {
  const page = await deps.taskDefinitions.listFamilies({
    familyPrefix: input.familyPrefix,
    status: input.status,
    maxResults: input.maxResults ?? 100,
    nextToken: input.nextToken,
  });
  return { families: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

/** "family:revision" or an ARN with a revision: changes of state always name one revision. */
const requireRevision = (reference: string): { family: string; revision: number } => {
  const { family, revision } = parseTaskDefinitionRef(reference);
  if (revision === undefined) {
    throw new ClientException('A revision must be specified: use family:revision or the full ARN.');
  }
  return { family, revision };
};

export const deregisterTaskDefinition = async (deps: Deps, reference: string) => {
  const { family, revision } = requireRevision(reference);
  return { taskDefinition: await deps.taskDefinitions.deregister(family, revision, deps.clock.now()) };
};

/**
 * ECS's DeleteTaskDefinitions: INACTIVE revisions become DELETE_IN_PROGRESS (asking again is a
 * no-op); ACTIVE and unknown ones come back in `failures`. Every reference is checked before any
 * revision changes, so a malformed one leaves them all as they were.
 */
export const deleteTaskDefinitions = async (deps: Deps, input: z.output<typeof deleteTaskDefinitionsInput>) => {
  const references = input.taskDefinitions.map(requireRevision);
  const now = deps.clock.now();
  const results = await Promise.all(
    references.map(({ family, revision }) => deps.taskDefinitions.requestDeletion(family, revision, now)),
  );
  return {
    taskDefinitions: results.filter((definition) => definition !== undefined && definition.status !== 'ACTIVE'),
    failures: references.flatMap(({ family, revision }, index) => {
      const definition = results[index];
      const arn = arns.taskDefinition(deps.scope, family, revision);
      if (definition === undefined) return [{ arn, reason: 'MISSING' }];
      if (definition.status === 'ACTIVE') {
        return [{ arn, reason: 'ACTIVE', detail: 'Deregister the task definition before deleting it.' }];
      }
      return [];
    }),
  };
};
