import { parseConfig } from '../../lib/config';
import type { FleetBackend } from '../../lib/fleet/backend';
import { ClusterFleets } from '../../lib/fleet/resolver';

const simulated = { name: 'simulated' } as FleetBackend;
const arn = (account: string, cluster: string) => `arn:aws:ecs:us-east-1:${account}:cluster/${cluster}`;

const fleets = (environment: Record<string, string> = {}, simulatedOnly = false) => {
  const made: Array<{ target: object; familyPrefix: string }> = [];
  const resolver = new ClusterFleets(
    simulated,
    parseConfig({ TABLE_NAME: 't', ...environment }).fleetDefaults,
    'us-east-1',
    { simulatedOnly },
    (_client, target, familyPrefix) => {
      made.push({ target, familyPrefix });
      return { name: 'fargate' } as FleetBackend;
    },
  );
  return { resolver, made };
};

describe('which backend runs a cluster', () => {
  it('is only ever the simulated fleet in hosted mode: Fargate and an endpoint override (SSRF) are refused', () => {
    const { resolver } = fleets({}, true);
    expect(resolver.settingsFor({ backend: 'simulated' })).toEqual({ backend: 'simulated' });
    expect(() => resolver.settingsFor({ backend: 'fargate', fargate: { cluster: 'c', subnets: ['s'] } })).toThrow(/simulated fleet only/);
    expect(() => resolver.settingsFor({ backend: 'simulated', fargate: { endpoint: 'http://169.254.169.254/' } })).toThrow(/simulated fleet only/);
  });

  it('is the simulated fleet by default', () => {
    expect(fleets().resolver.forCluster({ clusterArn: arn('000000000000', 'a') })).toBe(simulated);
  });

  it('follows the stage default, with the stage target', () => {
    const { resolver, made } = fleets({ FLEET_BACKEND: 'fargate', FARGATE_CLUSTER: 'prod', FARGATE_SUBNETS: 'subnet-1, subnet-2' });
    expect(resolver.forCluster({ clusterArn: arn('000000000000', 'a') }).name).toBe('fargate');
    expect(made).toEqual([{ target: { cluster: 'prod', subnets: ['subnet-1', 'subnet-2'] }, familyPrefix: 'ecsbox-000000000000-' }]);
  });

  it("lets a cluster's own setting override the stage, field by field", () => {
    const { resolver, made } = fleets({ FARGATE_CLUSTER: 'prod', FARGATE_SUBNETS: 'subnet-1', FARGATE_ASSIGN_PUBLIC_IP: 'DISABLED' });
    resolver.forCluster({ clusterArn: arn('000000000000', 'a'), fleet: { backend: 'fargate', fargate: { subnets: ['subnet-9'] } } });
    expect(made[0].target).toEqual({ cluster: 'prod', subnets: ['subnet-9'], assignPublicIp: 'DISABLED' });
    expect(resolver.forCluster({ clusterArn: arn('000000000000', 'b'), fleet: { backend: 'simulated' } })).toBe(simulated);
  });

  it('builds one adapter per target and account, and reuses it', () => {
    const { resolver, made } = fleets({ FLEET_BACKEND: 'fargate', FARGATE_CLUSTER: 'prod', FARGATE_SUBNETS: 'subnet-1' });
    const first = resolver.forCluster({ clusterArn: arn('000000000000', 'a') });
    expect(resolver.forCluster({ clusterArn: arn('000000000000', 'b') })).toBe(first);
    expect(resolver.forCluster({ clusterArn: arn('111111111111', 'a') })).not.toBe(first);
    expect(made.map((entry) => entry.familyPrefix)).toEqual(['ecsbox-000000000000-', 'ecsbox-111111111111-']);
  });

  it('refuses Fargate without a target, naming the setting', () => {
    expect(() => fleets().resolver.forCluster({ clusterArn: arn('000000000000', 'a'), fleet: { backend: 'fargate' } })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterException', message: expect.stringMatching(/fleet\.fargate/) }),
    );
  });
});

describe('hosted mode configuration', () => {
  const hosted = (environment: Record<string, string>) => () => parseConfig({ TABLE_NAME: 't', ECSBOX_AUTH: 'sigv4', ...environment });

  it('needs its two secrets, and refuses a Fargate default or endpoint', () => {
    expect(hosted({})).toThrow(/ECSBOX_MASTER_KEY or ECSBOX_MASTER_KEY_PARAMETER is required; ECSBOX_ADMIN_TOKEN or ECSBOX_ADMIN_TOKEN_PARAMETER is required/);
    const secrets = { ECSBOX_MASTER_KEY_PARAMETER: '/ecsbox/dev/master-key', ECSBOX_ADMIN_TOKEN_PARAMETER: '/ecsbox/dev/admin-token' };
    expect(hosted({ ...secrets, FLEET_BACKEND: 'fargate' })).toThrow(/FLEET_BACKEND: must be simulated/);
    expect(hosted({ ...secrets, FARGATE_ENDPOINT: 'http://169.254.169.254' })).toThrow(/FARGATE_ENDPOINT: must be unset/);
    expect(hosted(secrets)().auth).toEqual({ mode: 'sigv4', masterKeyParameter: '/ecsbox/dev/master-key', adminTokenParameter: '/ecsbox/dev/admin-token' });
  });

  it('open mode never reads SSM: its secrets are the fixed local ones', () => {
    const { auth } = parseConfig({ TABLE_NAME: 't', ECSBOX_MASTER_KEY_PARAMETER: '/ecsbox/dev/master-key' });
    expect(auth).toMatchObject({ mode: 'open', masterKeyParameter: undefined, masterKey: expect.any(String), adminToken: expect.any(String) });
  });
});
