/**
 * The EC2 instance types ecsbox simulates, with what the ECS agent registers for each: CPU units
 * (1,024 per vCPU), MEMORY in MiB as the agent reports it (the memory the kernel sees, a few
 * percent under the type's nominal size, so a task sized to the nominal memory does not fit, as on
 * EC2), and the elastic network interfaces the type can attach. Without ENI trunking, an awsvpc
 * task takes one ENI and the instance keeps its primary one, so it runs at most `maxEnis - 1`
 * awsvpc tasks. Figures are from the EC2 instance type pages and the memory agents report on
 * Amazon Linux 2023 ECS-optimized AMIs; they are close, not exact, and the same on every run.
 */
export interface InstanceType {
  name: string;
  vcpus: number;
  /** Nominal memory in MiB, as EC2 sells it. */
  nominalMemory: number;
  /** What the ECS agent registers as MEMORY. */
  registeredMemory: number;
  /** Network interfaces the type can attach (its primary one included). */
  maxEnis: number;
}

const type = (name: string, vcpus: number, nominalGiB: number, registeredMemory: number, maxEnis: number): InstanceType => ({
  name,
  vcpus,
  nominalMemory: nominalGiB * 1024,
  registeredMemory,
  maxEnis,
});

export const INSTANCE_TYPES: readonly InstanceType[] = [
  type('t3.micro', 2, 1, 944, 2),
  type('t3.small', 2, 2, 1955, 3),
  type('t3.medium', 2, 4, 3904, 3),
  type('t3.large', 2, 8, 7944, 3),
  type('t3.xlarge', 4, 16, 15846, 4),
  type('t3.2xlarge', 8, 32, 31795, 4),
  type('c5.large', 2, 4, 3703, 3),
  type('c5.xlarge', 4, 8, 7538, 4),
  type('m5.large', 2, 8, 7680, 3),
  type('m5.xlarge', 4, 16, 15576, 4),
  type('m5.2xlarge', 8, 32, 31665, 4),
  type('r5.large', 2, 16, 15788, 3),
];

export const INSTANCE_TYPE_NAMES = INSTANCE_TYPES.map((instanceType) => instanceType.name) as [string, ...string[]];

export const instanceTypeNamed = (name: string): InstanceType | undefined => INSTANCE_TYPES.find((candidate) => candidate.name === name);

/** CPU units per vCPU, as the agent registers them. */
export const CPU_UNITS_PER_VCPU = 1024;

/** The TCP ports the agent reserves on every instance (SSH, Docker, the agent's introspection). */
export const RESERVED_TCP_PORTS: readonly number[] = [22, 2375, 2376, 51678, 51679];

/** The host ports a bridge-mode container with hostPort 0 is given one of (the agent's default range). */
export const DYNAMIC_PORT_RANGE = { first: 32768, last: 60999 } as const;

/** awsvpc tasks an instance of the type can run without ENI trunking: one ENI each, the primary one kept. */
export const awsvpcTaskLimit = (instanceType: InstanceType) => instanceType.maxEnis - 1;
