/**
 * Inside ecsbox every timestamp is epoch milliseconds. Each API face renders them its own way:
 * ISO 8601 on REST (what a browser wants), epoch seconds on the ECS wire protocol (what the AWS
 * SDKs parse). Only the model's own timestamp members are rendered, found by their place in the
 * output: a user's document (docker labels, log options, overrides...) is echoed exactly, even
 * where its keys end in "At".
 */
export type Shape = 'timestamp' | { [member: string]: Shape };

const taskDefinition: Shape = { registeredAt: 'timestamp', deregisteredAt: 'timestamp' };
const cluster: Shape = { createdAt: 'timestamp' };
const service: Shape = {
  createdAt: 'timestamp',
  deployments: { createdAt: 'timestamp', updatedAt: 'timestamp' },
  events: { createdAt: 'timestamp' },
};
const task: Shape = {
  createdAt: 'timestamp',
  pullStartedAt: 'timestamp',
  pullStoppedAt: 'timestamp',
  startedAt: 'timestamp',
  stoppingAt: 'timestamp',
  stoppedAt: 'timestamp',
  executionStoppedAt: 'timestamp',
  connectivityAt: 'timestamp',
};

const containerInstance: Shape = {
  registeredAt: 'timestamp',
  healthStatus: { details: { lastUpdated: 'timestamp', lastStatusChange: 'timestamp' } },
};

/** Where timestamps are in every operation's output; an array member takes its elements' shape. */
const outputShape: Shape = {
  cluster,
  clusters: cluster,
  taskDefinition,
  taskDefinitions: taskDefinition,
  service,
  services: service,
  task,
  tasks: task,
  /** A service's simulated load (lib/usecases/load.ts). */
  load: { setAt: 'timestamp' },
  /** A service's metric datapoints (lib/usecases/load.ts). */
  metrics: { start: 'timestamp', end: 'timestamp', datapoints: { timestamp: 'timestamp' } },
  /** A service's auto scaling (lib/usecases/scaling.ts). */
  scaling: {
    scalableTarget: { CreationTime: 'timestamp' },
    policies: { CreationTime: 'timestamp' },
    scheduledActions: { CreationTime: 'timestamp', StartTime: 'timestamp', EndTime: 'timestamp' },
    activities: { StartTime: 'timestamp', EndTime: 'timestamp' },
  },
  containerInstance,
  containerInstances: containerInstance,
};

export const render = (value: unknown, shape: Shape, timestamp: (epochMs: number) => unknown): unknown => {
  if (shape === 'timestamp') return typeof value === 'number' ? timestamp(value) : value;
  if (Array.isArray(value)) return value.map((entry) => render(entry, shape, timestamp));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [key, Object.hasOwn(shape, key) ? render(entry, shape[key], timestamp) : entry]),
  );
};

export const presentRest = (value: unknown) => render(value, outputShape, (ms) => new Date(ms).toISOString());

export const presentEcs = (value: unknown) => render(value, outputShape, (ms) => ms / 1000);
