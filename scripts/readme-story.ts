/**
 * npm run test:readme — runs the README's walk-throughs exactly as printed, against the local
 * stack started as `npm start` starts it (on port 3000, as the README says), and checks what they
 * leave behind. `--cli` runs the "Use the AWS CLI" section (needs the AWS CLI v2:
 * `apt-get install -y awscli`), `--sandbox` the "A hosted sandbox" section (the CLI too, against the
 * stack started in sigv4 mode as `ECSBOX_AUTH=sigv4 npm start` starts it), `--autoscaling` the
 * "Auto scaling with the AWS CLI" section, `--ec2` its "EC2 container instances" part, otherwise the curl walk-through.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from './local/stack';

/** The first sh block after the heading (its whole line, "## ..." or "### ..."). */
const section = (markdown: string, heading: string): string => {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(start));
  if (!block) throw new Error(`README section "${heading}" has no sh block`);
  return block[1];
};

const json = (text: string) => JSON.parse(text) as any;
const get = async (path: string) => json(await (await fetch(`http://localhost:3000${path}`)).text());

const checks = {
  curl: async (output: string) => {
    if (output.includes('ServerException')) throw new Error('a step answered with a server error');
    const service = (await get('/v1/clusters/demo/services/web')).service;
    if (service.status === 'ACTIVE' || service.desiredCount !== 0) throw new Error(`the service was not deleted: ${service.status}`);
    if (service.taskDefinition !== 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2') throw new Error('the service did not roll to web:2');
    if (service.launchType !== 'FARGATE') throw new Error(`the service asked for FARGATE runs on ${service.launchType}`);
    if (!output.includes('"__type":"ClientException"')) throw new Error('the bad-input step did not answer ClientException');
    if (!output.includes('"stopCode":"UserInitiated"')) throw new Error('the stop step did not stop a task');
  },
  cli: async (output: string) => {
    if (!/\[\s*2,\s*"\(service web\) has reached a steady state\."\s*\]/.test(output)) {
      throw new Error('describe-services did not show 2 running tasks and the steady-state event');
    }
    // After the rollout to cli-web:2 and the forced deployment, both waited for with services-stable.
    if (!/\[\s*3,\s*"[^"]*:task-definition\/cli-web:2",\s*\[\s*\[\s*"PRIMARY",\s*"COMPLETED"\s*\]\s*\]\s*\]/.test(output)) {
      throw new Error('after the waits, describe-services did not show 3 running tasks of cli-web:2 and one COMPLETED deployment');
    }
    const service = (await get('/v1/clusters/cli/services/web')).service;
    if (service.status === 'ACTIVE') throw new Error('delete-service --force did not delete the service');
  },
  sandbox: async (output: string) => {
    if (!/arn:aws:ecs:us-east-1:\d{12}:cluster\/learn/.test(output)) throw new Error('create-cluster did not answer with a cluster of the sandbox account');
    if (output.includes(':000000000000:')) throw new Error('a step ran as the open-mode account');
    if (!/\[\s*2,\s*"\(service web\) has reached a steady state\."\s*\]/.test(output)) throw new Error('the sandbox service did not reach 2 running tasks');
    if (!/^0$/m.test(output)) throw new Error('another sandbox saw clusters that are not its own');
    if (!output.includes('InvalidSignatureException')) throw new Error('a wrong secret was not refused with InvalidSignatureException');
    // Unsigned, the hosted stack refuses even to list.
    const unsigned = await get('/v1/clusters');
    if (unsigned.__type !== 'MissingAuthenticationTokenException') throw new Error('an unsigned request was not refused');
  },
  autoscaling: async (output: string) => {
    if (!/\[\s*"Successful",\s*"Setting desired count to 3\.",\s*"average CPU 1[34]\d(\.\d)? % over 3 datapoints > target 50 %: 1 → 3 tasks"\s*\]/.test(output)) {
      throw new Error('describe-scaling-activities did not show the successful scale-out to 3, explained');
    }
    if (!output.includes('"Successfully set desired count to 3. Change successfully fulfilled by ecs."')) {
      throw new Error("describe-services did not show Application Auto Scaling's event");
    }
    if (!/"TargetTracking-service\/scale\/web-AlarmHigh-[0-9a-f-]{36}",\s*"(ALARM|OK)"/.test(output)) {
      throw new Error("describe-alarms did not show the policy's AlarmHigh");
    }
    const service = (await get('/v1/clusters/scale/services/web')).service;
    if (service.desiredCount !== 3) throw new Error(`the service did not stay at 3 tasks: ${service.desiredCount}`);
  },
  ec2: async (output: string) => {
    if (!/^201$/m.test(output)) throw new Error('the REST launch did not answer 201');
    const arns = /"containerInstanceArns": \[\s*"([^"]+)"\s*\]/.exec(output);
    if (!arns?.[1].includes(':container-instance/ec2/')) throw new Error('the filter on the custom attribute did not list exactly one instance');
    if (!/\[\s*"EC2",\s*"REPLICA"\s*\]/.test(output)) throw new Error('create-service did not answer an EC2 REPLICA service');
    // One task per zone before the drain, none on the drained instance after it.
    if (!/^1\n(.|\n)*^0$/m.test(output)) throw new Error('list-tasks did not show the drained instance losing its task');
    if (!/\[\s*3,\s*"\(service web\) has reached a steady state\."\s*\]/.test(output)) {
      throw new Error('after the drain, describe-services did not show 3 running tasks and the steady-state event');
    }
    // t3.medium registers 3904 MiB; nothing runs on the drained instance any more.
    if (!/\[\s*"DRAINING",\s*3904\s*\]/.test(output)) throw new Error('describe-container-instances did not show a drained t3.medium');
    if (!/^3$/m.test(output)) throw new Error('the cluster did not count 3 container instances');
  },
};

const sections = {
  curl: '## A walk-through with curl',
  cli: '## Use the AWS CLI',
  sandbox: '## A hosted sandbox',
  autoscaling: '## Auto scaling with the AWS CLI',
  ec2: '### EC2 container instances',
} as const;

const main = async () => {
  const which = (Object.keys(sections) as Array<keyof typeof sections>).find((name) => process.argv.includes(`--${name}`)) ?? 'curl';
  const script = section(readFileSync('README.md', 'utf8'), sections[which]);
  // Debian's awscli package is the AWS CLI v2; a pip-installed v1 elsewhere on PATH must not win.
  // The walk-throughs run in a scratch directory with a HOME of their own: `aws configure` writes
  // there, never to the user's ~/.aws, and no credentials from the environment leak in.
  const scratch = mkdtempSync(join(tmpdir(), 'ecsbox-readme-'));
  const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, AWS_PROFILE: _profile, ...inherited } = process.env;
  const env = which === 'sandbox' ? { ...inherited, HOME: scratch, PATH: `/usr/bin:${process.env.PATH}` } : { ...process.env, PATH: `/usr/bin:${process.env.PATH}` };
  if (which !== 'curl') {
    const version = spawnSync('aws', ['--version'], { encoding: 'utf8', env });
    if (!/^aws-cli\/2\./.test(`${version.stdout}${version.stderr}`)) {
      throw new Error(`the AWS CLI v2 is needed (apt-get install -y awscli); found: ${version.stdout}${version.stderr}${version.error ?? ''}`);
    }
    console.log(version.stdout.trim());
  }
  const stack = await startLocalStack({ httpPort: 3000, lambdaPort: 3002, ...(which === 'sandbox' ? { environment: { ECSBOX_AUTH: 'sigv4' } } : {}) });
  try {
    // Non-interactive bash expands aliases only when asked to; the README defines one.
    const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `shopt -s expand_aliases\n${script}`], {
      ...(which === 'sandbox' ? { cwd: scratch } : {}),
      encoding: 'utf8',
      timeout: 240_000,
      env,
    });
    const show = () => process.stdout.write(`${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}\n`);
    if (run.status !== 0) {
      show();
      throw new Error(`the README's ${which} walk-through failed (exit ${run.status})`);
    }
    await checks[which](run.stdout).catch((error) => {
      show();
      throw error;
    });
    console.log(`README ${which} walk-through: 1 passed, 0 failed`);
  } finally {
    await stack.stop();
  }
};

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  console.log('README walk-through: 0 passed, 1 failed');
  process.exit(1);
});
