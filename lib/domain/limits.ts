/**
 * ECS's service quotas that ecsbox enforces (see docs/limits.md). The defaults are ECS's; the
 * tests lower them to reach them cheaply.
 */
export interface ResourceLimits {
  clustersPerAccount: number;
  servicesPerCluster: number;
  revisionsPerFamily: number;
}

export const ECS_LIMITS: ResourceLimits = {
  clustersPerAccount: 10_000,
  servicesPerCluster: 5_000,
  revisionsPerFamily: 1_000_000,
};
