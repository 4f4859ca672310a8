import fc from 'fast-check';
import { z } from 'zod';
import {
  parseTaskDefinitionRef,
  registerTaskDefinitionSchema,
  taskDefinitionArn,
  validateTaskDefinition,
  type RegisterTaskDefinitionInput,
} from '../../lib/domain/task-definition';
import { ClientException } from '../../lib/errors';

const DIGEST = `sha256:${'a1'.repeat(32)}`;

/** The members ECS echoes in every container definition, with its defaults (describe-task-definition). */
const ECHOED_CONTAINER_DEFAULTS = {
  cpu: 0,
  portMappings: [],
  environment: [],
  mountPoints: [],
  volumesFrom: [],
  systemControls: [],
};

/** An EC2-style definition: bridge network, no task size, one container with a hard limit. */
const ec2 = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  family: 'web',
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27', memory: 256 }],
  ...overrides,
});

/** The smallest valid Fargate definition. */
const fargate = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  family: 'web',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }],
  ...overrides,
});

/** ec2() whose only container gets these fields on top of the default ones. */
const withContainer = (fields: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  ec2({ containerDefinitions: [{ name: 'web', image: 'nginx:1.27', memory: 256, ...fields }], ...overrides });

/** The error validateTaskDefinition throws; fails the test unless it is a ClientException. */
const rejection = (input: unknown): ClientException => {
  let thrown: unknown;
  try {
    validateTaskDefinition(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ClientException);
  return thrown as ClientException;
};

const rejectionOfRef = (ref: string): ClientException => {
  let thrown: unknown;
  try {
    parseTaskDefinitionRef(ref);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ClientException);
  return thrown as ClientException;
};

/** Paths of every undefined or null value inside `value`. */
const emptyValuePaths = (value: unknown, path = '$'): string[] => {
  if (value === undefined || value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => emptyValuePaths(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => emptyValuePaths(item, `${path}.${key}`));
  }
  return [];
};

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

/** The Fargate size table, written out independently of the module under test. */
const FARGATE_PAIRS: Array<[number, number]> = [
  ...[512, 1024, 2048].map((memory): [number, number] => [256, memory]),
  ...[1, 2, 3, 4].map((gb): [number, number] => [512, gb * 1024]),
  ...[2, 3, 4, 5, 6, 7, 8].map((gb): [number, number] => [1024, gb * 1024]),
  ...Array.from({ length: 13 }, (_, i): [number, number] => [2048, (4 + i) * 1024]),
  ...Array.from({ length: 23 }, (_, i): [number, number] => [4096, (8 + i) * 1024]),
  ...Array.from({ length: 12 }, (_, i): [number, number] => [8192, (16 + 4 * i) * 1024]),
  ...Array.from({ length: 12 }, (_, i): [number, number] => [16384, (32 + 8 * i) * 1024]),
  ...[60, 120, 244].map((gb): [number, number] => [32768, gb * 1024]),
];
const isFargatePair = (cpu: number, memory: number) =>
  FARGATE_PAIRS.some(([c, m]) => c === cpu && m === memory);

describe('validateTaskDefinition: a complete Fargate definition', () => {
  it('comes back normalised, with defaults filled in and nothing undefined', () => {
    const input = deepFreeze({
      family: 'shop-api',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '1 vCPU',
      memory: '2 GB',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      pidMode: 'task',
      tags: [{ key: 'team', value: 'shop' }],
      containerDefinitions: [
        {
          name: 'api',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:v1.2.3',
          cpu: 512,
          memory: 1024,
          portMappings: [{ containerPort: 8080, name: 'http', appProtocol: 'http' }],
          environment: [{ name: 'MODE', value: 'prod' }],
          command: ['serve'],
          entryPoint: ['/app'],
          workingDirectory: '/srv',
          healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'] },
          dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }],
          stopTimeout: 30,
          startTimeout: 60,
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/shop' } },
          mountPoints: [],
        },
        { name: 'migrate', image: 'public.ecr.aws/shop/migrate:latest', essential: false, memoryReservation: 128 },
      ],
    });

    expect(validateTaskDefinition(input)).toEqual({
      family: 'shop-api',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      pidMode: 'task',
      volumes: [],
      placementConstraints: [],
      tags: [{ key: 'team', value: 'shop' }],
      containerDefinitions: [
        {
          name: 'api',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:v1.2.3',
          cpu: 512,
          memory: 1024,
          essential: true,
          portMappings: [
            { containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
          ],
          environment: [{ name: 'MODE', value: 'prod' }],
          command: ['serve'],
          entryPoint: ['/app'],
          workingDirectory: '/srv',
          healthCheck: {
            command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'],
            interval: 30,
            timeout: 5,
            retries: 3,
          },
          dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }],
          stopTimeout: 30,
          startTimeout: 60,
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/shop' } },
          mountPoints: [],
          volumesFrom: [],
          systemControls: [],
        },
        {
          name: 'migrate',
          image: 'public.ecr.aws/shop/migrate:latest',
          essential: false,
          memoryReservation: 128,
          ...ECHOED_CONTAINER_DEFAULTS,
        },
      ],
    });
  });

  it('leaves every absent optional field out instead of setting it to undefined', () => {
    const minimal = validateTaskDefinition(fargate());
    expect(Object.keys(minimal).sort()).toEqual(
      [
        'family',
        'containerDefinitions',
        'cpu',
        'memory',
        'networkMode',
        'requiresCompatibilities',
        'compatibilities',
        'volumes',
        'placementConstraints',
      ].sort(),
    );
    expect(minimal.containerDefinitions[0]).toEqual({ name: 'web', image: 'nginx:1.27', essential: true, ...ECHOED_CONTAINER_DEFAULTS });
    expect(validateTaskDefinition(ec2())).not.toHaveProperty('requiresCompatibilities');
    expect(emptyValuePaths(minimal)).toEqual([]);
    expect(emptyValuePaths(validateTaskDefinition(ec2()))).toEqual([]);
  });
});

describe('validateTaskDefinition: defaults', () => {
  it('defaults networkMode to bridge, and volumes and placementConstraints to empty lists', () => {
    const result = validateTaskDefinition(ec2());
    expect(result.networkMode).toBe('bridge');
    expect(result.volumes).toEqual([]);
    expect(result.placementConstraints).toEqual([]);
    expect(result).not.toHaveProperty('requiresCompatibilities');
  });

  it('defaults essential to true and keeps an explicit false', () => {
    const result = validateTaskDefinition(
      ec2({
        containerDefinitions: [
          { name: 'a', image: 'nginx', memory: 64 },
          { name: 'b', image: 'nginx', memory: 64, essential: false },
          { name: 'c', image: 'nginx', memory: 64, essential: true },
        ],
      }),
    );
    expect(result.containerDefinitions.map((c) => c.essential)).toEqual([true, false, true]);
  });

  it('keeps pidMode, ipcMode, volumes, placement constraints and tags as given', () => {
    const volumes = [{ name: 'data', host: { sourcePath: '/data' } }, { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }];
    const placementConstraints = [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }];
    const result = validateTaskDefinition(
      ec2({ pidMode: 'host', ipcMode: 'none', volumes, placementConstraints, tags: [] }),
    );
    expect(result.pidMode).toBe('host');
    expect(result.ipcMode).toBe('none');
    expect(result.volumes).toEqual(volumes);
    expect(result.placementConstraints).toEqual(placementConstraints);
    expect(result.tags).toEqual([]);
  });

  it('drops container fields ecsbox does not model, and keeps those DescribeTaskDefinition output carries', () => {
    const result = validateTaskDefinition(
      withContainer({ mountPoints: [], volumesFrom: [], systemControls: [], secrets: [{ name: 'A', valueFrom: 'x' }], ulimits: [], privileged: false }),
    );
    expect(result.containerDefinitions[0]).toEqual({
      name: 'web',
      image: 'nginx:1.27',
      memory: 256,
      essential: true,
      secrets: [{ name: 'A', valueFrom: 'x' }],
      ...ECHOED_CONTAINER_DEFAULTS,
    });
  });

  it('does not modify its input', () => {
    const input = deepFreeze(
      fargate({ containerDefinitions: [{ name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }], healthCheck: { command: ['CMD', 'true'] } }] }),
    );
    const before = JSON.stringify(input);
    validateTaskDefinition(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('validateTaskDefinition: compatibilities', () => {
  it.each([
    [undefined, ['EC2']],
    [['EC2'], ['EC2']],
    [['FARGATE'], ['EC2', 'FARGATE']],
    [['FARGATE', 'EC2'], ['EC2', 'FARGATE']],
    [['EXTERNAL'], ['EC2', 'EXTERNAL']],
  ])('requiresCompatibilities %j gives compatibilities %j', (requiresCompatibilities, expected) => {
    const input = requiresCompatibilities?.includes('FARGATE')
      ? fargate({ requiresCompatibilities })
      : ec2(requiresCompatibilities === undefined ? {} : { requiresCompatibilities });
    const result = validateTaskDefinition(input);
    expect(result.compatibilities).toEqual(expected);
    expect(result.requiresCompatibilities).toEqual(requiresCompatibilities);
  });

  it('never infers FARGATE for a definition that would fit it but did not require it', () => {
    const result = validateTaskDefinition(fargate({ requiresCompatibilities: undefined }));
    expect(result.compatibilities).toEqual(['EC2']);
  });
});

describe('validateTaskDefinition: document size', () => {
  /** fargate() with one environment value padded so that the JSON document is `bytes` long. */
  const ofSize = (bytes: number, pad = 'x') => {
    const withValue = (value: string) =>
      fargate({ containerDefinitions: [{ name: 'web', image: 'nginx', environment: [{ name: 'PAD', value }] }] });
    const overhead = Buffer.byteLength(JSON.stringify(withValue('')));
    const padBytes = Buffer.byteLength(pad);
    return withValue(pad.repeat(Math.floor((bytes - overhead) / padBytes)) + 'x'.repeat((bytes - overhead) % padBytes));
  };

  it('accepts a document of exactly 64 KiB', () => {
    const input = ofSize(65536);
    expect(Buffer.byteLength(JSON.stringify(input))).toBe(65536);
    expect(() => validateTaskDefinition(input)).not.toThrow();
  });

  it.each([
    ['one byte over', ofSize(65537)],
    ['counted in UTF-8 bytes, not characters', ofSize(65537, 'é')],
  ])('rejects a document %s', (_, input) => {
    expect(rejection(input).message).toBe('Task definition size exceeds the 64 KiB limit.');
  });

  it('checks the size before anything else', () => {
    expect(rejection({ bogus: 'x'.repeat(70000) }).message).toBe('Task definition size exceeds the 64 KiB limit.');
  });
});

describe('validateTaskDefinition: request shape', () => {
  it.each([
    ['a missing image', withContainer({ image: undefined }), 'containerDefinitions[0].image is required.'],
    ['a numeric image', withContainer({ image: 42 }), 'containerDefinitions[0].image must be a string.'],
    ['a numeric task cpu', ec2({ cpu: 256 }), 'cpu must be a string.'],
    ['a numeric task memory', ec2({ memory: 512 }), 'memory must be a string.'],
    ['a missing family', ec2({ family: undefined }), 'family is required.'],
    ['containerDefinitions as an object', ec2({ containerDefinitions: {} }), 'containerDefinitions must be a list.'],
    ['a fractional memory', withContainer({ memory: 1.5 }), 'containerDefinitions[0].memory must be an integer.'],
    ['a string cpu in a container', withContainer({ cpu: '256' }), 'containerDefinitions[0].cpu must be a number.'],
    ['essential as a string', withContainer({ essential: 'yes' }), 'containerDefinitions[0].essential must be a boolean.'],
    ['a null field', withContainer({ command: null }), 'containerDefinitions[0].command must be a list.'],
    ['a non-string command element', withContainer({ command: ['a', 1] }), 'containerDefinitions[0].command[1] must be a string.'],
    ['an environment entry without a value', withContainer({ environment: [{ name: 'A' }] }), 'containerDefinitions[0].environment[0].value is required.'],
    ['an unknown protocol', withContainer({ portMappings: [{ containerPort: 80, protocol: 'sctp' }] }), 'containerDefinitions[0].portMappings[0].protocol must be one of: tcp, udp.'],
    ['an unknown networkMode', ec2({ networkMode: 'nat' }), 'networkMode must be one of: awsvpc, bridge, host, none.'],
    ['an unknown compatibility', ec2({ requiresCompatibilities: ['LAMBDA'] }), 'requiresCompatibilities[0] must be one of: EC2, FARGATE, EXTERNAL.'],
    ['an unknown dependency condition', withContainer({ dependsOn: [{ containerName: 'web', condition: 'READY' }] }), 'containerDefinitions[0].dependsOn[0].condition must be one of: START, COMPLETE, SUCCESS, HEALTHY.'],
    ['an unknown log driver', withContainer({ logConfiguration: { logDriver: 'loki' } }), 'containerDefinitions[0].logConfiguration.logDriver must be one of: '],
    ['a non-string log option', withContainer({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 1 } } }), 'containerDefinitions[0].logConfiguration.options must map each key to a string (key "awslogs-group").'],
    ['an unknown cpu architecture', ec2({ runtimePlatform: { cpuArchitecture: 'RISCV' } }), 'runtimePlatform.cpuArchitecture must be one of: X86_64, ARM64.'],
    ['an unknown placement constraint type', ec2({ placementConstraints: [{ type: 'distinctInstance' }] }), 'placementConstraints[0].type must be "memberOf".'],
    ['an unknown pidMode', ec2({ pidMode: 'container' }), 'pidMode must be one of: host, task.'],
    ['a null body', null, 'The request must be an object.'],
    ['an array body', [], 'The request must be an object.'],
    ['a string body', 'web', 'The request must be an object.'],
  ])('rejects %s', (_, input, message) => {
    expect(rejection(input).message.startsWith(message)).toBe(true);
  });

  it.each([
    ['a misspelt top-level field', { family: 'web', containerDefinition: [{ name: 'web', image: 'nginx', memory: 64 }] }, "Unknown parameter 'containerDefinition'."],
    ['several unknown top-level fields', ec2({ revision: 3, status: 'ACTIVE' }), "Unknown parameters 'revision', 'status'."],
    ['an unknown health check field', withContainer({ healthCheck: { command: ['CMD', 'true'], intervall: 10 } }), "Unknown parameter 'containerDefinitions[0].healthCheck.intervall'."],
    ['a misspelt dependency field', withContainer({ dependsOn: [{ container: 'web', condition: 'START' }] }), "Unknown parameter 'containerDefinitions[0].dependsOn[0].container'."],
    ['an unknown port mapping field', withContainer({ portMappings: [{ containerPort: 80, containerPortRange: '80-90' }] }), "Unknown parameter 'containerDefinitions[0].portMappings[0].containerPortRange'."],
    ['an unknown tag field', ec2({ tags: [{ key: 'a', value: 'b', extra: 1 }] }), "Unknown parameter 'tags[0].extra'."],
  ])('rejects %s, naming the key', (_, input, message) => {
    expect(rejection(input).message).toBe(message);
  });

  it.each([
    ['no containers', ec2({ containerDefinitions: [] }), 'containerDefinitions must contain between 1 and 10 container definitions.'],
    ['11 containers', ec2({ containerDefinitions: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, image: 'nginx', memory: 64 })) }), 'containerDefinitions must contain between 1 and 10 container definitions.'],
    ['51 tags', ec2({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: '' })) }), 'tags must contain at most 50 tags.'],
    ['an empty tag key', ec2({ tags: [{ key: '', value: 'v' }] }), 'tags[0].key must be between 1 and 128 characters long.'],
    ['a 129-character tag key', ec2({ tags: [{ key: 'k'.repeat(129), value: 'v' }] }), 'tags[0].key must be between 1 and 128 characters long.'],
    ['a 257-character tag value', ec2({ tags: [{ key: 'k', value: 'v'.repeat(257) }] }), 'tags[0].value must be at most 256 characters long.'],
    ['11 placement constraints', ec2({ placementConstraints: Array.from({ length: 11 }, () => ({ type: 'memberOf' })) }), 'placementConstraints must contain at most 10 constraints.'],
    ['a container memory below 6 MiB', withContainer({ memory: 5 }), 'containerDefinitions[0].memory must be at least 6.'],
    ['a container memoryReservation below 6 MiB', withContainer({ memoryReservation: 4 }), 'containerDefinitions[0].memoryReservation must be at least 6.'],
    ['a negative container cpu', withContainer({ cpu: -1 }), 'containerDefinitions[0].cpu must be at least 0.'],
    ['a negative stopTimeout', withContainer({ stopTimeout: -1 }), 'containerDefinitions[0].stopTimeout must be at least 0.'],
  ])('rejects %s', (_, input, message) => {
    expect(rejection(input).message).toBe(message);
  });

  it('accepts 10 containers, 50 tags and 10 placement constraints', () => {
    expect(() =>
      validateTaskDefinition(
        ec2({
          containerDefinitions: Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, image: 'nginx', memory: 64 })),
          tags: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(256) })),
          placementConstraints: Array.from({ length: 10 }, () => ({ type: 'memberOf' })),
        }),
      ),
    ).not.toThrow();
  });

  it('only ever throws ClientException, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateTaskDefinition(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ClientException);
        }
      }),
    );
  });

  it('only ever throws ClientException when one field of a valid definition is replaced by random JSON', () => {
    const base = fargate({
      containerDefinitions: [
        { name: 'web', image: 'nginx', cpu: 128, memory: 256, portMappings: [{ containerPort: 80 }], healthCheck: { command: ['CMD', 'true'] }, dependsOn: [{ containerName: 'side', condition: 'START' }] },
        { name: 'side', image: 'busybox', essential: false },
      ],
      tags: [{ key: 'a', value: 'b' }],
    });
    const paths: Array<Array<string | number>> = [
      ['family'], ['cpu'], ['memory'], ['networkMode'], ['requiresCompatibilities'], ['tags', 0, 'key'],
      ['containerDefinitions'], ['containerDefinitions', 0], ['containerDefinitions', 0, 'name'],
      ['containerDefinitions', 0, 'image'], ['containerDefinitions', 0, 'cpu'], ['containerDefinitions', 0, 'memory'],
      ['containerDefinitions', 0, 'portMappings', 0, 'containerPort'], ['containerDefinitions', 0, 'healthCheck', 'command'],
      ['containerDefinitions', 0, 'healthCheck', 'interval'], ['containerDefinitions', 0, 'dependsOn', 0, 'containerName'],
      ['containerDefinitions', 1, 'essential'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const input = structuredClone(base);
        let target: Record<string | number, unknown> = input;
        path.slice(0, -1).forEach((key) => {
          target = target[key] as Record<string | number, unknown>;
        });
        target[path[path.length - 1]] = value;
        try {
          validateTaskDefinition(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ClientException);
          // An ECS-style sentence naming the member, never zod's wording.
          expect((error as Error).message).not.toMatch(/Invalid input|Too (small|big)|expected \w+, received|received undefined/);
          expect((error as Error).message).toMatch(new RegExp(`${String(path[0])}|[Cc]ontainer|Fargate|[Ff]amily`));
        }
      }),
    );
  });
});

describe('validateTaskDefinition: family', () => {
  const FAMILY_MESSAGE =
    'Family contains invalid characters or is too long. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.';

  it.each(['a', 'Web-App_2', '-_-', 'f'.repeat(255)])('accepts %j', (family) => {
    expect(validateTaskDefinition(ec2({ family })).family).toBe(family);
  });

  it.each(['', 'f'.repeat(256), 'my app', 'web:1', 'web/1', 'wéb', 'web.app'])('rejects %j', (family) => {
    expect(rejection(ec2({ family })).message).toBe(FAMILY_MESSAGE);
  });
});

describe('validateTaskDefinition: container names and essential', () => {
  it.each(['', 'a b', 'web.1', 'c'.repeat(256)])('rejects the container name %j', (name) => {
    const input = ec2({ containerDefinitions: [{ name: 'ok', image: 'nginx', memory: 64 }, { name, image: 'nginx', memory: 64 }] });
    expect(rejection(input).message).toMatch(/^containerDefinitions\[1\]\.name: Container name contains invalid characters/);
  });

  it('accepts a 255-character container name', () => {
    expect(() => validateTaskDefinition(withContainer({ name: 'c'.repeat(255) }))).not.toThrow();
  });

  it('rejects duplicate container names, naming the second one', () => {
    const input = ec2({
      containerDefinitions: [
        { name: 'web', image: 'nginx', memory: 64 },
        { name: 'side', image: 'nginx', memory: 64 },
        { name: 'web', image: 'nginx', memory: 64 },
      ],
    });
    expect(rejection(input).message).toMatch(/^containerDefinitions\[2\]\.name: Duplicate container name 'web'/);
  });

  it('treats container names as case-sensitive', () => {
    const input = ec2({ containerDefinitions: [{ name: 'web', image: 'nginx', memory: 64 }, { name: 'Web', image: 'nginx', memory: 64 }] });
    expect(() => validateTaskDefinition(input)).not.toThrow();
  });

  it('requires at least one essential container', () => {
    const input = ec2({
      containerDefinitions: [
        { name: 'a', image: 'nginx', memory: 64, essential: false },
        { name: 'b', image: 'nginx', memory: 64, essential: false },
      ],
    });
    expect(rejection(input).message).toMatch(/essential/);
  });
});

describe('validateTaskDefinition: image references', () => {
  it.each([
    'nginx',
    'nginx:1.27-alpine',
    'library/nginx',
    'docker.io/library/nginx:latest',
    'public.ecr.aws/nginx/nginx:1.27',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:v1.2.3',
    'localhost/app',
    'localhost:5000/app:dev',
    'registry.example.com:443/team/app_name__x:TAG_1',
    'REGISTRY.EXAMPLE.COM/app',
    '[::1]:5000/app',
    'my-registry.local/a.b/c--d',
    `ghcr.io/owner/repo@${DIGEST}`,
    `nginx:1.27@${DIGEST}`,
    `nginx:${'t'.repeat(128)}`,
    `${'a'.repeat(255)}:tag`,
  ])('accepts %s', (image) => {
    expect(validateTaskDefinition(withContainer({ image })).containerDefinitions[0].image).toBe(image);
  });

  it.each([
    ['', 'image must not be empty'],
    [' nginx', 'whitespace'],
    ['nginx latest', 'whitespace'],
    ['nginx\t', 'whitespace'],
    ['Nginx', 'repository name must be lowercase'],
    ['library/Nginx:1', 'repository name must be lowercase'],
    ['MyRegistry/app', 'repository name must be lowercase'],
    ['ghcr.io/Owner/repo', 'repository name must be lowercase'],
    ['nginx:', 'tag'],
    ['nginx:-bad', 'tag'],
    ['nginx:.bad', 'tag'],
    [`nginx:${'t'.repeat(129)}`, 'tag'],
    ['nginx:a:b', 'repository path'],
    ['nginx@sha256:abc', 'digest'],
    [`nginx@md5:${'a'.repeat(32)}`, 'digest'],
    [`nginx@sha256:${'A1'.repeat(32)}`, 'digest'],
    ['nginx@', 'digest'],
    ['a//b', 'repository path'],
    ['/nginx', 'repository path'],
    ['nginx/', 'repository path'],
    ['a..b', 'repository path'],
    ['a-', 'repository path'],
    ['_a', 'repository path'],
    ['a___b', 'repository path'],
    ['reg.io:port/app', 'registry host'],
    ['-reg.io/app', 'registry host'],
    [`${'a'.repeat(256)}`, 'more than 255 characters'],
  ])('rejects %j (%s)', (image, reason) => {
    const message = rejection(withContainer({ image })).message;
    expect(message.startsWith('containerDefinitions[0].image: invalid reference format: ')).toBe(true);
    expect(message).toContain(reason);
  });
});

describe('validateTaskDefinition: port mappings', () => {
  const inNetwork = (networkMode: string | undefined, portMappings: unknown[]) =>
    ec2({
      ...(networkMode === undefined ? {} : { networkMode }),
      containerDefinitions: [
        { name: 'side', image: 'nginx', memory: 64 },
        { name: 'web', image: 'nginx', memory: 64, portMappings },
      ],
    });

  it.each([
    [{ containerPort: 0 }, 'containerDefinitions[1].portMappings[0].containerPort must be between 1 and 65535.'],
    [{ containerPort: 65536 }, 'containerDefinitions[1].portMappings[0].containerPort must be between 1 and 65535.'],
    [{ containerPort: -80 }, 'containerDefinitions[1].portMappings[0].containerPort must be between 1 and 65535.'],
    [{ containerPort: 80, hostPort: 65536 }, 'containerDefinitions[1].portMappings[0].hostPort must be between 0 and 65535.'],
    [{ containerPort: 80, hostPort: -1 }, 'containerDefinitions[1].portMappings[0].hostPort must be between 0 and 65535.'],
    [{ containerPort: 80.5 }, 'containerDefinitions[1].portMappings[0].containerPort must be an integer.'],
    [{ hostPort: 80 }, 'containerDefinitions[1].portMappings[0].containerPort is required.'],
  ])('rejects %j', (mapping, message) => {
    expect(rejection(inNetwork('bridge', [mapping])).message).toBe(message);
  });

  it.each([
    ['awsvpc', { containerPort: 80, hostPort: 8080 }],
    ['awsvpc', { containerPort: 80, hostPort: 0 }],
    ['host', { containerPort: 80, hostPort: 8080 }],
  ])('rejects a hostPort other than containerPort in %s mode', (networkMode, mapping) => {
    expect(rejection(inNetwork(networkMode, [mapping])).message).toBe(
      `containerDefinitions[1].portMappings[0].hostPort must equal containerPort (80) when networkMode is ${networkMode}.`,
    );
  });

  it.each([
    ['awsvpc', { containerPort: 80 }, { containerPort: 80, hostPort: 80, protocol: 'tcp' }],
    ['awsvpc', { containerPort: 80, hostPort: 80, protocol: 'udp' }, { containerPort: 80, hostPort: 80, protocol: 'udp' }],
    ['host', { containerPort: 53, protocol: 'udp' }, { containerPort: 53, hostPort: 53, protocol: 'udp' }],
    ['bridge', { containerPort: 80 }, { containerPort: 80, protocol: 'tcp' }],
    ['bridge', { containerPort: 80, hostPort: 0 }, { containerPort: 80, hostPort: 0, protocol: 'tcp' }],
    ['bridge', { containerPort: 80, hostPort: 8080 }, { containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    [undefined, { containerPort: 65535, hostPort: 1 }, { containerPort: 65535, hostPort: 1, protocol: 'tcp' }],
    ['bridge', { containerPort: 1, name: 'web', appProtocol: 'grpc' }, { containerPort: 1, protocol: 'tcp', name: 'web', appProtocol: 'grpc' }],
  ])('in %s mode normalises %j to %j', (networkMode, mapping, expected) => {
    const result = validateTaskDefinition(inNetwork(networkMode, [mapping]));
    expect(result.containerDefinitions[1].portMappings).toEqual([expected]);
  });

  it('rejects port mappings in none mode but accepts an empty list', () => {
    expect(rejection(inNetwork('none', [{ containerPort: 80 }])).message).toBe(
      'containerDefinitions[1].portMappings: port mappings are not allowed when networkMode is none.',
    );
    expect(validateTaskDefinition(inNetwork('none', [])).containerDefinitions[1].portMappings).toEqual([]);
  });
});

describe('validateTaskDefinition: health checks', () => {
  const withHealthCheck = (healthCheck: Record<string, unknown>) => withContainer({ healthCheck });
  const COMMAND = ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'];

  it('fills the defaults and leaves startPeriod out when it is not given', () => {
    expect(validateTaskDefinition(withHealthCheck({ command: COMMAND })).containerDefinitions[0].healthCheck).toEqual({
      command: COMMAND,
      interval: 30,
      timeout: 5,
      retries: 3,
    });
  });

  it('keeps the values it is given', () => {
    const healthCheck = { command: ['CMD', 'pg_isready', '-q'], interval: 10, timeout: 3, retries: 5, startPeriod: 60 };
    expect(validateTaskDefinition(withHealthCheck(healthCheck)).containerDefinitions[0].healthCheck).toEqual(healthCheck);
  });

  it.each([
    ['interval', 5, 300],
    ['timeout', 2, 60],
    ['retries', 1, 10],
    ['startPeriod', 0, 300],
  ])('accepts %s from %i to %i and nothing outside', (field, min, max) => {
    for (const value of [min, max]) {
      const result = validateTaskDefinition(withHealthCheck({ command: COMMAND, [field]: value }));
      expect(result.containerDefinitions[0].healthCheck).toHaveProperty(field, value);
    }
    for (const value of [min - 1, max + 1]) {
      expect(rejection(withHealthCheck({ command: COMMAND, [field]: value })).message).toBe(
        `containerDefinitions[0].healthCheck.${field} must be between ${min} and ${max}.`,
      );
    }
  });

  it.each([[[]], [['CMD']], [['CMD-SHELL']], [['SHELL', 'true']], [['cmd', 'true']], [['true', 'CMD']]])(
    'rejects the command %j',
    (command) => {
      expect(rejection(withHealthCheck({ command })).message).toBe(
        'containerDefinitions[0].healthCheck.command must start with "CMD" or "CMD-SHELL" followed by at least one argument.',
      );
    },
  );

  it('rejects a health check without a command', () => {
    expect(rejection(withHealthCheck({ interval: 10 })).message).toBe(
      'containerDefinitions[0].healthCheck.command is required.',
    );
  });
});

describe('validateTaskDefinition: container dependencies', () => {
  const containers = (dependencies: Record<string, Array<[string, string]>>) =>
    ec2({
      containerDefinitions: Object.entries(dependencies).map(([name, dependsOn]) => ({
        name,
        image: 'nginx',
        memory: 64,
        ...(dependsOn.length > 0 && {
          dependsOn: dependsOn.map(([containerName, condition]) => ({ containerName, condition })),
        }),
      })),
    });

  it('accepts dependencies on other containers of the task, in any order', () => {
    const input = containers({ app: [['db', 'HEALTHY'], ['init', 'SUCCESS']], init: [['db', 'START']], db: [] });
    expect(validateTaskDefinition(input).containerDefinitions[0].dependsOn).toEqual([
      { containerName: 'db', condition: 'HEALTHY' },
      { containerName: 'init', condition: 'SUCCESS' },
    ]);
  });

  it('rejects a dependency on a container that is not in the task', () => {
    expect(rejection(containers({ app: [], web: [['app', 'START'], ['cache', 'START']] })).message).toBe(
      "containerDefinitions[1].dependsOn[1].containerName: container 'cache' is not defined in this task definition.",
    );
  });

  it.each([
    [{ app: [['app', 'START']] }, "'app' -> 'app'"],
    [{ a: [['b', 'START']], b: [['a', 'COMPLETE']] }, "'a' -> 'b' -> 'a'"],
    [{ a: [['b', 'START']], b: [['c', 'START']], c: [['b', 'START']] }, "'b' -> 'c' -> 'b'"],
  ] as Array<[Record<string, Array<[string, string]>>, string]>)('rejects the cycle in %j', (dependencies, cycle) => {
    const message = rejection(containers(dependencies)).message;
    expect(message).toMatch(/^containerDefinitions\[\d+\]\.dependsOn: circular dependency/);
    expect(message).toContain(cycle);
  });
});

describe('validateTaskDefinition: task cpu and memory', () => {
  it.each([
    ['256', '256'],
    [' 256 ', '256'],
    ['1024.0', '1024'],
    ['128', '128'],
    ['196608', '196608'],
    ['1 vCPU', '1024'],
    ['0.5 vcpu', '512'],
    ['2vCPU', '2048'],
    ['0.25 VCPU', '256'],
    ['0.125 vCPU', '128'],
    ['192 vCPU', '196608'],
  ])('normalises cpu %j to %j', (cpu, expected) => {
    expect(validateTaskDefinition(ec2({ cpu })).cpu).toBe(expected);
  });

  it.each(['', 'abc', '-256', '127', '196609', '0.1 vCPU', '256 units', '1 GB', '1e3', '0x100', '1,024', 'vCPU'])(
    'rejects cpu %j',
    (cpu) => {
      expect(rejection(ec2({ cpu })).message).toMatch(/^Invalid 'cpu' setting for task\./);
    },
  );

  it.each([
    ['512', '512'],
    ['6', '6'],
    ['2 GB', '2048'],
    ['2GB', '2048'],
    ['0.5 gb', '512'],
    ['1 GiB', '1024'],
    ['512 MiB', '512'],
    ['512MB', '512'],
    ['244 GB', '249856'],
  ])('normalises memory %j to %j', (memory, expected) => {
    const input = ec2({ memory, containerDefinitions: [{ name: 'web', image: 'nginx' }] });
    expect(validateTaskDefinition(input).memory).toBe(expected);
  });

  it.each(['', 'two', '5', '0', '-512', '1.5', '0.3 GB', '512 KB', '2 TB', 'GB'])('rejects memory %j', (memory) => {
    expect(rejection(ec2({ memory })).message).toMatch(/^Invalid 'memory' setting for task\./);
  });

  it('leaves cpu and memory out when they are not given', () => {
    const result = validateTaskDefinition(ec2());
    expect(result).not.toHaveProperty('cpu');
    expect(result).not.toHaveProperty('memory');
  });
});

describe('validateTaskDefinition: container resources', () => {
  const twoContainers = (a: Record<string, unknown>, b: Record<string, unknown>, task: Record<string, unknown> = {}) =>
    ec2({ containerDefinitions: [{ name: 'a', image: 'nginx', ...a }, { name: 'b', image: 'nginx', ...b }], ...task });

  it.each([
    ['container cpu adds up to the task cpu', twoContainers({ cpu: 128, memory: 64 }, { cpu: 128, memory: 64 }, { cpu: '256' })],
    ['container memory adds up to the task memory', twoContainers({ memory: 256 }, { memoryReservation: 256 }, { memory: '512' })],
    ['a container has only a memoryReservation', twoContainers({ memoryReservation: 64 }, { memory: 64 })],
    ['the task memory covers containers without either', twoContainers({}, {}, { memory: '512' })],
    ['memoryReservation equals memory', twoContainers({ memory: 64, memoryReservation: 64 }, { memory: 64 })],
    ['containers without cpu in a task with cpu', twoContainers({ memory: 64 }, { memory: 64 }, { cpu: '128' })],
  ])('accepts a definition where %s', (_, input) => {
    expect(() => validateTaskDefinition(input)).not.toThrow();
  });

  it.each([
    [
      'container cpu exceeds the task cpu',
      twoContainers({ cpu: 256, memory: 64 }, { cpu: 1, memory: 64 }, { cpu: '256' }),
      /^Invalid 'cpu' setting for task\. The containers' cpu adds up to 257/,
    ],
    [
      'container memory (hard limit, else reservation) exceeds the task memory',
      twoContainers({ memory: 256, memoryReservation: 128 }, { memoryReservation: 257 }, { memory: '512' }),
      /^Invalid 'memory' setting for task\. The containers' memory adds up to 513 MiB/,
    ],
    [
      'a container has neither memory nor memoryReservation and the task has no memory',
      twoContainers({ memory: 64 }, { cpu: 10 }),
      /^Invalid setting for container 'b' \(containerDefinitions\[1\]\)\. At least one of 'memory' or 'memoryReservation' must be specified\.$/,
    ],
    [
      'memoryReservation exceeds memory',
      twoContainers({ memory: 64, memoryReservation: 65 }, { memory: 64 }),
      /^Invalid setting for container 'a' \(containerDefinitions\[0\]\)\. 'memoryReservation' \(65\) must be less than or equal to 'memory' \(64\)\.$/,
    ],
  ])('rejects a definition where %s', (_, input, message) => {
    expect(rejection(input).message).toMatch(message);
  });
});

describe('validateTaskDefinition: Fargate', () => {
  it.each([
    ['task cpu is missing', fargate({ cpu: undefined }), "Fargate requires that 'cpu' be defined at the task level."],
    ['task memory is missing', fargate({ memory: undefined }), "Fargate requires that 'memory' be defined at the task level."],
    ['networkMode is missing (ECS defaults to bridge)', fargate({ networkMode: undefined }), "Invalid 'networkMode' setting for task. Fargate only supports network mode 'awsvpc'."],
    ['networkMode is bridge', fargate({ networkMode: 'bridge' }), "Invalid 'networkMode' setting for task. Fargate only supports network mode 'awsvpc'."],
    ['EC2 is required as well', fargate({ requiresCompatibilities: ['EC2', 'FARGATE'], networkMode: 'host' }), "Invalid 'networkMode' setting for task. Fargate only supports network mode 'awsvpc'."],
  ])('rejects a definition where %s', (_, input, message) => {
    expect(rejection(input).message).toBe(message);
  });

  it('rejects a cpu Fargate does not offer', () => {
    expect(rejection(fargate({ cpu: '128' })).message).toMatch(/^Invalid 'cpu' setting for task\. Fargate supports 256, 512,/);
  });

  it('rejects a memory size the cpu does not come with', () => {
    expect(rejection(fargate({ cpu: '256', memory: '4096' })).message).toMatch(
      /^No Fargate configuration exists for given values: 256 CPU, 4096 memory\. Valid 'memory' values for 'cpu' 256 are 512, 1024, 2048\.$/,
    );
  });

  it('requires an execution role for the awslogs driver', () => {
    const logging = (extra: Record<string, unknown>) =>
      fargate({ containerDefinitions: [{ name: 'web', image: 'nginx', logConfiguration: { logDriver: 'awslogs' } }], ...extra });
    expect(rejection(logging({})).message).toBe(
      "Invalid 'executionRoleArn' setting for task. Fargate requires task definition to have execution role ARN to support log driver awslogs.",
    );
    expect(() => validateTaskDefinition(logging({ executionRoleArn: 'arn:aws:iam::123456789012:role/exec' }))).not.toThrow();
    expect(() =>
      validateTaskDefinition(withContainer({ logConfiguration: { logDriver: 'awslogs' } })),
    ).not.toThrow();
  });

  it.each(['stopTimeout', 'startTimeout'])('limits %s to 2–120 seconds on Fargate only', (field) => {
    const on = (value: number) => fargate({ containerDefinitions: [{ name: 'web', image: 'nginx', [field]: value }] });
    for (const value of [2, 120]) expect(() => validateTaskDefinition(on(value))).not.toThrow();
    for (const value of [1, 121]) {
      expect(rejection(on(value)).message).toBe(`containerDefinitions[0].${field} must be between 2 and 120 on Fargate.`);
    }
    expect(() => validateTaskDefinition(withContainer({ [field]: 600 }))).not.toThrow();
  });

  it.each(FARGATE_PAIRS)('accepts %i CPU units with %i MiB, written in units or in vCPU and GB', (cpu, memory) => {
    const inUnits = validateTaskDefinition(fargate({ cpu: String(cpu), memory: String(memory) }));
    const inVcpuAndGb = validateTaskDefinition(fargate({ cpu: `${cpu / 1024} vCPU`, memory: `${memory / 1024} GB` }));
    expect([inUnits.cpu, inUnits.memory]).toEqual([String(cpu), String(memory)]);
    expect([inVcpuAndGb.cpu, inVcpuAndGb.memory]).toEqual([String(cpu), String(memory)]);
  });

  it('normalises every valid pair to the same strings however its units are spelt (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FARGATE_PAIRS),
        fc.constantFrom('', ' ', '  '),
        fc.constantFrom('vCPU', 'vcpu', 'VCPU', 'VCpu'),
        fc.constantFrom('GB', 'gb', 'GiB', 'Gb'),
        fc.boolean(),
        fc.boolean(),
        ([cpu, memory], space, vcpu, gb, cpuInVcpu, memoryInGb) => {
          const result = validateTaskDefinition(
            fargate({
              cpu: cpuInVcpu ? `${cpu / 1024}${space}${vcpu}` : String(cpu),
              memory: memoryInGb ? `${memory / 1024}${space}${gb}` : `${memory}${space}${space ? 'MiB' : ''}`,
            }),
          );
          expect(result.cpu).toBe(String(cpu));
          expect(result.memory).toBe(String(memory));
        },
      ),
    );
  });

  it('rejects every pair outside the table (property)', () => {
    const validCpus = [...new Set(FARGATE_PAIRS.map(([cpu]) => cpu))];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constantFrom(...validCpus), fc.integer({ min: 6, max: 300_000 })),
          fc.tuple(fc.integer({ min: 128, max: 40_000 }), fc.integer({ min: 6, max: 300_000 })),
          fc.tuple(fc.constantFrom(...validCpus), fc.constantFrom(...FARGATE_PAIRS.map(([, memory]) => memory))),
        ),
        ([cpu, memory]) => {
          fc.pre(!isFargatePair(cpu, memory));
          const message = rejection(fargate({ cpu: String(cpu), memory: String(memory) })).message;
          expect(message).toMatch(/^(Invalid 'cpu' setting for task\.|No Fargate configuration exists for given values: .*'memory')/);
        },
      ),
    );
  });
});

describe('registerTaskDefinitionSchema', () => {
  it('turns into JSON Schema for the OpenAPI document', () => {
    const schema = z.toJSONSchema(registerTaskDefinitionSchema(), { io: 'input', unrepresentable: 'any' }) as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, any>;
    };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(['containerDefinitions', 'family']);
    const containers = schema.properties.containerDefinitions;
    expect([containers.minItems, containers.maxItems]).toEqual([1, 10]);
    const containerPort = containers.items.properties.portMappings.items.properties.containerPort;
    expect(containerPort).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(containers.items.required.sort()).toEqual(['image', 'name']);
  });

  it('types a request body as RegisterTaskDefinitionInput', () => {
    const body: RegisterTaskDefinitionInput = {
      family: 'web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }] }],
    };
    expect(validateTaskDefinition(body).family).toBe('web');
  });
});

describe('parseTaskDefinitionRef', () => {
  it.each([
    ['web', { family: 'web' }],
    ['web:3', { family: 'web', revision: 3 }],
    ['web:007', { family: 'web', revision: 7 }],
    ['Web_App-2:12', { family: 'Web_App-2', revision: 12 }],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/web:3', { family: 'web', revision: 3 }],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/web', { family: 'web' }],
    ['arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:1', { family: 'web', revision: 1 }],
  ])('reads %s', (ref, expected) => {
    expect(parseTaskDefinitionRef(ref)).toEqual(expected);
  });

  it.each([
    ['web:0', 'Invalid revision number. Number: 0'],
    ['web:x', 'Invalid revision number. Number: x'],
    ['web:', 'Invalid revision number. Number: '],
    ['web:-1', 'Invalid revision number. Number: -1'],
    ['web:1.5', 'Invalid revision number. Number: 1.5'],
    ['web:1:2', 'Invalid revision number. Number: 1:2'],
    ['web:99999999999999999999', 'Invalid revision number. Number: 99999999999999999999'],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/web:latest', 'Invalid revision number. Number: latest'],
    ['', /^Family contains invalid characters/],
    ['my app:1', /^Family contains invalid characters/],
    [`${'f'.repeat(256)}:1`, /^Family contains invalid characters/],
    ['arn:aws:ecs:us-east-1:123456789012:service/prod/web', 'Invalid task definition ARN: arn:aws:ecs:us-east-1:123456789012:service/prod/web'],
    ['arn:aws:ecs:us-east-1:1234:task-definition/web:1', 'Invalid task definition ARN: arn:aws:ecs:us-east-1:1234:task-definition/web:1'],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/', 'Invalid task definition ARN: arn:aws:ecs:us-east-1:123456789012:task-definition/'],
  ] as Array<[string, string | RegExp]>)('rejects %j', (ref, message) => {
    const error = rejectionOfRef(ref);
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  it('builds ARNs it can read back (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,255}$/),
        fc.integer({ min: 1, max: 1_000_000 }),
        (family, revision) => {
          const arn = taskDefinitionArn('eu-west-1', '123456789012', family, revision);
          expect(arn).toBe(`arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`);
          expect(parseTaskDefinitionRef(arn)).toEqual({ family, revision });
          expect(parseTaskDefinitionRef(`${family}:${revision}`)).toEqual({ family, revision });
        },
      ),
    );
  });
});

describe('validateTaskDefinition: Fargate namespaces, storage, proxy and platform', () => {
  it.each([
    [{ pidMode: 'host' }, "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."],
    [{ ipcMode: 'host' }, 'Tasks using the Fargate launch type do not support ipcMode.'],
    [{ ipcMode: 'task' }, 'Tasks using the Fargate launch type do not support ipcMode.'],
  ])('refuses %j on Fargate with ECS sentence', (fields, message) => {
    expect(rejection(fargate(fields)).message).toBe(message);
  });

  it('accepts pidMode task on Fargate and echoes it', () => {
    expect(validateTaskDefinition(fargate({ pidMode: 'task' })).pidMode).toBe('task');
  });

  it.each([21, 100, 200])('accepts and echoes %d GiB of ephemeral storage', (sizeInGiB) => {
    expect(validateTaskDefinition(fargate({ ephemeralStorage: { sizeInGiB } })).ephemeralStorage).toEqual({ sizeInGiB });
  });

  it.each([20, 201, 21.5])('refuses %d GiB of ephemeral storage, naming the field', (sizeInGiB) => {
    expect(rejection(fargate({ ephemeralStorage: { sizeInGiB } })).message).toMatch(/^ephemeralStorage\.sizeInGiB must be/);
  });

  it('echoes a proxy configuration with ECS defaults and refuses one naming an unknown container', () => {
    const proxy = { containerName: 'web', properties: [{ name: 'ProxyIngressPort', value: '15000' }] };
    expect(validateTaskDefinition(fargate({ proxyConfiguration: proxy })).proxyConfiguration).toEqual({ type: 'APPMESH', ...proxy });
    expect(rejection(fargate({ proxyConfiguration: { containerName: 'envoy' } })).message).toMatch(/proxyConfiguration\.containerName.*envoy/);
  });

  it.each([
    [{ cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' }, undefined],
    [{ cpuArchitecture: 'X86_64', operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' }, /1024 CPU units/],
    [{ cpuArchitecture: 'ARM64', operatingSystemFamily: 'WINDOWS_SERVER_2019_FULL' }, /cpuArchitecture/],
    [{ operatingSystemFamily: 'WINDOWS_SERVER_2016_FULL' }, /operatingSystemFamily/],
  ])('applies Fargate runtime platform rules to %j', (runtimePlatform, refusal) => {
    const input = fargate({ runtimePlatform });
    if (refusal === undefined) expect(validateTaskDefinition(input).runtimePlatform).toEqual(runtimePlatform);
    else expect(rejection(input).message).toMatch(refusal);
  });

  it('accepts Windows on Fargate from 1 vCPU', () => {
    const input = fargate({ cpu: '1024', memory: '2048', runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } });
    expect(validateTaskDefinition(input).runtimePlatform).toEqual({ operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' });
  });
});

describe('validateTaskDefinition: volumes as ECS models them', () => {
  it('echoes each kind of volume and the mounts that use them', () => {
    const volumes = [
      { name: 'scratch', host: {} },
      { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'ENABLED', authorizationConfig: { iam: 'ENABLED' } } },
      { name: 'later', configuredAtLaunch: true },
    ];
    const mountPoints = [{ sourceVolume: 'efs', containerPath: '/data', readOnly: true }];
    const result = validateTaskDefinition(fargate({ volumes, containerDefinitions: [{ name: 'web', image: 'nginx', mountPoints }] }));
    expect(result.volumes).toEqual(volumes);
    expect(result.containerDefinitions[0].mountPoints).toEqual(mountPoints);
  });

  it.each([
    ['an unknown member', ec2({ volumes: [{ name: 'v', nested: { deep: [1] } }] }), "Unknown parameter 'volumes[0].nested'."],
    ['two kinds at once', ec2({ volumes: [{ name: 'v', host: {}, efsVolumeConfiguration: { fileSystemId: 'fs-1' } }] }), /volumes\[0\]: a volume can have only one/],
    ['no name', ec2({ volumes: [{ host: {} }] }), 'volumes[0].name is required.'],
    ['a mount of an unknown volume', withContainer({ mountPoints: [{ sourceVolume: 'nope', containerPath: '/x' }] }), /Unknown volume 'nope'/],
    ['volumesFrom an unknown container', withContainer({ volumesFrom: [{ sourceContainer: 'nope' }] }), /Unknown container 'nope'/],
    ['a Docker volume on Fargate', fargate({ volumes: [{ name: 'v', dockerVolumeConfiguration: { scope: 'task' } }] }), /volumes\[0\]\.dockerVolumeConfiguration/],
    ['a host path on Fargate', fargate({ volumes: [{ name: 'v', host: { sourcePath: '/var' } }] }), /volumes\[0\]\.host\.sourcePath/],
  ])('refuses %s', (_, input, message) => {
    const refused = rejection(input).message;
    if (typeof message === 'string') expect(refused).toBe(message);
    else expect(refused).toMatch(message);
  });
});

describe('validateTaskDefinition: user maps', () => {
  const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

  it('keeps every Object.prototype name as a key, in every map, on prototype-free objects', () => {
    // Made as JSON.parse makes a request body: "__proto__" is an own key there.
    const map = JSON.parse(`{${PROTOTYPE_NAMES.map((name) => `${JSON.stringify(name)}:${JSON.stringify(`v-${name}`)}`).join(',')}}`);
    expect(Object.keys(map)).toEqual(PROTOTYPE_NAMES);
    const result = validateTaskDefinition(
      withContainer(
        { dockerLabels: map, logConfiguration: { logDriver: 'json-file', options: map }, firelensConfiguration: { type: 'fluentbit', options: map } },
        { volumes: [{ name: 'v', dockerVolumeConfiguration: { driverOpts: map, labels: map } }] },
      ),
    );
    const [container] = result.containerDefinitions;
    const maps = [
      container.dockerLabels,
      container.logConfiguration?.options,
      container.firelensConfiguration?.options,
      result.volumes[0].dockerVolumeConfiguration?.driverOpts,
      result.volumes[0].dockerVolumeConfiguration?.labels,
    ];
    for (const echoed of maps) {
      expect(Object.getPrototypeOf(echoed)).toBeNull();
      expect(Object.entries(echoed!)).toEqual(Object.entries(map));
    }
    expect(JSON.parse(JSON.stringify(result)).containerDefinitions[0].dockerLabels).toEqual(map);
  });

  it.each([
    ['an array', []],
    ['a number value', { a: 1 }],
    ['a null value', { a: null }],
    ['an object value', { a: { b: 'c' } }],
    ['an empty key', { '': 'x' }],
    ['a 256-character key', { ['k'.repeat(256)]: 'x' }],
    ['101 entries', Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']))],
  ])('refuses %s in dockerLabels, naming the field', (_, dockerLabels) => {
    expect(rejection(withContainer({ dockerLabels })).message).toMatch(/^containerDefinitions\[0\]\.dockerLabels /);
  });
});

describe('validateTaskDefinition: numbers', () => {
  const numericPaths: Array<[string, (value: number) => Record<string, unknown>]> = [
    ['containerDefinitions[0].cpu', (cpu) => withContainer({ cpu })],
    ['containerDefinitions[0].memory', (memory) => withContainer({ memory })],
    ['containerDefinitions[0].memoryReservation', (memoryReservation) => withContainer({ memoryReservation })],
    ['containerDefinitions[0].stopTimeout', (stopTimeout) => withContainer({ stopTimeout })],
    ['containerDefinitions[0].startTimeout', (startTimeout) => withContainer({ startTimeout })],
    ['containerDefinitions[0].portMappings[0].containerPort', (containerPort) => withContainer({ portMappings: [{ containerPort }] })],
    ['containerDefinitions[0].healthCheck.retries', (retries) => withContainer({ healthCheck: { command: ['CMD', 'true'], retries } })],
    ['ephemeralStorage.sizeInGiB', (sizeInGiB) => ec2({ ephemeralStorage: { sizeInGiB } })],
    ['volumes[0].efsVolumeConfiguration.transitEncryptionPort', (port) => ec2({ volumes: [{ name: 'v', efsVolumeConfiguration: { fileSystemId: 'f', transitEncryptionPort: port } }] })],
  ];

  it.each(numericPaths.flatMap(([path, build]) => [1e20, 9e15, 2 ** 31, -1e20, Infinity, 0.5].map((value) => [path, value, build] as const)))(
    '%s = %d is refused, naming the field',
    (path, value, build) => {
      expect(rejection(build(value)).message.startsWith(`${path} must be`)).toBe(true);
    },
  );

  it('refuses 1e309 (Infinity once parsed) wherever it appears', () => {
    const input = JSON.parse(JSON.stringify(withContainer({ memory: 0 })).replace('"memory":0', '"memory":1e309'));
    expect(input.containerDefinitions[0].memory).toBe(Infinity);
    expect(rejection(input).message).toBe('containerDefinitions[0].memory must be a number.');
  });
});
