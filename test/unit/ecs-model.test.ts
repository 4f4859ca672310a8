import { modelViolations } from '../support/ecs-model';

/** A DescribeTaskDefinition answer as ECS sends it, to spoil one member at a time. */
const taskDefinitionAnswer = () => ({
  taskDefinition: {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    family: 'web',
    revision: 1,
    status: 'ACTIVE',
    cpu: '256',
    memory: '512',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    containerDefinitions: [
      {
        name: 'web',
        image: 'nginx:1.27',
        essential: true,
        portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'web' } },
      },
    ],
    volumes: [],
    placementConstraints: [],
    registeredAt: 1767225600.123,
  },
  tags: [{ key: 'team', value: 'web' }],
});

describe('the ECS model checker', () => {
  it('accepts answers that conform, including empty ones', () => {
    expect(modelViolations('DescribeTaskDefinition', taskDefinitionAnswer())).toEqual([]);
    expect(modelViolations('ListClusters', {})).toEqual([]);
    expect(modelViolations('TagResource', {})).toEqual([]);
    expect(
      modelViolations('DescribeClusters', {
        clusters: [],
        failures: [{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/x', reason: 'MISSING' }],
      }),
    ).toEqual([]);
  });

  it.each<[string, (answer: any) => void, string]>([
    ['an unknown member', (answer) => (answer.taskDefinition.clusterName = 'x'), 'taskDefinition.clusterName: not a member of TaskDefinition'],
    ['an unknown top-level member', (answer) => (answer.extra = 1), 'DescribeTaskDefinition.extra: not a member'],
    ['an unknown member deep inside', (answer) => (answer.taskDefinition.containerDefinitions[0].portMappings[0].colour = 'red'), 'portMappings[0].colour: not a member of PortMapping'],
    ['a null', (answer) => (answer.taskDefinition.cpu = null), 'taskDefinition.cpu: null'],
    ['a null in a list', (answer) => (answer.tags[0] = null), 'tags[0]: null'],
    ['a number for a string', (answer) => (answer.taskDefinition.cpu = 256), 'taskDefinition.cpu: expected string, got number'],
    ['a string for a number', (answer) => (answer.taskDefinition.revision = '1'), 'taskDefinition.revision: expected number, got string'],
    ['a string for a boolean', (answer) => (answer.taskDefinition.containerDefinitions[0].essential = 'true'), 'essential: expected boolean, got string'],
    ['an ISO timestamp', (answer) => (answer.taskDefinition.registeredAt = '2026-01-01T00:00:00Z'), 'registeredAt: expected number, got string'],
    ['an object for a list', (answer) => (answer.taskDefinition.volumes = {}), 'taskDefinition.volumes: expected list'],
    ['a list for a structure', (answer) => (answer.taskDefinition.containerDefinitions[0].logConfiguration = []), 'logConfiguration: expected structure'],
    ['a wrong map value', (answer) => (answer.taskDefinition.containerDefinitions[0].logConfiguration.options.x = 1), 'options.x: expected string, got number'],
    ['a value outside an enum', (answer) => (answer.taskDefinition.status = 'DELETED'), 'taskDefinition.status: "DELETED" is not one of ACTIVE, DELETE_IN_PROGRESS, INACTIVE'],
    ['a value outside an enum in a list', (answer) => (answer.taskDefinition.compatibilities[1] = 'fargate'), 'compatibilities[1]: "fargate" is not one of'],
    ['a value outside a nested enum', (answer) => (answer.taskDefinition.containerDefinitions[0].portMappings[0].protocol = 'TCP'), 'protocol: "TCP" is not one of'],
  ])('catches %s', (_name, spoil, problem) => {
    const answer = taskDefinitionAnswer();
    spoil(answer);
    const found = modelViolations('DescribeTaskDefinition', answer);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(problem);
  });

  it('knows each operation by its own output structure', () => {
    // createdAt is ecsbox's own field: the Cluster structure has none.
    expect(modelViolations('CreateCluster', { cluster: { clusterName: 'x', createdAt: 1 } })).toEqual([
      'CreateCluster.cluster.createdAt: not a member of Cluster',
    ]);
    expect(modelViolations('ListClusters', { taskDefinitionArns: [] })).toEqual([
      'ListClusters.taskDefinitionArns: not a member of ListClustersResponse',
    ]);
    expect(() => modelViolations('LaunchRocket', {})).toThrow(/no operation LaunchRocket/);
  });
});
