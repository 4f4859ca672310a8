/**
 * RegisterTaskDefinition: the request schema, the rules ECS applies before it stores a revision,
 * and task definition references. Pure: no I/O.
 *
 * The zod schema checks shapes and fixed ranges only (it also feeds the OpenAPI document, so it
 * holds nothing z.toJSONSchema cannot represent); rules that need ECS's wording or look at more
 * than one field live in validateTaskDefinition.
 */
import * as z from 'zod';
import { ClientException } from '../errors';
import { arns, parseArn } from './arn';
import type { ContainerDefinition, HealthCheck, PortMapping, Tag, TaskDefinition } from './model';
import { MAX_ECS_INTEGER, lazySchema, parseInput, stringMap, type SchemaOutput } from './validation';

const MAX_DOCUMENT_BYTES = 64 * 1024;
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const FAMILY_MESSAGE =
  'Family contains invalid characters or is too long. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.';
const CONTAINER_NAME_MESSAGE =
  'Container name contains invalid characters or is too long. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.';

// Range messages are predicates on the field; formatIssue puts the field's path in front.
const between = (min: number, max: number) => `must be between ${min} and ${max}`;
// The upper bound is checked before .int(): a huge number (1e20) is told ECS's bound, not the
// safe-integer limit of zod's integer check; a fraction is still told it must be an integer.
const intBetween = (min: number, max: number) =>
  z.number().max(max, { error: between(min, max) }).int().min(min, { error: between(min, max) });
/** ECS's Integer members have no smaller documented bound than a 32-bit integer's. */
const intAtLeast = (min: number) =>
  z
    .number()
    .max(MAX_ECS_INTEGER, { error: `must be at most ${MAX_ECS_INTEGER}` })
    .int()
    .min(min, { error: `must be at least ${min}` });
const VOLUME_KINDS = ['host', 'dockerVolumeConfiguration', 'efsVolumeConfiguration', 'fsxWindowsFileServerVolumeConfiguration'] as const;

/**
 * The RegisterTaskDefinition request body, with ECS's field names. Built on first use
 * (lazySchema): it is the largest schema, and only RegisterTaskDefinition needs it.
 */
export const registerTaskDefinitionSchema = lazySchema(() => {
  const shortString = z.string().max(1024, { error: 'must be at most 1024 characters long' });
  const nameValuePair = z.strictObject({ name: z.string(), valueFrom: z.string() });
  // Docker labels and log options: ECS documents no limit but the 64 KiB of the whole document.
  const optionsMap = stringMap({ keyLength: 255, valueLength: 32_768 });

  const keyValuePair = z.strictObject({ name: z.string(), value: z.string() });

  const portMappingSchema = z.strictObject({
    containerPort: intBetween(1, 65535),
    // 0 asks for a dynamic host port in bridge mode; awsvpc and host mode reject it in validation.
    hostPort: intBetween(0, 65535).optional(),
    protocol: z.enum(['tcp', 'udp']).optional(),
    name: z.string().optional(),
    appProtocol: z.enum(['http', 'http2', 'grpc']).optional(),
  });

  const healthCheckSchema = z.strictObject({
    command: z.array(z.string()),
    interval: intBetween(5, 300).optional(),
    timeout: intBetween(2, 60).optional(),
    retries: intBetween(1, 10).optional(),
    startPeriod: intBetween(0, 300).optional(),
  });

  const containerDependencySchema = z.strictObject({
    containerName: z.string(),
    condition: z.enum(['START', 'COMPLETE', 'SUCCESS', 'HEALTHY']),
  });

  /**
   * Unlike every other object here, a container definition drops unknown keys instead of
   * rejecting them: ECS defines some fifty container fields ecsbox does not model, and
   * DescribeTaskDefinition output (which people re-register) carries several of them even when
   * unused ("mountPoints": [], "volumesFrom": [], "systemControls": []).
   */
  const containerDefinitionSchema = z.object({
    name: z.string(),
    image: z.string(),
    cpu: intAtLeast(0).optional(),
    // Docker refuses to start a container with less than 6 MiB.
    memory: intAtLeast(6).optional(),
    memoryReservation: intAtLeast(6).optional(),
    essential: z.boolean().optional(),
    portMappings: z.array(portMappingSchema).optional(),
    environment: z.array(keyValuePair).optional(),
    secrets: z.array(nameValuePair).optional(),
    mountPoints: z
      .array(z.strictObject({ sourceVolume: z.string(), containerPath: z.string(), readOnly: z.boolean().optional() }))
      .optional(),
    volumesFrom: z.array(z.strictObject({ sourceContainer: z.string(), readOnly: z.boolean().optional() })).optional(),
    systemControls: z.array(z.strictObject({ namespace: z.string(), value: z.string() })).optional(),
    dockerLabels: optionsMap.optional(),
    command: z.array(z.string()).optional(),
    entryPoint: z.array(z.string()).optional(),
    workingDirectory: z.string().optional(),
    healthCheck: healthCheckSchema.optional(),
    dependsOn: z.array(containerDependencySchema).optional(),
    stopTimeout: intAtLeast(0).optional(),
    startTimeout: intAtLeast(0).optional(),
    logConfiguration: z
      .strictObject({
        logDriver: z.enum([
          'json-file',
          'syslog',
          'journald',
          'gelf',
          'fluentd',
          'awslogs',
          'splunk',
          'awsfirelens',
        ]),
        options: optionsMap.optional(),
        secretOptions: z.array(nameValuePair).optional(),
      })
      .optional(),
    firelensConfiguration: z
      .strictObject({ type: z.enum(['fluentd', 'fluentbit']), options: optionsMap.optional() })
      .optional(),
  });

  const authorizationEnabled = z.enum(['ENABLED', 'DISABLED']);

  /** ECS's Volume structure; exactly one kind of configuration at most (checked in validation). */
  const volumeSchema = z.strictObject({
    name: z.string(),
    host: z.strictObject({ sourcePath: shortString.optional() }).optional(),
    configuredAtLaunch: z.boolean().optional(),
    dockerVolumeConfiguration: z
      .strictObject({
        scope: z.enum(['task', 'shared']).optional(),
        autoprovision: z.boolean().optional(),
        driver: shortString.optional(),
        driverOpts: optionsMap.optional(),
        labels: optionsMap.optional(),
      })
      .optional(),
    efsVolumeConfiguration: z
      .strictObject({
        fileSystemId: shortString,
        rootDirectory: shortString.optional(),
        transitEncryption: authorizationEnabled.optional(),
        transitEncryptionPort: intBetween(1, 65535).optional(),
        authorizationConfig: z
          .strictObject({ accessPointId: shortString.optional(), iam: authorizationEnabled.optional() })
          .optional(),
      })
      .optional(),
    fsxWindowsFileServerVolumeConfiguration: z
      .strictObject({
        fileSystemId: shortString,
        rootDirectory: shortString,
        authorizationConfig: z.strictObject({ credentialsParameter: shortString, domain: shortString }),
      })
      .optional(),
  });

  const tagSchema = z.strictObject({
    key: z
      .string()
      .min(1, { error: 'must be between 1 and 128 characters long' })
      .max(128, { error: 'must be between 1 and 128 characters long' }),
    value: z.string().max(256, { error: 'must be at most 256 characters long' }),
  });

  return z.strictObject({
    family: z.string(),
    containerDefinitions: z
      .array(containerDefinitionSchema)
      .min(1, { error: 'must contain between 1 and 10 container definitions' })
      .max(10, { error: 'must contain between 1 and 10 container definitions' }),
    /** CPU units ("256") or vCPUs ("0.25 vCPU"). */
    cpu: z.string().optional(),
    /** MiB ("512") or GB ("0.5 GB"). */
    memory: z.string().optional(),
    networkMode: z.enum(['awsvpc', 'bridge', 'host', 'none']).optional(),
    requiresCompatibilities: z.array(z.enum(['EC2', 'FARGATE', 'EXTERNAL'])).optional(),
    taskRoleArn: z.string().optional(),
    executionRoleArn: z.string().optional(),
    runtimePlatform: z
      .strictObject({
        cpuArchitecture: z.enum(['X86_64', 'ARM64']).optional(),
        operatingSystemFamily: z
          .enum([
            'LINUX',
            'WINDOWS_SERVER_2016_FULL',
            'WINDOWS_SERVER_2019_FULL',
            'WINDOWS_SERVER_2019_CORE',
            'WINDOWS_SERVER_2004_CORE',
            'WINDOWS_SERVER_20H2_CORE',
            'WINDOWS_SERVER_2022_FULL',
            'WINDOWS_SERVER_2022_CORE',
            'WINDOWS_SERVER_2025_FULL',
            'WINDOWS_SERVER_2025_CORE',
          ])
          .optional(),
      })
      .optional(),
    // Nothing in ecsbox mounts volumes; they are checked and echoed as ECS does.
    volumes: z.array(volumeSchema).max(100, { error: 'must contain at most 100 volumes' }).optional(),
    ephemeralStorage: z.strictObject({ sizeInGiB: intBetween(21, 200) }).optional(),
    proxyConfiguration: z
      .strictObject({
        type: z.literal('APPMESH').optional(),
        containerName: z.string(),
        properties: z.array(keyValuePair).max(20, { error: 'must contain at most 20 properties' }).optional(),
      })
      .optional(),
    placementConstraints: z
      .array(z.strictObject({ type: z.literal('memberOf'), expression: z.string().optional() }))
      .max(10, { error: 'must contain at most 10 constraints' })
      .optional(),
    tags: z.array(tagSchema).max(50, { error: 'must contain at most 50 tags' }).optional(),
    pidMode: z.enum(['host', 'task']).optional(),
    ipcMode: z.enum(['host', 'task', 'none']).optional(),
  });
});

export type RegisterTaskDefinitionInput = z.input<ReturnType<typeof registerTaskDefinitionSchema>>;
type RegisterRequest = SchemaOutput<typeof registerTaskDefinitionSchema>;
type ContainerRequest = RegisterRequest['containerDefinitions'][number];
type Volume = NonNullable<RegisterRequest['volumes']>[number];

/** A task definition as validated and normalised, before the store gives it an ARN and revision. */
export type ValidatedTaskDefinition = Omit<
  TaskDefinition,
  'taskDefinitionArn' | 'revision' | 'status' | 'registeredAt' | 'deregisteredAt' | 'registeredBy'
> & { tags?: Tag[] };

type NetworkMode = TaskDefinition['networkMode'];
type Compatibility = TaskDefinition['compatibilities'][number];

const steps = (from: number, to: number, step: number): number[] =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/** Task cpu units → the memory sizes (MiB) Fargate offers with it [fargate-tasks-services]. */
const FARGATE_TASK_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, steps(1024, 4096, 1024)],
  [1024, steps(2048, 8192, 1024)],
  [2048, steps(4096, 16384, 1024)],
  [4096, steps(8192, 30720, 1024)],
  [8192, steps(16384, 61440, 4096)],
  [16384, steps(32768, 122880, 8192)],
  [32768, [61440, 122880, 249856]],
]);

/**
 * Checks a RegisterTaskDefinition request against ECS's rules and returns it normalised: cpu in
 * units and memory in MiB (as strings), defaults filled in (essential, networkMode, health check
 * timings, port mapping protocol), absent optional fields left out.
 */
export function validateTaskDefinition(input: unknown): ValidatedTaskDefinition {
  // Measured before parsing so that an oversized document costs no schema work.
  const document = JSON.stringify(input) ?? '';
  if (Buffer.byteLength(document, 'utf8') > MAX_DOCUMENT_BYTES) {
    throw new ClientException('Task definition size exceeds the 64 KiB limit.');
  }
  const request = parseInput(registerTaskDefinitionSchema(), input);
  if (!NAME_PATTERN.test(request.family)) throw new ClientException(FAMILY_MESSAGE);

  const { requiresCompatibilities } = request;
  const fargate = requiresCompatibilities?.includes('FARGATE') ?? false;
  // ECS's default; Fargate then rejects it, as ECS does.
  const networkMode: NetworkMode = request.networkMode ?? 'bridge';
  const cpu = request.cpu === undefined ? undefined : parseTaskCpu(request.cpu);
  const memory = request.memory === undefined ? undefined : parseTaskMemory(request.memory);
  if (fargate) checkFargate(request, cpu, memory, networkMode);

  checkContainerNames(request.containerDefinitions);
  const volumes = (request.volumes ?? []).map(normaliseVolume);
  const containers = request.containerDefinitions.map((container, index) =>
    normaliseContainer(container, `containerDefinitions[${index}]`, networkMode, fargate),
  );
  if (!containers.some((container) => container.essential)) {
    throw new ClientException(
      'Invalid setting for containerDefinitions. At least one container must be essential.',
    );
  }
  checkDependencies(containers);
  checkMounts(containers, volumes);
  checkResources(containers, cpu, memory);
  if (
    fargate &&
    request.executionRoleArn === undefined &&
    containers.some((container) => container.logConfiguration?.logDriver === 'awslogs')
  ) {
    throw new ClientException(
      "Invalid 'executionRoleArn' setting for task. Fargate requires task definition to have execution role ARN to support log driver awslogs.",
    );
  }
  const { proxyConfiguration } = request;
  if (proxyConfiguration !== undefined && !containers.some((container) => container.name === proxyConfiguration.containerName)) {
    throw new ClientException(
      `Invalid 'proxyConfiguration.containerName' setting for task. Container '${proxyConfiguration.containerName}' is not defined in this task definition.`,
    );
  }

  return {
    family: request.family,
    containerDefinitions: containers,
    ...(cpu !== undefined && { cpu: String(cpu) }),
    ...(memory !== undefined && { memory: String(memory) }),
    networkMode,
    // ECS leaves requiresCompatibilities out of its answer when the request did.
    ...(requiresCompatibilities !== undefined && { requiresCompatibilities }),
    compatibilities: compatibilitiesOf(requiresCompatibilities ?? []),
    ...(request.taskRoleArn !== undefined && { taskRoleArn: request.taskRoleArn }),
    ...(request.executionRoleArn !== undefined && { executionRoleArn: request.executionRoleArn }),
    ...(request.runtimePlatform !== undefined && { runtimePlatform: request.runtimePlatform }),
    ...(request.ephemeralStorage !== undefined && { ephemeralStorage: request.ephemeralStorage }),
    ...(proxyConfiguration !== undefined && {
      proxyConfiguration: { type: 'APPMESH', ...proxyConfiguration, properties: proxyConfiguration.properties ?? [] },
    }),
    ...(request.pidMode !== undefined && { pidMode: request.pidMode }),
    ...(request.ipcMode !== undefined && { ipcMode: request.ipcMode }),
    volumes,
    placementConstraints: request.placementConstraints ?? [],
    ...(request.tags !== undefined && { tags: request.tags }),
  };
}

function normaliseVolume(volume: Volume, index: number): Volume {
  const kinds = VOLUME_KINDS.filter((kind) => volume[kind] !== undefined);
  if (!NAME_PATTERN.test(volume.name)) {
    throw new ClientException(
      `volumes[${index}].name: Volume name contains invalid characters or is too long. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.`,
    );
  }
  if (kinds.length > 1) {
    throw new ClientException(`volumes[${index}]: a volume can have only one of ${VOLUME_KINDS.join(', ')}.`);
  }
  return volume;
}

/** Every mount point names a volume of the task, every volumesFrom another container of it. */
function checkMounts(containers: readonly ContainerDefinition[], volumes: readonly Volume[]): void {
  const volumeNames = new Set(volumes.map((volume) => volume.name));
  const containerNames = new Set(containers.map((container) => container.name));
  containers.forEach((container, index) => {
    container.mountPoints?.forEach((mount, mountIndex) => {
      if (!volumeNames.has(mount.sourceVolume)) {
        throw new ClientException(
          `Invalid 'mountPoints' setting for container '${container.name}' (containerDefinitions[${index}].mountPoints[${mountIndex}]). Unknown volume '${mount.sourceVolume}'.`,
        );
      }
    });
    container.volumesFrom?.forEach((source, sourceIndex) => {
      if (!containerNames.has(source.sourceContainer) || source.sourceContainer === container.name) {
        throw new ClientException(
          `Invalid 'volumesFrom' setting for container '${container.name}' (containerDefinitions[${index}].volumesFrom[${sourceIndex}]). Unknown container '${source.sourceContainer}'.`,
        );
      }
    });
  });
}

/**
 * Every definition that passes validation can also be placed on EC2 instances, so EC2 is always
 * compatible, plus whatever was required (ECS answers ["EC2", "FARGATE"] for a Fargate task
 * definition). FARGATE is never inferred: like ECS, a definition that did not require it cannot
 * run on Fargate even if it would fit ("Task definition does not support launch_type FARGATE.").
 */
function compatibilitiesOf(required: readonly Compatibility[]): Compatibility[] {
  const all: Compatibility[] = ['EC2', 'FARGATE', 'EXTERNAL'];
  return all.filter((compatibility) => compatibility === 'EC2' || required.includes(compatibility));
}

const CPU_PATTERN = /^(\d+(?:\.\d+)?)\s*(vcpu)?$/i;
const MEMORY_PATTERN = /^(\d+(?:\.\d+)?)\s*(gb|gib|mb|mib)?$/i;

/** "256" or "0.25 vCPU" → 256. ECS accepts 128 (0.125 vCPU) to 196608 (192 vCPU) units. */
function parseTaskCpu(raw: string): number {
  const match = CPU_PATTERN.exec(raw.trim());
  const units = match === null ? Number.NaN : Number(match[1]) * (match[2] ? 1024 : 1);
  if (!Number.isInteger(units) || units < 128 || units > 196608) {
    throw new ClientException(
      `Invalid 'cpu' setting for task. Expected CPU units from 128 to 196608 ("256") or vCPUs ("0.25 vCPU"), received ${JSON.stringify(raw)}.`,
    );
  }
  return units;
}

/** "512", "512 MiB" or "0.5 GB" → 512. GB means GiB, as in ECS. */
function parseTaskMemory(raw: string): number {
  const match = MEMORY_PATTERN.exec(raw.trim());
  const mebibytes =
    match === null
      ? Number.NaN
      : Number(match[1]) * (match[2]?.toLowerCase().startsWith('g') ? 1024 : 1);
  // The task must hold at least one container, and Docker's minimum for one is 6 MiB.
  if (!Number.isInteger(mebibytes) || mebibytes < 6) {
    throw new ClientException(
      `Invalid 'memory' setting for task. Expected a whole number of MiB ("512") or GB ("0.5 GB"), received ${JSON.stringify(raw)}.`,
    );
  }
  return mebibytes;
}

const FARGATE_WINDOWS = new Set([
  'WINDOWS_SERVER_2019_FULL',
  'WINDOWS_SERVER_2019_CORE',
  'WINDOWS_SERVER_2022_FULL',
  'WINDOWS_SERVER_2022_CORE',
  'WINDOWS_SERVER_2025_FULL',
  'WINDOWS_SERVER_2025_CORE',
]);

function checkFargate(
  request: RegisterRequest,
  cpu: number | undefined,
  memory: number | undefined,
  networkMode: NetworkMode,
): void {
  if (request.pidMode === 'host') {
    throw new ClientException(
      "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
    );
  }
  if (request.ipcMode !== undefined) {
    throw new ClientException('Tasks using the Fargate launch type do not support ipcMode.');
  }
  request.volumes?.forEach((volume, index) => {
    if (volume.dockerVolumeConfiguration !== undefined || volume.host?.sourcePath !== undefined) {
      const member = volume.dockerVolumeConfiguration !== undefined ? 'dockerVolumeConfiguration' : 'host.sourcePath';
      throw new ClientException(
        `Invalid 'volumes[${index}].${member}' setting for task. Tasks using the Fargate launch type do not support ${member}.`,
      );
    }
  });
  const family = request.runtimePlatform?.operatingSystemFamily ?? 'LINUX';
  if (family !== 'LINUX') {
    if (!FARGATE_WINDOWS.has(family)) {
      throw new ClientException(
        `Invalid 'runtimePlatform.operatingSystemFamily' setting for task. Fargate does not support ${family}.`,
      );
    }
    if (request.runtimePlatform?.cpuArchitecture === 'ARM64') {
      throw new ClientException(
        "Invalid 'runtimePlatform.cpuArchitecture' setting for task. Fargate supports ARM64 only with operatingSystemFamily LINUX.",
      );
    }
    if (cpu !== undefined && cpu < 1024) {
      throw new ClientException(
        `Invalid 'cpu' setting for task. Windows containers on Fargate require at least 1024 CPU units, received ${cpu}.`,
      );
    }
  }
  if (cpu === undefined) {
    throw new ClientException("Fargate requires that 'cpu' be defined at the task level.");
  }
  if (memory === undefined) {
    throw new ClientException("Fargate requires that 'memory' be defined at the task level.");
  }
  if (networkMode !== 'awsvpc') {
    throw new ClientException(
      "Invalid 'networkMode' setting for task. Fargate only supports network mode 'awsvpc'.",
    );
  }
  const memories = FARGATE_TASK_SIZES.get(cpu);
  if (memories === undefined) {
    throw new ClientException(
      `Invalid 'cpu' setting for task. Fargate supports ${[...FARGATE_TASK_SIZES.keys()].join(', ')} CPU units.`,
    );
  }
  if (!memories.includes(memory)) {
    throw new ClientException(
      `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. Valid 'memory' values for 'cpu' ${cpu} are ${memories.join(', ')}.`,
    );
  }
}

function checkContainerNames(containers: readonly ContainerRequest[]): void {
  const seen = new Set<string>();
  containers.forEach((container, index) => {
    if (!NAME_PATTERN.test(container.name)) {
      throw new ClientException(`containerDefinitions[${index}].name: ${CONTAINER_NAME_MESSAGE}`);
    }
    if (seen.has(container.name)) {
      throw new ClientException(
        `containerDefinitions[${index}].name: Duplicate container name '${container.name}'. Container names must be unique within a task definition.`,
      );
    }
    seen.add(container.name);
  });
}

function normaliseContainer(
  container: ContainerRequest,
  path: string,
  networkMode: NetworkMode,
  fargate: boolean,
): ContainerDefinition {
  const imageProblem = imageReferenceProblem(container.image);
  if (imageProblem !== undefined) {
    throw new ClientException(
      `${path}.image: invalid reference format: ${imageProblem} (${JSON.stringify(container.image)}).`,
    );
  }
  if (fargate) {
    for (const field of ['startTimeout', 'stopTimeout'] as const) {
      const seconds = container[field];
      if (seconds !== undefined && (seconds < 2 || seconds > 120)) {
        throw new ClientException(`${path}.${field} must be between 2 and 120 on Fargate.`);
      }
    }
  }
  const { essential, portMappings, healthCheck, ...rest } = container;
  // The members ECS always echoes, with its defaults, as DescribeTaskDefinition shows them.
  return {
    ...rest,
    cpu: container.cpu ?? 0,
    portMappings: normalisePortMappings(portMappings ?? [], `${path}.portMappings`, networkMode),
    essential: essential ?? true,
    environment: container.environment ?? [],
    mountPoints: container.mountPoints ?? [],
    volumesFrom: container.volumesFrom ?? [],
    systemControls: container.systemControls ?? [],
    ...(healthCheck !== undefined && {
      healthCheck: normaliseHealthCheck(healthCheck, `${path}.healthCheck`),
    }),
  };
}

function normalisePortMappings(
  mappings: readonly PortMapping[],
  path: string,
  networkMode: NetworkMode,
): PortMapping[] {
  if (networkMode === 'none' && mappings.length > 0) {
    throw new ClientException(`${path}: port mappings are not allowed when networkMode is none.`);
  }
  // In awsvpc and host mode the container shares its port with the host (or ENI) directly.
  const shared = networkMode === 'awsvpc' || networkMode === 'host';
  return mappings.map((mapping, index) => {
    const { containerPort, hostPort } = mapping;
    if (shared && hostPort !== undefined && hostPort !== containerPort) {
      throw new ClientException(
        `${path}[${index}].hostPort must equal containerPort (${containerPort}) when networkMode is ${networkMode}.`,
      );
    }
    return {
      ...mapping,
      ...(shared && { hostPort: containerPort }),
      protocol: mapping.protocol ?? 'tcp',
    };
  });
}

function normaliseHealthCheck(
  healthCheck: NonNullable<ContainerRequest['healthCheck']>,
  path: string,
): HealthCheck {
  const { command } = healthCheck;
  if (command.length < 2 || (command[0] !== 'CMD' && command[0] !== 'CMD-SHELL')) {
    throw new ClientException(
      `${path}.command must start with "CMD" or "CMD-SHELL" followed by at least one argument.`,
    );
  }
  return {
    command,
    interval: healthCheck.interval ?? 30,
    timeout: healthCheck.timeout ?? 5,
    retries: healthCheck.retries ?? 3,
    ...(healthCheck.startPeriod !== undefined && { startPeriod: healthCheck.startPeriod }),
  };
}

// Docker's reference grammar (distribution/reference), restricted to sha256 digests.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Why `image` is not a valid Docker image reference, or undefined when it is. */
function imageReferenceProblem(image: string): string | undefined {
  if (image === '') return 'image must not be empty';
  if (/\s/.test(image)) return 'image must not contain whitespace';
  const at = image.indexOf('@');
  const nameAndTag = at === -1 ? image : image.slice(0, at);
  if (at !== -1 && !DIGEST.test(image.slice(at + 1))) {
    return 'digest must be sha256: followed by 64 lower-case hex digits';
  }
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  if (hasTag && !TAG.test(nameAndTag.slice(colon + 1))) {
    return 'tag must be 1 to 128 letters, digits, underscores, periods and hyphens, not starting with a period or hyphen';
  }
  if (name.length > 255) return 'repository name must not be more than 255 characters';
  const components = name.split('/');
  // Docker's rule: the first component names a registry only if it looks like a host.
  const first = components[0];
  const hasRegistry =
    components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry && !DOMAIN.test(first)) return 'registry host is malformed';
  const repository = hasRegistry ? components.slice(1) : components;
  if (repository.some((component) => !PATH_COMPONENT.test(component))) {
    return repository.every((component) => PATH_COMPONENT.test(component.toLowerCase()))
      ? 'repository name must be lowercase'
      : 'repository path components must be lower-case letters and digits separated by ".", "_", "__" or "-"';
  }
  return undefined;
}

function checkDependencies(containers: readonly ContainerDefinition[]): void {
  const byName = new Map(containers.map((container) => [container.name, container]));
  containers.forEach((container, index) => {
    container.dependsOn?.forEach((dependency, dependencyIndex) => {
      if (!byName.has(dependency.containerName)) {
        throw new ClientException(
          `containerDefinitions[${index}].dependsOn[${dependencyIndex}].containerName: container '${dependency.containerName}' is not defined in this task definition.`,
        );
      }
    });
  });

  // A dependency cycle (including a container that depends on itself) could never start.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: readonly string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const index = containers.findIndex((container) => container.name === name);
      throw new ClientException(
        `containerDefinitions[${index}].dependsOn: circular dependency between containers ${cycle.map((n) => `'${n}'`).join(' -> ')}.`,
      );
    }
    state.set(name, 'visiting');
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      visit(dependency.containerName, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const container of containers) visit(container.name, []);
}

function checkResources(
  containers: readonly ContainerDefinition[],
  taskCpu: number | undefined,
  taskMemory: number | undefined,
): void {
  containers.forEach((container, index) => {
    const where = `Invalid setting for container '${container.name}' (containerDefinitions[${index}]).`;
    const { memory, memoryReservation } = container;
    if (taskMemory === undefined && memory === undefined && memoryReservation === undefined) {
      throw new ClientException(
        `${where} At least one of 'memory' or 'memoryReservation' must be specified.`,
      );
    }
    if (memory !== undefined && memoryReservation !== undefined && memoryReservation > memory) {
      throw new ClientException(
        `${where} 'memoryReservation' (${memoryReservation}) must be less than or equal to 'memory' (${memory}).`,
      );
    }
  });

  if (taskCpu !== undefined) {
    const total = containers.reduce((sum, container) => sum + (container.cpu ?? 0), 0);
    if (total > taskCpu) {
      throw new ClientException(
        `Invalid 'cpu' setting for task. The containers' cpu adds up to ${total}, more than the task's ${taskCpu}.`,
      );
    }
  }
  if (taskMemory !== undefined) {
    // A container is charged its hard limit if it has one, else its reservation.
    const total = containers.reduce(
      (sum, container) => sum + (container.memory ?? container.memoryReservation ?? 0),
      0,
    );
    if (total > taskMemory) {
      throw new ClientException(
        `Invalid 'memory' setting for task. The containers' memory adds up to ${total} MiB, more than the task's ${taskMemory} MiB.`,
      );
    }
  }
}

/**
 * Reads a task definition reference as ECS accepts it: "family" (the latest ACTIVE revision),
 * "family:revision", or a full ARN with or without the revision. Region and account inside an
 * ARN are not compared with anything here.
 */
export function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } {
  const arn = parseArn(ref);
  if (ref.startsWith('arn:') && arn?.resourceType !== 'task-definition') {
    throw new ClientException(`Invalid task definition ARN: ${ref}`);
  }
  const familyAndRevision = arn === undefined ? ref : arn.resource;
  const colon = familyAndRevision.indexOf(':');
  const family = colon === -1 ? familyAndRevision : familyAndRevision.slice(0, colon);
  if (!NAME_PATTERN.test(family)) throw new ClientException(FAMILY_MESSAGE);
  if (colon === -1) return { family };
  const text = familyAndRevision.slice(colon + 1);
  const revision = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(revision) || revision < 1) {
    throw new ClientException(`Invalid revision number. Number: ${text}`);
  }
  return { family, revision };
}

export const taskDefinitionArn = (
  region: string,
  account: string,
  family: string,
  revision: number,
): string => arns.taskDefinition({ region, accountId: account }, family, revision);
