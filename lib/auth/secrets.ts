import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AuthSettings } from '../config';

/** The stage's two secrets: the master key every tenant secret derives from, and the admin token. */
export interface AuthSecrets {
  masterKey: string;
  adminToken: string;
}

/**
 * The secrets, from the environment (locally) or from SSM Parameter Store SecureStrings (deployed,
 * so that they never sit in the function's configuration), read once per cold start. A failed read
 * is not cached: the next request tries again.
 */
export const secretsSource = (settings: AuthSettings, region: string): (() => Promise<AuthSecrets>) => {
  let pending: Promise<AuthSecrets> | undefined;
  const load = async (): Promise<AuthSecrets> => {
    // A value given directly (locally) wins over its parameter.
    const names = [
      settings.masterKey === undefined && settings.masterKeyParameter,
      settings.adminToken === undefined && settings.adminTokenParameter,
    ].filter((name): name is string => !!name);
    const values = new Map<string, string>();
    if (names.length > 0) {
      const client = new SSMClient({ region });
      try {
        const { Parameters = [] } = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
        for (const parameter of Parameters) if (parameter.Name && parameter.Value) values.set(parameter.Name, parameter.Value);
      } finally {
        client.destroy();
      }
    }
    const masterKey = settings.masterKey ?? values.get(settings.masterKeyParameter ?? '');
    const adminToken = settings.adminToken ?? values.get(settings.adminTokenParameter ?? '');
    if (!masterKey || !adminToken) throw new Error('the master key or admin token parameter could not be read');
    return { masterKey, adminToken };
  };
  return () =>
    (pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
};
