import * as z from 'zod';
import { lazySchema } from './validation';

/** ECS resource names, in the configured region and account. */
export interface ArnScope {
  region: string;
  accountId: string;
}

const prefix = (scope: ArnScope) => `arn:aws:ecs:${scope.region}:${scope.accountId}`;

export const arns: {
  cluster(scope: ArnScope, clusterName: string): string;
  taskDefinition(scope: ArnScope, family: string, revision: number): string;
  taskDefinitionFamily(scope: ArnScope, family: string): string;
  service(scope: ArnScope, clusterName: string, serviceName: string): string;
  task(scope: ArnScope, clusterName: string, taskId: string): string;
  container(scope: ArnScope, clusterName: string, taskId: string, containerId: string): string;
  containerInstance(scope: ArnScope, clusterName: string, id: string): string;
} = {
  cluster: (scope: ArnScope, clusterName: string) => `${prefix(scope)}:cluster/${clusterName}`,
  taskDefinition: (scope: ArnScope, family: string, revision: number) =>
    `${arns.taskDefinitionFamily(scope, family)}${revision}`,
  /** What every revision's ARN of a family starts with. */
  taskDefinitionFamily: (scope: ArnScope, family: string) => `${prefix(scope)}:task-definition/${family}:`,
  service: (scope: ArnScope, clusterName: string, serviceName: string) =>
    `${prefix(scope)}:service/${clusterName}/${serviceName}`,
  task: (scope: ArnScope, clusterName: string, taskId: string) => `${prefix(scope)}:task/${clusterName}/${taskId}`,
  container: (scope: ArnScope, clusterName: string, taskId: string, containerId: string) =>
    `${prefix(scope)}:container/${clusterName}/${taskId}/${containerId}`,
  containerInstance: (scope: ArnScope, clusterName: string, id: string) => `${prefix(scope)}:container-instance/${clusterName}/${id}`,
};

/** Resource parts are made of names, ids, revisions and separators; anything else is not an ECS ARN. */
const arnPattern = /^arn:aws[a-z-]{0,16}:ecs:([a-z0-9-]{1,32}):(\d{12}):([a-z-]{1,32})\/([A-Za-z0-9_:/-]{1,600})$/;

export interface ParsedArn extends ArnScope {
  /** "cluster", "service", "task", "task-definition"... */
  resourceType: string;
  /** What follows the resource type: "NAME", "CLUSTER/NAME", "FAMILY:REV"... */
  resource: string;
}

/** The parts of an ECS ARN, or undefined for a plain name. */
export const parseArn = (value: string): ParsedArn | undefined => {
  const match = arnPattern.exec(value);
  return match ? { region: match[1], accountId: match[2], resourceType: match[3], resource: match[4] } : undefined;
};

/** The region and account of an ECS ARN that ecsbox itself issued. */
export const scopeOf = (value: string): ArnScope => {
  const arn = parseArn(value);
  if (!arn) throw new Error(`not an ECS ARN: ${value}`);
  return { region: arn.region, accountId: arn.accountId };
};

/** True when the ARN belongs to `scope`: an ARN of another account or region names nothing here. */
export const inScope = (arn: ArnScope, scope: ArnScope): boolean => arn.region === scope.region && arn.accountId === scope.accountId;

/**
 * The name (or id) a reference gives in `scope`: a plain name as it is, the last part of an ARN of
 * `resourceType` in scope. An ARN of another account or region, or of another kind of resource,
 * names nothing that exists here: undefined, which callers answer as not found.
 */
const lastPartIn = (resourceType: string) => (scope: ArnScope, value: string): string | undefined => {
  const arn = parseArn(value);
  if (!arn) return value;
  if (arn.resourceType !== resourceType || !inScope(arn, scope)) return undefined;
  return arn.resource.split('/').at(-1);
};

/** A cluster name or a cluster ARN, as every ECS operation's `cluster` parameter accepts. */
export const clusterNameOf = lastPartIn('cluster');
/** A service name or ARN (old "service/NAME" or new "service/CLUSTER/NAME" form). */
export const serviceNameOf = lastPartIn('service');
/** A task id or a task ARN ("task/CLUSTER/ID" or old "task/ID"). */
export const taskIdOf = lastPartIn('task');
/** A container instance id or ARN ("container-instance/CLUSTER/ID" or old "container-instance/ID"). */
export const containerInstanceIdOf = lastPartIn('container-instance');

/**
 * ECS's limits on the references a request carries, checked by one schema per kind of identifier
 * on both API faces before anything is read: a name (or task id) is up to 255 letters, numbers,
 * underscores and hyphens, and an ARN is made of such names. Nothing longer or stranger can name a
 * stored resource, and every key built from a reference stays far inside DynamoDB's key limits.
 */
const NAME = '[A-Za-z0-9_-]{1,255}';
const ARN_PREFIX = 'arn:aws[a-z-]{0,16}:ecs:[a-z0-9-]{1,32}:\\d{12}:';
/** Longer than any valid ARN of any kind ("service/CLUSTER/NAME" with both names at 255). */
export const MAX_REFERENCE_LENGTH = 1024;

const reference = (pattern: RegExp, what: string) =>
  z
    .string()
    .min(1, `must be a ${what}`)
    .max(MAX_REFERENCE_LENGTH, `must be a ${what} of at most ${MAX_REFERENCE_LENGTH} characters`)
    .regex(pattern, `must be a ${what}`);

/** Each built on its first use (lazySchema). */
export const references = {
  cluster: lazySchema(() => reference(new RegExp(`^(?:${NAME}|${ARN_PREFIX}cluster/${NAME})$`), 'cluster name or ARN')),
  service: lazySchema(() => reference(new RegExp(`^(?:${NAME}|${ARN_PREFIX}service/(?:${NAME}/)?${NAME})$`), 'service name or ARN')),
  task: lazySchema(() => reference(new RegExp(`^(?:${NAME}|${ARN_PREFIX}task/(?:${NAME}/)?${NAME})$`), 'task id or ARN')),
  containerInstance: lazySchema(() =>
    reference(new RegExp(`^(?:${NAME}|${ARN_PREFIX}container-instance/(?:${NAME}/)?${NAME})$`), 'container instance id or ARN'),
  ),
  /** "family", "family:revision" or an ARN; parseTaskDefinitionRef reads its grammar, this bounds its size. */
  taskDefinition: lazySchema(() =>
    z
      .string()
      .min(1, 'must be a task definition family, family:revision or ARN')
      .max(MAX_REFERENCE_LENGTH, `must be a task definition reference of at most ${MAX_REFERENCE_LENGTH} characters`),
  ),
  /** Any taggable ECS resource's ARN (TagResource, UntagResource, ListTagsForResource); parseArn reads it. */
  resourceArn: lazySchema(() =>
    z
      .string()
      .min(1, 'must be an ECS resource ARN')
      .max(MAX_REFERENCE_LENGTH, `must be an ECS resource ARN of at most ${MAX_REFERENCE_LENGTH} characters`),
  ),
};
