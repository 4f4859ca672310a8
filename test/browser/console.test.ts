/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the whole
 * local stack: everything a learner does, through the console's own pages and controls, with an
 * accessibility check (axe-core) on every page. Saves the README's screenshots under docs/ when
 * asked (ECSBOX_SCREENSHOTS=1).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import type { Browser, Page } from 'playwright-core';
import { api, apiUrl } from '../support/http';
import { scalableTargetOf } from '../support/scaling';
import { launchChromium, saveScreenshot, SCREENSHOTS_WANTED, seriousViolations } from './browser';

/** The README's screenshots, whose files an ordinary run must leave alone. */
const SCREENSHOT_FILES = ['console-deployment.png', 'console-failure.png', 'console-phone.png', 'console-scaling.png'].map((name) => join(__dirname, '..', '..', 'docs', name));
const modifiedTimes = () => SCREENSHOT_FILES.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs);
const screenshotsBefore = modifiedTimes();

const CLUSTER = 'console-e2e';
const FAMILY = 'console-web';

let browser: Browser;
let page: Page;

const consoleUrl = (hash = '#/') => `${apiUrl()}/console/${hash}`;

const expectAccessible = async () => {
  const violations = await seriousViolations(page);
  expect(violations.map((violation) => `${violation.id}: ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
};

/** The playwright assertions poll; this keeps each wait named in a failure. */
const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(100);
  }
};

const taskCards = (status?: string) => page.locator(status ? `ul.tasks li.task[data-status="${status}"]` : 'ul.tasks li.task');

beforeAll(async () => {
  browser = await launchChromium();
  // The console's Content-Security-Policy forbids inline scripts; axe-core is injected as one.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
});

afterAll(async () => {
  await browser?.close();
  if (!SCREENSHOTS_WANTED) expect(modifiedTimes()).toEqual(screenshotsBefore);
});

describe('the web console', () => {
  it('renders the clusters page quickly, with its empty state, and creates a cluster', async () => {
    // Time to first render: from navigation to the clusters listed, by the page's own clock, the
    // first time (the console function's cold start included) and again (printed for docs/benchmarks.md).
    const firstRender = async () => {
      await page.goto(consoleUrl());
      await page.locator('.empty, ul.cards').first().waitFor();
      return Math.round((await page.evaluate('performance.now()')) as number);
    };
    const cold = await firstRender();
    const warm = await firstRender();
    // Printed, not asserted: speed targets are judged by npm run bench:console.
    console.log(`console first render: ${cold} ms the first time, ${warm} ms after`);
    await expectAccessible();
    await page.getByLabel('New cluster name').fill(CLUSTER);
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByRole('link', { name: CLUSTER }).waitFor();
  });

  it('registers a task definition, shows ECS validation errors on the field, and diffs two revisions', async () => {
    await page.getByRole('link', { name: 'Task definitions' }).click();
    await page.getByRole('heading', { name: 'Task definitions', level: 1 }).waitFor();
    await expectAccessible();
    await page.getByLabel('Family').fill(FAMILY);
    await page.getByLabel('Memory').fill('lots');
    await page.getByRole('button', { name: 'Register revision' }).click();
    const memory = page.getByLabel('Memory');
    await waitFor('the memory field to be marked invalid', async () => (await memory.getAttribute('aria-invalid')) === 'true');
    await expect(page.locator('#register-error').textContent()).resolves.toContain("Invalid 'memory' setting");
    await expectAccessible();
    await memory.fill('512');
    await page.getByRole('button', { name: 'Register revision' }).click();
    await page.getByRole('heading', { name: `Family ${FAMILY}` }).waitFor();
    await page.getByRole('heading', { name: `JSON of ${FAMILY}:1` }).waitFor();
    // The second revision, from an edited copy of the first.
    await page.getByLabel('Image of container web').fill('public.ecr.aws/nginx/nginx:1.27');
    await page.getByRole('button', { name: 'Register revision' }).click();
    await page.getByRole('heading', { name: `JSON of ${FAMILY}:2` }).waitFor();
    const diff = page.locator('table.diff');
    await diff.waitFor();
    await expect(diff.locator('tr.changed').first().textContent()).resolves.toContain('nginx:1.27');
    await expectAccessible();
  });

  it('creates a service from the console and watches its tasks reach RUNNING', async () => {
    await page.goto(consoleUrl(`#/clusters/${CLUSTER}`));
    await page.getByRole('heading', { name: `Cluster ${CLUSTER}` }).waitFor();
    await expectAccessible();
    await page.getByLabel('Service name').fill('web');
    await page.locator('#service-family').selectOption(`${FAMILY}`);
    await page.getByLabel('Desired tasks').fill('2');
    // Fargate is the form's default, sent explicitly (ECS's own default would be EC2 here).
    await expect(page.getByLabel('Launch type').inputValue()).resolves.toBe('FARGATE');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.getByRole('heading', { name: /Service web/ }).waitFor();
    expect((await api.get(`/v1/clusters/${CLUSTER}/services/web`)).body.service.launchType).toBe('FARGATE');
    // The cards appear and move through the lifecycle on their own (polling): no reload.
    const seen = new Set<string>();
    let polls = 0;
    await waitFor('two RUNNING tasks', async () => {
      polls += 1;
      const statuses = await taskCards().evaluateAll((cards) => cards.map((card) => card.getAttribute('data-status') ?? ''));
      for (const status of statuses) seen.add(status);
      return statuses.filter((status) => status === 'RUNNING').length === 2;
    });
    expect(polls).toBeGreaterThan(1);
    expect(seen.has('RUNNING')).toBe(true);
    // The service's runningCount is the reconciler's, written a pass after the tasks' own status.
    await waitFor('the running count', async () => (await page.locator('[data-count="running"]').textContent()) === '2');
    await expectAccessible();
  });

  it('rolls to a new revision and shows both deployments with the rollout bounds', async () => {
    await page.getByLabel('Revision').selectOption(`${FAMILY}:1`);
    await page.getByRole('button', { name: 'Roll to revision' }).click();
    await page.locator('li.deployment[data-deployment="ACTIVE"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('li.deployment[data-deployment="PRIMARY"]').textContent()).resolves.toContain(`${FAMILY}:1`);
    // desired 2, minimum healthy 100%, maximum 200%: between 2 and 4 tasks.
    await expect(page.locator('li.deployment[data-deployment="PRIMARY"] .bounds-text').textContent()).resolves.toContain('min 2 (100%) – max 4 (200%)');
    await expect(page.locator('li.deployment[data-deployment="PRIMARY"] .bound.max').count()).resolves.toBe(1);
    await saveScreenshot(page, 'console-deployment.png');
    await waitFor('the rollout to complete', async () => (await page.locator('li.deployment').count()) === 1 && (await taskCards('RUNNING').count()) === 2, 30_000);
  });

  it('stops a task and shows it replaced', async () => {
    const victim = taskCards('RUNNING').first();
    const victimId = await victim.getAttribute('data-task');
    await victim.getByRole('button', { name: 'Stop' }).click();
    const stopped = page.locator(`li.task[data-task="${victimId}"]`);
    await waitFor('the stopped task to show its reason', async () => ((await stopped.textContent()) ?? '').includes('Stopped from the ecsbox console'));
    await waitFor('a replacement to run', async () => {
      const running = await taskCards('RUNNING').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-task')));
      return running.length === 2 && !running.includes(victimId);
    });
  });

  it('keyboard: scales the service with the slider', async () => {
    await page.locator('#desired').focus();
    await page.keyboard.press('ArrowRight');
    await waitFor('desired 3', async () => (await page.locator('[data-count="desired"]').textContent()) === '3');
    await waitFor('three RUNNING tasks', async () => (await taskCards('RUNNING').count()) === 3);
  });

  it('triggers a failure and says why the deployment fails, in plain words', async () => {
    await page.getByLabel('Failure preset').selectOption('pull-error');
    await page.getByRole('button', { name: 'Deploy a failing revision' }).click();
    const explanation = page.locator('.banner.explain');
    await waitFor('the explanation to name the pull error', async () => ((await explanation.textContent().catch(() => '')) ?? '').includes('CannotPullContainerError'), 30_000);
    await saveScreenshot(page, 'console-failure.png');
    await expectAccessible();
    // The stopped task's own page: stop code, reason, lifecycle and network.
    const failed = page.locator('ul.tasks li.task', { hasText: 'CannotPullContainerError' }).first();
    await failed.locator('a').first().click();
    await page.getByRole('heading', { name: /^Task / }).waitFor();
    await waitFor('the stop code', async () => (await page.locator('[data-field="stopCode"]').textContent()) === 'TaskFailedToStart');
    await expect(page.locator('[data-field="stoppedReason"]').textContent()).resolves.toContain('CannotPullContainerError');
    await expect(page.getByText('privateIPv4Address').count()).resolves.toBeGreaterThan(0);
    await expectAccessible();
  });

  it('runs a standalone task that crashes on purpose, and shows why it stopped', async () => {
    await page.goto(consoleUrl(`#/clusters/${CLUSTER}`));
    await page.locator('#run-family').selectOption(FAMILY);
    await page.getByLabel('Deliberate failure').selectOption('exit');
    await page.getByRole('button', { name: 'Run task' }).click();
    const crashed = page.locator('ul.tasks li.task', { hasText: 'EssentialContainerExited' });
    await crashed.first().waitFor({ timeout: 20_000 });
    await expect(crashed.first().textContent()).resolves.toContain('Essential container in task exited');
  });

  it('auto scaling: sets the load with the keyboard, charts the CPU against the target, scales out and says why it does not scale in yet', async () => {
    // The policy comes from Application Auto Scaling's own API (the console only reads it): 1 to 4 tasks, CPU at 50 %.
    const created = await api.post(`/v1/clusters/${CLUSTER}/services`, {
      launchType: 'FARGATE',
      serviceName: 'scaled',
      taskDefinition: `${FAMILY}:1`,
      desiredCount: 1,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-12345678'] } },
    });
    expect(created.status).toBe(201);
    const scaling = new ApplicationAutoScalingClient({ endpoint: apiUrl(), region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    const resource = scalableTargetOf(CLUSTER, 'scaled');
    await scaling.send(new RegisterScalableTargetCommand({ ...resource, MinCapacity: 1, MaxCapacity: 4 }));
    await scaling.send(
      new PutScalingPolicyCommand({
        ...resource,
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
      }),
    );
    scaling.destroy();

    await page.goto(consoleUrl(`#/clusters/${CLUSTER}/services/scaled`));
    const section = page.locator('section.scaling');
    await section.getByText('target tracking, keeps ECSServiceAverageCPUUtilization at 50').waitFor();
    await expect(section.locator('[data-field="scalable-target"]').textContent()).resolves.toContain('Between 1 and 4 tasks.');
    // The target is drawn on the chart.
    await expect(section.locator('.chart .target-line').getAttribute('data-value')).resolves.toBe('50');
    await expectAccessible();

    // Keyboard only: a step from 20 % to 150 % after 10 metric seconds (the shape chosen by arrow key), submitted with Enter.
    await section.getByLabel('Load shape').focus();
    await page.keyboard.press('ArrowDown');
    await expect(section.getByLabel('Load shape').inputValue()).resolves.toBe('step');
    for (const value of ['20', '150', '10']) {
      await page.keyboard.press('Tab');
      await page.keyboard.press('Control+A');
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Enter');
    await waitFor('the load to show', async () => ((await section.locator('[data-field="load"]').textContent()) ?? '').includes('Set: 20 %, then to 150 % after 10 s'));
    await waitFor('the explanation to count datapoints above the target', async () =>
      /above the target 50 %/.test((await section.locator('[data-field="scaling-why"]').textContent().catch(() => '')) ?? ''));
    // Target tracking scales out after 3 one-minute datapoints (5 s each here) above the target.
    const activity = section.locator('ol.activities li[data-status="Successful"]').first();
    await activity.waitFor({ timeout: 40_000 });
    await expect(activity.textContent()).resolves.toMatch(/Setting desired count to [2-4]\..*1 → [2-4] tasks.*Cause: monitor alarm TargetTracking-service\/console-e2e\/scaled-AlarmHigh-/);
    await waitFor('desired above 1', async () => Number(await page.locator('[data-count="desired"]').textContent()) > 1);
    const chartPoints = await section.locator('.chart path.average').getAttribute('d');
    expect(chartPoints).toMatch(/^M[\d.]+,[\d.]+L/);

    // A light load: the explanation says why it does not scale in yet (AlarmLow's 15 datapoints).
    await section.getByLabel('Load shape').selectOption('constant');
    await section.getByLabel('CPU load %').fill('10');
    await section.getByRole('button', { name: 'Set load' }).click();
    await waitFor('the scale-in explanation', async () =>
      /Why no scale-in yet: scale-in waits for 15 one-minute datapoints in a row below 45 % .*\d+ of 15 so far/.test(
        (await section.locator('[data-field="scaling-why"]').textContent().catch(() => '')) ?? '',
      ), 30_000);
    await expect(section.locator('.chart .threshold-line').getAttribute('data-value')).resolves.toBe('45');
    await expectAccessible();
    await saveScreenshot(section, 'console-scaling.png');
  });

  it('fits a phone: no horizontal scrolling on the service page, its auto scaling view included', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(consoleUrl(`#/clusters/${CLUSTER}/services/web`));
    await page.locator('li.deployment').first().waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(page, 'console-phone.png');
    // The auto scaling view too: its chart, load form and activities.
    await page.goto(consoleUrl(`#/clusters/${CLUSTER}/services/scaled`));
    await page.locator('section.scaling ol.activities').waitFor();
    expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number).toBeLessThanOrEqual(0);
  });
});
