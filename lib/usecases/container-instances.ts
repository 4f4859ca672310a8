import { randomBytes, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { arns, containerInstanceIdOf, references } from '../domain/arn';
import { parseClusterQuery, evaluateClusterQuery, MAX_EXPRESSION_LENGTH } from '../domain/cluster-query';
import {
  DEFAULT_AWSVPC_TASK_LIMIT,
  isAgentAttribute,
  MAX_CUSTOM_ATTRIBUTES,
  newContainerInstance,
  presentContainerInstance,
  queryTargetOf,
  resourcesOfType,
  SIMULATED_AGENT,
  withAttributes,
  type AgentVersion,
  type Attribute,
  type ContainerInstanceRecord,
  type InstanceIdentity,
  type InstanceResources,
} from '../domain/container-instance';
import { INSTANCE_TYPE_NAMES } from '../domain/instance-types';
import { lazySchema, pageQuerySchema, tagsSchema, type SchemaOutput } from '../domain/validation';
import type { Deps } from '../deps';
import {
  AttributeLimitExceededException,
  ContainerInstanceNotFoundException,
  InvalidParameterException,
  TargetNotFoundException,
} from '../errors';
import { retryOnConflict } from '../retry';
import { requireActiveCluster } from './clusters';
import { followContainerInstances } from './services';
import { describedOrMissing } from './describe';

/**
 * The container instance operations of ECS: what an ECS agent calls when its EC2 instance boots
 * (RegisterContainerInstance) and what users call to inspect, drain, label and remove instances.
 * ecsbox has no EC2: a REST call launches simulated instances, registering each as its agent would.
 */

const cluster = () => references.cluster().optional();

const MAX_REGISTERED_ATTRIBUTES = 200;

/** ECS's rules for attribute names and values (PutAttributes). */
const attributeName = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9_./\\-]{1,128}$/, 'must be 1 to 128 letters, numbers, hyphens, underscores, forward slashes, back slashes or periods');
const attributeValue = () =>
  z
    .string()
    .regex(
      /^(?! )[A-Za-z0-9_.@/\\: -]{1,128}(?<! )$/,
      "must be 1 to 128 letters, numbers, hyphens, underscores, periods, at signs, slashes, colons or spaces, and not start or end with a space",
    );

const attributeSchema = () =>
  z
    .object({
      name: attributeName(),
      value: attributeValue().optional(),
      targetType: z.literal('container-instance').optional(),
      targetId: references.containerInstance().optional(),
    })
    .strict();

const resourceSchema = () =>
  z
    .object({
      name: z.string().min(1).max(64),
      type: z.enum(['INTEGER', 'LONG', 'DOUBLE', 'STRINGSET']).optional(),
      doubleValue: z.number().optional(),
      longValue: z.number().optional(),
      integerValue: z.number().int().min(0).max(2_147_483_647).optional(),
      stringSetValue: z.array(z.string().regex(/^\d{1,5}$/, 'must hold port numbers')).max(200).optional(),
    })
    .strict();

export const registerContainerInstanceInput = lazySchema(() =>
  z
    .object({
      cluster: cluster(),
      instanceIdentityDocument: z.string().max(16_384).optional(),
      instanceIdentityDocumentSignature: z.string().max(16_384).optional(),
      totalResources: z.array(resourceSchema()).max(10).optional(),
      versionInfo: z
        .object({
          agentVersion: z.string().max(64).optional(),
          agentHash: z.string().max(64).optional(),
          dockerVersion: z.string().max(64).optional(),
        })
        .strict()
        .optional(),
      containerInstanceArn: references.containerInstance().optional(),
      // A real agent registers its capabilities as attributes too (dozens); custom ones are counted apart.
      attributes: z.array(attributeSchema()).max(MAX_REGISTERED_ATTRIBUTES).optional(),
      platformDevices: z.array(z.object({ id: z.string().max(255), type: z.literal('GPU') }).strict()).max(16).optional(),
      tags: tagsSchema().optional(),
    })
    .strict(),
);

/** The facts ecsbox reads from an instance identity document; EC2's has many more, which are ignored. */
const identityDocumentSchema = lazySchema(() =>
  z.object({
    instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id such as i-0123456789abcdef0'),
    instanceType: z.string().min(1).max(64).optional(),
    availabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an availability zone such as us-east-1a'),
    imageId: z.string().regex(/^ami-[0-9a-f]{8,17}$/).optional(),
  }),
);

const readIdentityDocument = (document: string): InstanceIdentity => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new InvalidParameterException('instanceIdentityDocument must be an EC2 instance identity document (JSON).');
  }
  const result = identityDocumentSchema().safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidParameterException(`instanceIdentityDocument.${issue.path.join('.')} ${issue.code === 'invalid_type' ? 'is required' : issue.message}.`);
  }
  return {
    ec2InstanceId: result.data.instanceId,
    ...(result.data.instanceType ? { instanceType: result.data.instanceType } : {}),
    availabilityZone: result.data.availabilityZone,
    amiId: result.data.imageId ?? SIMULATED_AMI,
  };
};

/** The ECS-optimized Amazon Linux 2023 AMI simulated instances report. */
const SIMULATED_AMI = 'ami-0c1b2d3e4f5a6b7c8';

/** The resources the agent reported, or those of the instance's type; CPU and MEMORY are required. */
const registeredResources = (
  total: SchemaOutput<typeof registerContainerInstanceInput>['totalResources'],
  identity: InstanceIdentity,
): { resources: InstanceResources; enis: number } => {
  const ofType = identity.instanceType ? resourcesOfType(identity.instanceType) : undefined;
  if (!total?.length) {
    if (ofType) return ofType;
    throw new InvalidParameterException(
      `totalResources must give CPU and MEMORY for an instance of type ${identity.instanceType ?? '(unknown)'}; ecsbox knows the resources of ${INSTANCE_TYPE_NAMES.join(', ')}.`,
    );
  }
  const named = (name: string) => total.find((resource) => resource.name === name);
  const cpu = named('CPU')?.integerValue;
  const memory = named('MEMORY')?.integerValue;
  if (cpu === undefined || memory === undefined) throw new InvalidParameterException('totalResources must give CPU and MEMORY as integerValue.');
  const ports = (name: string, fallback: number[]) => {
    const values = named(name)?.stringSetValue?.map(Number);
    if (values?.some((port) => port < 1 || port > 65535)) throw new InvalidParameterException(`totalResources ${name} must hold ports 1 to 65535.`);
    return values ? [...new Set(values)].sort((a, b) => a - b) : fallback;
  };
  return {
    resources: { cpu, memory, ports: ports('PORTS', ofType?.resources.ports ?? []), portsUdp: ports('PORTS_UDP', []) },
    enis: ofType?.enis ?? DEFAULT_AWSVPC_TASK_LIMIT,
  };
};

const newInstanceId = () => randomUUID().replaceAll('-', '');

/** Checks and stores a registration: the cluster must be ACTIVE, custom attributes within ECS's limit. */
const register = async (
  deps: Deps,
  clusterName: string,
  identity: InstanceIdentity,
  registration: { resources: InstanceResources; enis: number },
  options: { agent?: Partial<AgentVersion>; attributes?: Attribute[]; tags?: ContainerInstanceRecord['tags']; capacityProviderName?: string },
) => {
  const attributes = (options.attributes ?? []).map(({ name, value }) => (value === undefined ? { name } : { name, value }));
  checkCustomAttributeLimit(attributes);
  return deps.containerInstances.register(
    newContainerInstance({
      id: newInstanceId(),
      clusterName,
      identity,
      resources: registration.resources,
      enis: registration.enis,
      agent: {
        agentVersion: options.agent?.agentVersion ?? SIMULATED_AGENT.agentVersion,
        agentHash: options.agent?.agentHash ?? SIMULATED_AGENT.agentHash,
        dockerVersion: options.agent?.dockerVersion ?? SIMULATED_AGENT.dockerVersion,
      },
      attributes,
      tags: options.tags,
      capacityProviderName: options.capacityProviderName,
      now: deps.clock.now(),
    }),
  );
};

const checkCustomAttributeLimit = (attributes: Attribute[]) => {
  if (attributes.filter((attribute) => !isAgentAttribute(attribute.name)).length > MAX_CUSTOM_ATTRIBUTES) {
    throw new AttributeLimitExceededException();
  }
};

const shown = (deps: Deps, record: ContainerInstanceRecord, health = false) =>
  presentContainerInstance(deps.scope, record, { tags: true, health });

export const registerContainerInstance = async (deps: Deps, input: SchemaOutput<typeof registerContainerInstanceInput>) => {
  const found = await requireActiveCluster(deps, input.cluster);
  if (!input.instanceIdentityDocument) throw new InvalidParameterException('instanceIdentityDocument is required for an EC2 container instance.');
  const identity = readIdentityDocument(input.instanceIdentityDocument);
  const record = await register(deps, found.clusterName, identity, registeredResources(input.totalResources, identity), {
    agent: input.versionInfo,
    attributes: input.attributes,
    tags: input.tags,
  });
  await followContainerInstances(deps, found.clusterName);
  const { tags: _tags, ...containerInstance } = shown(deps, record);
  return { containerInstance };
};

/** The record named by id or ARN in the cluster, any status; ContainerInstanceNotFoundException otherwise. */
const requireInstance = async (deps: Deps, clusterName: string, reference: string) => {
  const id = containerInstanceIdOf(deps.scope, reference);
  const record = id === undefined ? undefined : await deps.containerInstances.get(clusterName, id);
  if (!record) throw new ContainerInstanceNotFoundException();
  return record;
};

export const deregisterContainerInstanceInput = lazySchema(() =>
  z.object({ cluster: cluster(), containerInstance: references.containerInstance(), force: z.boolean().optional() }).strict(),
);

/**
 * ECS refuses to deregister an instance with tasks unless forced; forced, its tasks keep running
 * unmanaged (a service replaces them elsewhere), as ECS documents.
 */
export const deregisterContainerInstance = async (deps: Deps, input: SchemaOutput<typeof deregisterContainerInstanceInput>) => {
  const found = await requireActiveCluster(deps, input.cluster);
  const answer = await retryOnConflict(
    async () => {
      const record = await requireInstance(deps, found.clusterName, input.containerInstance);
      if (record.status === 'INACTIVE') throw new ContainerInstanceNotFoundException();
      if (record.runningTasksCount + record.pendingTasksCount > 0 && !input.force) {
        throw new InvalidParameterException('The specified container instance has tasks. Stop them or use force to deregister it.');
      }
      const next = { ...record, status: 'INACTIVE' as const, version: record.version + 1 };
      await deps.containerInstances.deregister(next);
      const { tags: _tags, ...containerInstance } = shown(deps, next);
      return { containerInstance };
    },
    10,
    'The container instance was changed concurrently; try again.',
  );
  await followContainerInstances(deps, found.clusterName);
  return answer;
};

/** A failure names an instance by ARN: the one given, or the one an id given would have. */
const failureArn = (deps: Deps, clusterName: string, reference: string) =>
  containerInstanceIdOf(deps.scope, reference) === reference ? arns.containerInstance(deps.scope, clusterName, reference) : reference;

const MAX_DESCRIBED = 100;

export const describeContainerInstancesInput = lazySchema(() =>
  z
    .object({
      cluster: cluster(),
      containerInstances: z.array(references.containerInstance()).min(1).max(MAX_DESCRIBED),
      include: z.array(z.enum(['TAGS', 'CONTAINER_INSTANCE_HEALTH'])).optional(),
    })
    .strict(),
);

export const describeContainerInstances = async (deps: Deps, input: SchemaOutput<typeof describeContainerInstancesInput>) => {
  const found = await requireActiveCluster(deps, input.cluster);
  const include = new Set(input.include ?? []);
  const ids = input.containerInstances.map((reference) => containerInstanceIdOf(deps.scope, reference));
  const records = await deps.containerInstances.getMany(
    found.clusterName,
    ids.filter((id): id is string => id !== undefined),
  );
  const byId = new Map(records.filter((record) => record !== undefined).map((record) => [record.id, record]));
  const { items, failures } = describedOrMissing(
    input.containerInstances,
    ids.map((id) => (id === undefined ? undefined : byId.get(id))),
    (record) => shown(deps, record, include.has('CONTAINER_INSTANCE_HEALTH')),
    (reference) => failureArn(deps, found.clusterName, reference),
    include.has('TAGS'),
  );
  return { containerInstances: items, failures };
};

export const listContainerInstancesQuery = lazySchema(() =>
  pageQuerySchema().extend({
    filter: z.string().min(1).max(MAX_EXPRESSION_LENGTH).optional(),
    status: z.enum(['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']).optional(),
  }),
);

/** Instances in every state but INACTIVE unless `status` names one, narrowed by the cluster query `filter`. */
export const listContainerInstances = async (
  deps: Deps,
  clusterReference: string | undefined,
  input: SchemaOutput<typeof listContainerInstancesQuery>,
) => {
  const expression = input.filter === undefined ? undefined : parseClusterQuery(input.filter);
  const found = await requireActiveCluster(deps, clusterReference);
  const page = await deps.containerInstances.list(
    found.clusterName,
    { filter: input.filter, status: input.status },
    (record) =>
      (input.status === undefined || record.status === input.status) &&
      (expression === undefined || evaluateClusterQuery(expression, queryTargetOf(record))),
    { maxResults: input.maxResults ?? 100, nextToken: input.nextToken },
  );
  return {
    containerInstanceArns: page.items.map((record) => arns.containerInstance(deps.scope, record.clusterName, record.id)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};

export const updateContainerInstancesStateInput = lazySchema(() =>
  z
    .object({
      cluster: cluster(),
      containerInstances: z.array(references.containerInstance()).min(1).max(10),
      status: z.enum(['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']),
    })
    .strict(),
);

/**
 * ACTIVE ↔ DRAINING. A DRAINING instance takes no new tasks; replacing its service tasks is the
 * reconciler's work (docs/ec2.md). Instances not found, or deregistered, come back in failures.
 */
export const updateContainerInstancesState = async (deps: Deps, input: SchemaOutput<typeof updateContainerInstancesStateInput>) => {
  if (input.status !== 'ACTIVE' && input.status !== 'DRAINING') {
    throw new InvalidParameterException('Container instances can only be set to ACTIVE or DRAINING.');
  }
  const status = input.status;
  const found = await requireActiveCluster(deps, input.cluster);
  const updated = await Promise.all(
    input.containerInstances.map((reference) =>
      retryOnConflict(
        async () => {
          const id = containerInstanceIdOf(deps.scope, reference);
          const record = id === undefined ? undefined : await deps.containerInstances.get(found.clusterName, id);
          if (!record || record.status === 'INACTIVE') return undefined;
          if (record.status === status) return record;
          const next = { ...record, status, version: record.version + 1 };
          await deps.containerInstances.save(next);
          return next;
        },
        10,
        'The container instance was changed concurrently; try again.',
      ),
    ),
  );
  await followContainerInstances(deps, found.clusterName);
  const { items, failures } = describedOrMissing(
    input.containerInstances,
    updated,
    (record) => shown(deps, record),
    (reference) => failureArn(deps, found.clusterName, reference),
    false,
  );
  return { containerInstances: items, failures };
};

export const putAttributesInput = lazySchema(() =>
  z.object({ cluster: cluster(), attributes: z.array(attributeSchema()).min(1).max(10) }).strict(),
);

export const deleteAttributesInput = putAttributesInput;

/**
 * Applies `change` to the attributes of each container instance the attributes name (targetId is
 * required: ECS attributes live on container instances), each target read and written at its
 * version. A target that does not exist fails the whole call, before anything is written.
 */
const changeAttributes = async (
  deps: Deps,
  input: SchemaOutput<typeof putAttributesInput>,
  change: (current: Attribute[], mine: Attribute[]) => Attribute[],
) => {
  const found = await requireActiveCluster(deps, input.cluster);
  const byTarget = new Map<string, Attribute[]>();
  for (const attribute of input.attributes) {
    if (attribute.targetId === undefined) throw new InvalidParameterException(`attributes: '${attribute.name}' needs a targetId (a container instance).`);
    const id = containerInstanceIdOf(deps.scope, attribute.targetId);
    if (id === undefined) throw new TargetNotFoundException(`Could not find ${attribute.targetId}.`);
    byTarget.set(id, [...(byTarget.get(id) ?? []), { name: attribute.name, ...(attribute.value === undefined ? {} : { value: attribute.value }) }]);
  }
  const current = await deps.containerInstances.getMany(found.clusterName, [...byTarget.keys()]);
  const missing = [...byTarget.keys()].find((_, index) => !current[index] || current[index].status === 'INACTIVE');
  if (missing !== undefined) throw new TargetNotFoundException(`Could not find ${arns.containerInstance(deps.scope, found.clusterName, missing)}.`);
  // Checked on what is stored now, before any write, so a refused call changes nothing.
  for (const [index, [, mine]] of [...byTarget].entries()) checkCustomAttributeLimit(change(current[index]?.attributes ?? [], mine));
  await Promise.all(
    [...byTarget].map(([id, mine]) =>
      retryOnConflict(
        async () => {
          const record = await deps.containerInstances.get(found.clusterName, id);
          if (!record || record.status === 'INACTIVE') throw new TargetNotFoundException(`Could not find ${arns.containerInstance(deps.scope, found.clusterName, id)}.`);
          const attributes = change(record.attributes, mine);
          checkCustomAttributeLimit(attributes);
          await deps.containerInstances.save({ ...record, attributes, version: record.version + 1 });
        },
        10,
        'The container instance was changed concurrently; try again.',
      ),
    ),
  );
  // Attributes decide memberOf constraints.
  await followContainerInstances(deps, found.clusterName);
  return { attributes: input.attributes };
};

export const putAttributes = (deps: Deps, input: SchemaOutput<typeof putAttributesInput>) =>
  changeAttributes(deps, input, (current, mine) => withAttributes(current, mine));

export const deleteAttributes = (deps: Deps, input: SchemaOutput<typeof deleteAttributesInput>) =>
  changeAttributes(deps, input, (current, mine) => current.filter((attribute) => !mine.some((gone) => gone.name === attribute.name)));

export const listAttributesInput = lazySchema(() =>
  z
    .object({
      cluster: cluster(),
      targetType: z.literal('container-instance'),
      attributeName: attributeName().optional(),
      attributeValue: attributeValue().optional(),
      maxResults: z.number().int().min(1).max(100).optional(),
      nextToken: z.string().min(1).max(4096).optional(),
    })
    .strict(),
);

/** Every attribute of the cluster's live instances, by name (and value) when asked. */
export const listAttributes = async (deps: Deps, input: SchemaOutput<typeof listAttributesInput>) => {
  if (input.attributeValue !== undefined && input.attributeName === undefined) {
    throw new InvalidParameterException('attributeValue can be given only with attributeName.');
  }
  const found = await requireActiveCluster(deps, input.cluster);
  const page = await deps.containerInstances.listAttributes(
    found.clusterName,
    { attributeName: input.attributeName, attributeValue: input.attributeValue },
    (attribute) =>
      (input.attributeName === undefined || attribute.name === input.attributeName) &&
      (input.attributeValue === undefined || attribute.value === input.attributeValue),
    { maxResults: input.maxResults ?? 100, nextToken: input.nextToken },
  );
  return {
    attributes: page.items.map(({ record, attribute }) => ({
      ...attribute,
      targetType: 'container-instance',
      targetId: arns.containerInstance(deps.scope, record.clusterName, record.id),
    })),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};

export const launchContainerInstancesInput = lazySchema(() =>
  z
    .object({
      instanceType: z.enum(INSTANCE_TYPE_NAMES),
      count: z.number().int().min(1).max(20).default(1),
      availabilityZones: z
        .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must hold availability zones such as us-east-1a'))
        .min(1)
        .max(6)
        .optional(),
      attributes: z.array(attributeSchema().omit({ targetType: true, targetId: true })).max(MAX_CUSTOM_ATTRIBUTES).optional(),
    })
    .strict(),
);

/** A fresh EC2 instance id, as EC2 issues them (17 hex digits). */
const newEc2InstanceId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

/**
 * ecsbox's REST shortcut for an EC2 launch: `count` simulated instances of a type boot and their
 * agents register them, spread round-robin over the zones (by default the region's a, b and c).
 */
export const launchContainerInstances = async (deps: Deps, clusterReference: string, input: SchemaOutput<typeof launchContainerInstancesInput>) => {
  const found = await requireActiveCluster(deps, clusterReference);
  const zones = input.availabilityZones ?? ['a', 'b', 'c'].map((letter) => `${deps.scope.region}${letter}`);
  const records: ContainerInstanceRecord[] = [];
  // One after the other: every registration moves the cluster's count.
  for (let index = 0; index < input.count; index++) {
    const instance = { ec2InstanceId: newEc2InstanceId(), instanceType: input.instanceType, availabilityZone: zones[index % zones.length] };
    records.push(await registerSimulatedInstance(deps, found.clusterName, instance, { attributes: input.attributes }));
  }
  await followContainerInstances(deps, found.clusterName);
  return { containerInstances: records.map((record) => shown(deps, record)) };
};

/**
 * A simulated EC2 instance's agent registering it, as on boot (the REST launch and the capacity
 * controller's Auto Scaling groups, which name their provider): an instance already registered gets
 * its container instance back.
 */
export const registerSimulatedInstance = (
  deps: Deps,
  clusterName: string,
  instance: { ec2InstanceId: string; instanceType: string; availabilityZone: string },
  options: { attributes?: Attribute[]; capacityProviderName?: string } = {},
) => {
  const registration = resourcesOfType(instance.instanceType);
  if (!registration) throw new InvalidParameterException(`instanceType must be one of: ${INSTANCE_TYPE_NAMES.join(', ')}.`);
  return register(deps, clusterName, { ...instance, amiId: SIMULATED_AMI }, registration, options);
};
