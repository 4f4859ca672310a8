import { SimulatedFleet, type TimingProfile } from '../../lib/fleet/simulated';
import { describeFleetBackendContract, sampleTaskDefinition } from '../contract/fleet-backend';

const profiles: Array<[TimingProfile, number]> = [
  ['fast', 100],
  ['realistic', 1_000],
];

for (const [profile, pollIntervalMs] of profiles) {
  describeFleetBackendContract(
    `SimulatedFleet (${profile})`,
    async () => {
      let now = Date.UTC(2026, 0, 1);
      return {
        backend: new SimulatedFleet({ profile }),
        clock: {
          now: () => now,
          advance: async (ms: number) => {
            now += ms;
          },
        },
        taskDefinition: sampleTaskDefinition,
      };
    },
    { pollIntervalMs },
  );
}
