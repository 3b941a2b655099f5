// A real headless Chromium for the console's tests (playwright-core, no browser
// download): Debian's chromium, or PLAYWRIGHT_CHROMIUM_EXECUTABLE. A missing
// browser fails the test saying what to install; it never skips.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { adminToken, type TestApp } from '../support/app.ts';

export const chromiumPath = process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? '/usr/bin/chromium';

export async function launchChromium(executablePath = chromiumPath): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: the console's browser tests need one. ` +
        'Install Debian\'s package (`apt-get install -y chromium`; .ci/run does this) or set PLAYWRIGHT_CHROMIUM_EXECUTABLE to a Chromium binary.',
    );
  }
  // as root Chromium refuses to start without --no-sandbox
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath, args });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * A browser context for console pages: axe-core is injected by the browser
 * itself before each page's scripts (an init script, not an inline one, so the
 * page's strict CSP stays in force), and every CSP violation is recorded.
 */
export async function consoleContext(browser: Browser, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext & { cspViolations: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  await context.addInitScript({ content: axeSource });
  const cspViolations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return Object.assign(context, { cspViolations });
}

export async function signIn(page: Page, app: TestApp, token = adminToken): Promise<void> {
  await page.goto(`${app.url}/console/login`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/console/login');
}

/** axe-core on the page as it is: no serious or critical violation (the message lists them). */
export async function expectAccessible(page: Page): Promise<void> {
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')}`);
  expect(described.length, `axe on ${page.url()}:\n${described.join('\n')}`).toBe(0);
}

/** Polls until `probe` holds; generous by default (the machine may be busy). */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
