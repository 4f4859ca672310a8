import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { apiUrl } from './http';

/**
 * The AWS CLI v2 (Debian's, in /usr/bin: a pip-installed v1 elsewhere on PATH must not win),
 * pointed at the local stack: `awsCli('ecs', 'list-clusters')`. Answers its standard output.
 */
export const awsCli = async (service: string, ...args: string[]): Promise<string> => {
  const { stdout } = await promisify(execFile)('aws', [service, '--endpoint-url', apiUrl(), ...args], {
    env: {
      ...process.env,
      PATH: `/usr/bin:${process.env.PATH}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    },
  });
  return stdout.trim();
};
