/** A RegisterTaskDefinition request for a small Fargate web task, with any field replaced. */
export const fargateTaskDefinition = (family: string, overrides: Record<string, unknown> = {}) => ({
  family,
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
  ...overrides,
});
