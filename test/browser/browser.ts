import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (.ci/run installs it); never a downloaded browser. */
export const CHROMIUM = process.env.ECSBOX_CHROMIUM ?? '/usr/bin/chromium';

export const launchChromium = (): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
};

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's WCAG 2 A/AA rules on the page as it is now; only serious and critical violations. */
export const seriousViolations = async (page: Page): Promise<AxeViolation[]> => {
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ content: axeSource });
  // Evaluated in the page (this project's types have no DOM): axe's WCAG 2.0/2.1 A and AA rules.
  const violations = (await page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map(({ target }) => ({ target })) })))`)) as AxeViolation[];
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
};

/**
 * The README's screenshots (docs/*.png) are written only when asked (ECSBOX_SCREENSHOTS=1 npm run
 * test:browser), so that an ordinary run leaves the tracked files alone.
 */
export const SCREENSHOTS_WANTED = process.env.ECSBOX_SCREENSHOTS === '1';

export const saveScreenshot = async (target: Pick<Page, 'screenshot'>, name: string) => {
  if (SCREENSHOTS_WANTED) await target.screenshot({ path: join(__dirname, '..', '..', 'docs', name) });
};
