import type { TaskDefinition } from './api';

/**
 * The simulated fleet's deliberate failures (docs/simulated-fleet.md, "Failures on purpose"): an
 * ordinary container environment variable, set in a task definition or a RunTask override.
 */
export const FAILURES = [
  { id: 'pull-error', label: 'Image pull error', env: [{ name: 'ECSBOX_SIMULATE', value: 'pull-error' }] },
  { id: 'exit', label: 'Crash (exit 1 after 10 s)', env: [{ name: 'ECSBOX_SIMULATE', value: 'exit' }] },
  { id: 'unhealthy', label: 'Failing health check', env: [{ name: 'ECSBOX_SIMULATE', value: 'unhealthy' }] },
  { id: 'oom', label: 'Out of memory', env: [{ name: 'ECSBOX_SIMULATE', value: 'oom' }] },
] as const;

export type FailureId = (typeof FAILURES)[number]['id'];

const failure = (id: FailureId) => FAILURES.find((candidate) => candidate.id === id)!;

/** What DescribeTaskDefinition adds that RegisterTaskDefinition does not take. */
const DESCRIBED_ONLY = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt'];

/** A described revision as the input that registers it again (the next revision). */
export const registrationInput = (taskDefinition: TaskDefinition): Record<string, unknown> =>
  Object.fromEntries(Object.entries(taskDefinition).filter(([key]) => !DESCRIBED_ONLY.includes(key)));

type Environment = Array<{ name: string; value: string }>;

const withVariables = (environment: Environment | undefined, variables: readonly { name: string; value: string }[]) => [
  ...(environment ?? []).filter((entry) => !variables.some((variable) => variable.name === entry.name)),
  ...variables,
];

/** The next revision of `taskDefinition` with the failure set on every container. */
export const failingRevision = (taskDefinition: TaskDefinition, id: FailureId) => {
  const input = registrationInput(taskDefinition);
  input.containerDefinitions = taskDefinition.containerDefinitions.map((container) => ({
    ...container,
    environment: withVariables(container.environment as Environment | undefined, failure(id).env),
  }));
  return input;
};

/** RunTask overrides that make this one run fail (every container), leaving the revision alone. */
export const failureOverrides = (taskDefinition: TaskDefinition, id: FailureId) => ({
  containerOverrides: taskDefinition.containerDefinitions.map((container) => ({ name: container.name as string, environment: [...failure(id).env] })),
});
