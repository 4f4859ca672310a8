import * as z from 'zod';
import { arns, inScope, parseArn, references, type ArnScope } from '../domain/arn';
import type { NetworkConfiguration, TaskDefinition, TaskDefinitionStatus } from '../domain/model';
import { parseTaskDefinitionRef, type ValidatedTaskDefinition } from '../domain/task-definition';
import { lazySchema, pageQuerySchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import { ClientException, InvalidParameterException, TaskDefinitionNotFoundException } from '../errors';
import type { StoredTaskDefinition } from '../ports';
import { requireTagRoom } from './tag-quota';

/** REST query of DescribeTaskDefinition: `?include=TAGS`. */
export const describeTaskDefinitionQuery = lazySchema(() => z.object({ include: z.literal('TAGS').optional() }).strict());

export const listTaskDefinitionsInput = lazySchema(() =>
  pageQuerySchema()
    .extend({
      familyPrefix: z.string().min(1).max(255).optional(),
      status: z.enum(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']).default('ACTIVE'),
      sort: z.enum(['ASC', 'DESC']).default('ASC'),
    })
    .strict(),
);

export const listTaskDefinitionFamiliesInput = lazySchema(() =>
  pageQuerySchema()
    .extend({
      familyPrefix: z.string().min(1).max(255).optional(),
      status: z.enum(['ACTIVE', 'INACTIVE', 'ALL']).default('ALL'),
    })
    .strict(),
);

export const deleteTaskDefinitionsInput = lazySchema(() =>
  z
    .object({ taskDefinitions: z.array(references.taskDefinition()).min(1).max(10) })
    .strict(),
);

const presentStored = (stored: StoredTaskDefinition, includeTags: boolean) => ({
  taskDefinition: stored.taskDefinition,
  ...(includeTags ? { tags: stored.tags } : {}),
});

/** Takes a definition already checked by validateTaskDefinition (each API face parses its input). */
export const registerTaskDefinition = async (deps: Deps, definition: ValidatedTaskDefinition) => {
  await requireTagRoom(deps, definition.tags);
  const stored = await deps.taskDefinitions.register(definition, deps.clock.now());
  return presentStored(stored, stored.tags.length > 0);
};

/** A reference as parseTaskDefinitionRef reads it; an ARN of another account or region names nothing here. */
const parseInScope = (scope: ArnScope, reference: string) => {
  const arn = parseArn(reference);
  if (arn && !inScope(arn, scope)) throw new TaskDefinitionNotFoundException();
  return parseTaskDefinitionRef(reference);
};

/**
 * "family" (its latest ACTIVE revision), "family:revision" or an ARN, as ECS accepts everywhere a
 * task definition is named. Unknown ones are ECS's "Unable to describe task definition."
 */
export const resolveTaskDefinition = async (deps: Deps, reference: string): Promise<StoredTaskDefinition> => {
  const { family, revision } = parseInScope(deps.scope, reference);
  const stored =
    revision === undefined
      ? await deps.taskDefinitions.latestActive(family)
      : await deps.taskDefinitions.get(family, revision);
  if (!stored) throw new TaskDefinitionNotFoundException();
  return stored;
};

/**
 * As resolveTaskDefinition, for starting new tasks (CreateService, UpdateService, RunTask,
 * StartTask): ECS refuses an INACTIVE revision, one that cannot run on the launch type (a
 * definition that did not require FARGATE is EC2-only), awsvpc without a network, and a network
 * configuration for any other mode.
 */
export const resolveLaunchableTaskDefinition = async (
  deps: Deps,
  reference: string,
  network: NetworkConfiguration | undefined,
  launchType: 'FARGATE' | 'EC2' = 'FARGATE',
): Promise<TaskDefinition> => {
  const { taskDefinition } = await resolveTaskDefinition(deps, reference);
  if (taskDefinition.status !== 'ACTIVE') {
    throw new ClientException(`TaskDefinition is inactive: ${taskDefinition.taskDefinitionArn}`);
  }
  if (!taskDefinition.compatibilities.includes(launchType)) {
    throw new InvalidParameterException(`Task definition does not support launch_type ${launchType}.`);
  }
  if (taskDefinition.networkMode === 'awsvpc' && !network?.awsvpcConfiguration) {
    throw new InvalidParameterException(
      "Network Configuration must be provided when networkMode 'awsvpc' is specified (networkConfiguration.awsvpcConfiguration).",
    );
  }
  if (taskDefinition.networkMode !== 'awsvpc' && network?.awsvpcConfiguration) {
    throw new InvalidParameterException('Network Configuration is not valid for the given networkMode of this task definition.');
  }
  return taskDefinition;
};

export const describeTaskDefinition = async (deps: Deps, reference: string, includeTags: boolean) =>
  presentStored(await resolveTaskDefinition(deps, reference), includeTags);

export const listTaskDefinitions = async (deps: Deps, input: SchemaOutput<typeof listTaskDefinitionsInput>) => {
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

export const listTaskDefinitionFamilies = async (deps: Deps, input: SchemaOutput<typeof listTaskDefinitionFamiliesInput>) => {
  const page = await deps.taskDefinitions.listFamilies({
    familyPrefix: input.familyPrefix,
    status: input.status,
    maxResults: input.maxResults ?? 100,
    nextToken: input.nextToken,
  });
  return { families: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
};

/** "family:revision" or an ARN with a revision: changes of state always name one revision. */
const requireRevision = (scope: ArnScope, reference: string): { family: string; revision: number } => {
  const { family, revision } = parseInScope(scope, reference);
  if (revision === undefined) {
    throw new ClientException('A revision must be specified: use family:revision or the full ARN.');
  }
  return { family, revision };
};

export const deregisterTaskDefinition = async (deps: Deps, reference: string) => {
  const { family, revision } = requireRevision(deps.scope, reference);
  return { taskDefinition: await deps.taskDefinitions.deregister(family, revision, deps.clock.now()) };
};

/** ECS's reasons in DeleteTaskDefinitions failures. */
export const DELETE_FAILURE = {
  invalid: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
  missing: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
  active: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
} as const;

type DeletionOutcome = { definition: TaskDefinition } | { failure: { arn: string; reason: string } };

/**
 * ECS's DeleteTaskDefinitions: INACTIVE revisions become DELETE_IN_PROGRESS (asking again is a
 * no-op). Each reference stands alone: a malformed, unknown or ACTIVE one becomes an entry in
 * `failures` (its identifier echoed as given, ECS's sentence as the reason) and the rest proceed.
 */
export const deleteTaskDefinitions = async (deps: Deps, input: SchemaOutput<typeof deleteTaskDefinitionsInput>) => {
  const now = deps.clock.now();
  const deleteOne = async (reference: string): Promise<DeletionOutcome> => {
    const failure = (reason: string) => ({ failure: { arn: reference, reason } });
    let revision: { family: string; revision: number };
    try {
      revision = requireRevision(deps.scope, reference);
    } catch (error) {
      if (error instanceof ClientException) return failure(DELETE_FAILURE.invalid);
      // An ARN of another account or region names nothing here.
      if (error instanceof TaskDefinitionNotFoundException) return failure(DELETE_FAILURE.missing);
      throw error;
    }
    const definition = await deps.taskDefinitions.requestDeletion(revision.family, revision.revision, now);
    if (definition === undefined) return failure(DELETE_FAILURE.missing);
    if (definition.status === 'ACTIVE') return failure(DELETE_FAILURE.active);
    return { definition };
  };
  const outcomes = await Promise.all(input.taskDefinitions.map(deleteOne));
  return {
    taskDefinitions: outcomes.flatMap((outcome) => ('definition' in outcome ? [outcome.definition] : [])),
    failures: outcomes.flatMap((outcome) => ('failure' in outcome ? [outcome.failure] : [])),
  };
};
