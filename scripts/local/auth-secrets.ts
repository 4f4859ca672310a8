import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The local stack's master key and admin token in sigv4 mode: drawn once and kept in
 * .data/local-auth.json (readable by this user only), so that issued keys keep working across
 * restarts with --persist. The deployed stage reads its own from SSM Parameter Store instead.
 */
export interface LocalAuthSecrets {
  ECSBOX_MASTER_KEY: string;
  ECSBOX_ADMIN_TOKEN: string;
}

export const LOCAL_AUTH_FILE = join(process.cwd(), '.data', 'local-auth.json');

export const localAuthSecrets = (file = LOCAL_AUTH_FILE): LocalAuthSecrets => {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalAuthSecrets>;
    if (stored.ECSBOX_MASTER_KEY && stored.ECSBOX_ADMIN_TOKEN) return stored as LocalAuthSecrets;
  } catch {
    // Not there yet (or unreadable): draw new ones.
  }
  const secrets = { ECSBOX_MASTER_KEY: randomBytes(32).toString('hex'), ECSBOX_ADMIN_TOKEN: randomBytes(24).toString('hex') };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
};
