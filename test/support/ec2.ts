/** The container instance operations, checked against ECS's model by test/e2e/container-instances.test.ts. */
export const CONTAINER_INSTANCE_OPERATIONS = [
  'RegisterContainerInstance',
  'DeregisterContainerInstance',
  'DescribeContainerInstances',
  'ListContainerInstances',
  'UpdateContainerInstancesState',
  'PutAttributes',
  'DeleteAttributes',
  'ListAttributes',
];

/** Operations on container instances' tasks, checked against ECS's model by test/e2e/ec2-tasks.test.ts. */
export const EC2_TASK_OPERATIONS = ['StartTask'];

/** The capacity provider operations, checked against ECS's model by test/e2e/capacity-providers.test.ts. */
export const CAPACITY_PROVIDER_OPERATIONS = [
  'CreateCapacityProvider',
  'DescribeCapacityProviders',
  'UpdateCapacityProvider',
  'DeleteCapacityProvider',
  'PutClusterCapacityProviders',
];

/** An EC2 instance identity document as the agent sends it (EC2's has more members, ignored). */
export const identityDocument = (instanceId: string, instanceType: string, availabilityZone: string) =>
  JSON.stringify({
    accountId: '000000000000',
    architecture: 'x86_64',
    availabilityZone,
    imageId: 'ami-0123456789abcdef0',
    instanceId,
    instanceType,
    pendingTime: '2026-11-30T12:00:00Z',
    privateIp: '10.0.1.17',
    region: availabilityZone.slice(0, -1),
    version: '2017-09-30',
  });
