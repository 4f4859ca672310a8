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
};

/** The region and account an ECS ARN belongs to. */
export const scopeOf = (arn: string): ArnScope => {
  const match = /^arn:[^:]+:ecs:([^:]+):(\d{12}):/.exec(arn);
  if (!match) throw new Error(`not an ECS ARN: ${arn}`);
  return { region: match[1], accountId: match[2] };
};

const resourcePattern = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:([a-z-]+)\/(.+)$/;

/** The resource part of an ECS ARN ("cluster/NAME" → ["cluster", "NAME"]), or undefined for a plain name. */
export const parseArn = (value: string): { resourceType: string; resource: string } | undefined => {
  const match = resourcePattern.exec(value);
  return match ? { resourceType: match[1], resource: match[2] } : undefined;
};

/** Accepts a cluster name or a cluster ARN, as every ECS operation's `cluster` parameter does. */
export const clusterNameOf = (value: string): string => {
  const arn = parseArn(value);
  return arn?.resourceType === 'cluster' ? arn.resource : value;
};

/** Accepts a service name or ARN (old "service/NAME" or new "service/CLUSTER/NAME" form). */
export const serviceNameOf = (value: string): string => {
  const arn = parseArn(value);
  if (arn?.resourceType !== 'service') return value;
  const parts = arn.resource.split('/');
  return parts[parts.length - 1];
};

/** Accepts a task id or a task ARN ("task/CLUSTER/ID" or old "task/ID"). */
export const taskIdOf = (value: string): string => {
  const arn = parseArn(value);
  if (arn?.resourceType !== 'task') return value;
  const parts = arn.resource.split('/');
  return parts[parts.length - 1];
};
