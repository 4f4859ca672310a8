/**
 * The console's whole data layer: fetch against the public REST API (/v1), with conditional GETs
 * (the API's ETag, If-None-Match, 304 reuses the last body) and, in hosted mode, the bearer token
 * from POST /v1/session. Anything the console does, a user's own frontend can do with these calls.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'ecsbox.session';

interface Session {
  token: string;
  expiresAt: string;
}

const storedSession = (): Session | undefined => {
  try {
    const session = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null') as Session | null;
    return session && Date.parse(session.expiresAt) > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
};

let session = storedSession();

export const setSession = (next: Session | undefined) => {
  session = next;
  if (next) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(TOKEN_KEY);
  etags.clear();
};

export const signedIn = () => session !== undefined;

/** Told when the API refuses an unsigned (or expired) call: hosted mode wants a sign-in. */
const signInListeners = new Set<() => void>();
export const onSignInNeeded = (listener: () => void) => {
  signInListeners.add(listener);
  return () => signInListeners.delete(listener);
};

/** The last answer to each GET, by URL, for If-None-Match. */
const etags = new Map<string, { etag: string; body: unknown }>();

const errorFrom = async (response: Response): Promise<ApiError> => {
  let body: { __type?: string; message?: string } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: a proxy's or the network's answer
  }
  return new ApiError(response.status, body.__type ?? `HTTP ${response.status}`, body.message ?? response.statusText);
};

export const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const cached = method === 'GET' ? etags.get(path) : undefined;
  if (cached) headers['If-None-Match'] = cached.etag;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 304 && cached) return cached.body as T;
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 || (response.status === 403 && !session)) {
      if (session) setSession(undefined);
      for (const listener of signInListeners) listener();
    }
    throw error;
  }
  const result = (await response.json()) as T;
  const etag = response.headers.get('ETag');
  if (method === 'GET' && etag) etags.set(path, { etag, body: result });
  return result;
};

const enc = encodeURIComponent;

// ----- the shapes the console reads (ECS's, as the REST API renders them: ISO 8601 timestamps)

export interface Cluster {
  clusterName: string;
  clusterArn: string;
  status: string;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState?: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Service {
  serviceName: string;
  serviceArn: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  deployments: Deployment[];
  deploymentConfiguration?: {
    minimumHealthyPercent?: number;
    maximumPercent?: number;
    deploymentCircuitBreaker?: { enable: boolean; rollback: boolean };
  };
  events: Array<{ id: string; createdAt: string; message: string }>;
  createdAt: string;
}

export interface Container {
  name: string;
  image: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  healthStatus?: string;
  imageDigest?: string;
  runtimeId?: string;
}

export interface Task {
  taskArn: string;
  taskDefinitionArn: string;
  group?: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: Container[];
  attachments?: Array<{ id: string; type: string; status: string; details: Array<{ name: string; value: string }> }>;
  availabilityZone?: string;
  connectivity?: string;
  cpu?: string;
  memory?: string;
  createdAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  connectivityAt?: string;
  stoppingAt?: string;
  executionStoppedAt?: string;
  stoppedAt?: string;
}

export type TaskDefinition = Record<string, unknown> & {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: string;
  containerDefinitions: Array<Record<string, unknown>>;
};

/** The simulated load (docs/autoscaling.md): the CPU percent ONE task would show carrying it all. */
export interface LoadInput {
  shape?: 'constant' | 'step' | 'ramp' | 'sine' | 'spike';
  cpuUtilization: number;
  memoryUtilization?: number;
  then?: { cpuUtilization: number; memoryUtilization?: number };
  afterSeconds?: number;
  overSeconds?: number;
  forSeconds?: number;
  periodSeconds?: number;
}

export interface ServiceLoad {
  load: (LoadInput & { setAt?: string }) | null;
  current: {
    cpuUtilization: number;
    memoryUtilization: number;
    runningTasks: number;
    perTask: { cpuUtilization: number; memoryUtilization: number } | null;
    timeScale: number;
  };
}

export interface ServiceMetrics {
  metricName: string;
  periodSeconds: number;
  timeScale: number;
  start: string;
  end: string;
  datapoints: Array<{ timestamp: string; average: number; minimum: number; maximum: number }>;
}

export interface ScalingPolicy {
  PolicyName: string;
  PolicyType: 'TargetTrackingScaling' | 'StepScaling';
  TargetTrackingScalingPolicyConfiguration?: {
    TargetValue: number;
    PredefinedMetricSpecification?: { PredefinedMetricType: string };
    DisableScaleIn?: boolean;
    ScaleInCooldown?: number;
  };
}

export interface ScalingActivity {
  ActivityId: string;
  Description: string;
  Cause: string;
  StartTime: string;
  EndTime?: string;
  StatusCode: string;
  StatusMessage?: string;
  Details?: string;
  NotScaledReasons?: Array<{ Code: string; MinCapacity?: number; MaxCapacity?: number; CurrentCapacity?: number }>;
}

export interface ServiceScaling {
  scalableTarget: { MinCapacity: number; MaxCapacity: number; SuspendedState: Record<string, boolean> } | null;
  policies: ScalingPolicy[];
  scheduledActions: Array<{ ScheduledActionName: string; Schedule: string }>;
  activities: ScalingActivity[];
  notScaledBecause: string | null;
}

export const taskId = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);
/** "web:3" from a task definition ARN. */
export const familyRevision = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** Every page of a listing (the console's lists are a learner's: a few pages at most). */
const allPages = async (path: string, member: string): Promise<string[]> => {
  const items: string[] = [];
  let nextToken: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await request<Record<string, unknown>>('GET', nextToken ? `${path}${separator}nextToken=${enc(nextToken)}` : path);
    items.push(...((page[member] as string[]) ?? []));
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  return items;
};

export const api = {
  listClusters: async (): Promise<Cluster[]> => {
    const arns = await allPages('/v1/clusters', 'clusterArns');
    return Promise.all(arns.map(async (arn) => (await request<{ cluster: Cluster }>('GET', `/v1/clusters/${enc(arn.slice(arn.lastIndexOf('/') + 1))}`)).cluster));
  },
  createCluster: (clusterName: string) => request<{ cluster: Cluster }>('POST', '/v1/clusters', { clusterName }),
  describeCluster: async (cluster: string) => (await request<{ cluster: Cluster }>('GET', `/v1/clusters/${enc(cluster)}`)).cluster,
  listServices: async (cluster: string): Promise<Service[]> => {
    const arns = await allPages(`/v1/clusters/${enc(cluster)}/services`, 'serviceArns');
    return Promise.all(arns.map((arn) => api.describeService(cluster, arn.slice(arn.lastIndexOf('/') + 1))));
  },
  describeService: async (cluster: string, service: string) =>
    (await request<{ service: Service }>('GET', `/v1/clusters/${enc(cluster)}/services/${enc(service)}`)).service,
  createService: (cluster: string, input: Record<string, unknown>) =>
    request<{ service: Service }>('POST', `/v1/clusters/${enc(cluster)}/services`, input),
  updateService: (cluster: string, service: string, input: Record<string, unknown>) =>
    request<{ service: Service }>('PATCH', `/v1/clusters/${enc(cluster)}/services/${enc(service)}`, input),
  deleteService: (cluster: string, service: string) =>
    request<{ service: Service }>('DELETE', `/v1/clusters/${enc(cluster)}/services/${enc(service)}?force=true`),
  /** Task ids: by service or standalone, going up (RUNNING) or down/gone (STOPPED). */
  listTaskIds: async (cluster: string, filter: { serviceName?: string; desiredStatus: 'RUNNING' | 'STOPPED' }) => {
    const query = new URLSearchParams({ desiredStatus: filter.desiredStatus, ...(filter.serviceName ? { serviceName: filter.serviceName } : {}) });
    return (await allPages(`/v1/clusters/${enc(cluster)}/tasks?${query}`, 'taskArns')).map(taskId);
  },
  describeTask: async (cluster: string, id: string) => (await request<{ task: Task }>('GET', `/v1/clusters/${enc(cluster)}/tasks/${enc(id)}`)).task,
  runTask: (cluster: string, input: Record<string, unknown>) =>
    request<{ tasks: Task[]; failures: Array<{ arn?: string; reason: string; detail?: string }> }>('POST', `/v1/clusters/${enc(cluster)}/tasks`, input),
  stopTask: (cluster: string, id: string, reason: string) =>
    request<{ task: Task }>('POST', `/v1/clusters/${enc(cluster)}/tasks/${enc(id)}/stop`, { reason }),
  listFamilies: () => allPages('/v1/task-definition-families?status=ACTIVE', 'families'),
  listRevisions: async (family: string) =>
    (await allPages(`/v1/task-definitions?familyPrefix=${enc(family)}&status=ACTIVE`, 'taskDefinitionArns')).filter(
      (arn) => familyRevision(arn).split(':')[0] === family,
    ),
  describeTaskDefinition: async (reference: string) =>
    (await request<{ taskDefinition: TaskDefinition }>('GET', `/v1/task-definitions/${enc(reference)}`)).taskDefinition,
  registerTaskDefinition: (input: Record<string, unknown>) =>
    request<{ taskDefinition: TaskDefinition }>('POST', '/v1/task-definitions', input),
  getLoad: (cluster: string, service: string) => request<ServiceLoad>('GET', `/v1/clusters/${enc(cluster)}/services/${enc(service)}/load`),
  putLoad: (cluster: string, service: string, input: LoadInput) =>
    request<ServiceLoad>('PUT', `/v1/clusters/${enc(cluster)}/services/${enc(service)}/load`, input),
  /** The service's CPUUtilization, one datapoint per complete metric minute. */
  getMetrics: async (cluster: string, service: string, minutes: number) =>
    (await request<{ metrics: ServiceMetrics }>('GET', `/v1/clusters/${enc(cluster)}/services/${enc(service)}/metrics?minutes=${minutes}`)).metrics,
  getScaling: async (cluster: string, service: string) =>
    (await request<{ scaling: ServiceScaling }>('GET', `/v1/clusters/${enc(cluster)}/services/${enc(service)}/scaling`)).scaling,
};
