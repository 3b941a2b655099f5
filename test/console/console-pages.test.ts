// The console's pages in a real headless Chromium, with real data made through
// the APIs on the git-backed fake GitHub: each page, an action and its effect,
// keyboard use, live updates while a board is open (a job's status, a PR's
// state, a cascade's steps), the reconnect after a restart, reading with
// JavaScript off, and axe-core on every page. One browser for the file; the
// tests run in order and build on each other's data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/app.ts';
import { consoleContext, expectAccessible, launchChromium, signIn, until } from './browser.ts';
import { claimTask, report, startConsoleWorld, type ConsoleWorld } from './world.ts';

let world: ConsoleWorld;
let browser: Browser;
let context: BrowserContext & { cspViolations: string[] };
let page: Page;
let pbiId: string;
let stories: { id: string; branch: string; tasks: { id: string; title: string }[] }[];
const screenshots = process.env.SCRUM4ME_CONSOLE_SCREENSHOTS === '1';

const backlog = {
  pbis: [
    {
      code: 'PBI-7',
      title: 'Checkout',
      stories: [
        { code: 'ST-1', title: 'Cart', tasks: [{ title: 'Add to cart', plan_paths: ['src/cart/**'] }, { title: 'Remove from cart', plan_paths: ['src/cart/**'] }] },
        { code: 'ST-2', title: 'Payment', tasks: [{ title: 'Card form', plan_paths: ['src/pay/**'] }] },
        { code: 'ST-3', title: 'Receipt', tasks: [{ title: 'Email the receipt', plan_paths: ['src/receipt/**'] }] },
      ],
    },
  ],
};

beforeAll(async () => {
  [world, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, { body: backlog });
  expect(imported.status).toBe(201);
  pbiId = imported.body.pbis[0].id;
  // USD per million tokens: the board shows each job's cost
  const prices = await world.app.call('PUT', '/api/v1/admin/prices', { body: { prices: [{ model: 'claude-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }] } });
  expect(prices.status).toBe(200);
  stories = imported.body.pbis[0].stories;
  context = await consoleContext(browser);
  page = await context.newPage();
  await page.setViewportSize({ width: 1360, height: 900 });
  await signIn(page, world.app);
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const boardUrl = () => `${world.app.url}/console/pbis/${pbiId}`;
const story = (i: number) => page.locator(`#story-${stories[i]!.id}`);
const shot = async (name: string) => {
  if (!screenshots) return;
  // after the highlight of what just changed has faded
  await page.waitForTimeout(1800);
  await page.screenshot({ path: path.join(projectRoot, 'docs', `console-${name}.png`), fullPage: true });
};

describe('products and a product', () => {
  it('lists the product with its repository link, base branch, installation and jobs', async () => {
    await page.goto(`${world.app.url}/console`);
    const row = page.getByRole('row', { name: /Shop/ });
    expect(await row.getByRole('link', { name: 'acme/shop' }).getAttribute('href')).toBe(`http://${world.fake.host}/acme/shop`);
    expect(await row.textContent()).toContain('main');
    expect(await row.textContent()).toContain('installed');
    expect(await row.textContent()).toContain('no jobs');
    await expectAccessible(page);
  });

  it('shows the PBIs with progress, and imports a backlog file whose errors name the field, all or nothing', async () => {
    await page.getByRole('link', { name: 'Shop', exact: true }).click();
    await page.waitForURL(`**/console/products/${world.productId}`);
    expect(await page.getByRole('row', { name: /PBI-7/ }).textContent()).toContain('0/4');
    expect(await page.getByRole('row', { name: /PBI-7/ }).textContent()).toContain('$0.0000');
    await expectAccessible(page);

    const pbis = () => world.app.db.prisma.pbi.count({ where: { product_id: world.productId } });
    const before = await pbis();
    await page.getByLabel('Backlog file (JSON)').setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ pbis: [{ title: 'Search', stories: [{ title: '', tasks: [] }] }] })),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Nothing was imported');
    expect(await alert.textContent()).toContain('pbis.0.stories.0.title');
    expect(await pbis()).toBe(before);

    await page.getByLabel('Backlog file (JSON)').setInputFiles({
      name: 'search.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ pbis: [{ code: 'PBI-8', title: 'Search', stories: [{ title: 'Index', tasks: [{ title: 'Build the index' }] }] }] })),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.locator('.flash-notice').textContent()).toContain('Backlog imported: 1 PBI(s), 1 stories, 1 tasks');
    expect(await page.getByRole('row', { name: /PBI-8/ }).textContent()).toContain('0/1');
    expect(await pbis()).toBe(before + 1);
  });
});

describe('the PBI board', () => {
  it('queues a job from the board by keyboard (tab to the field, Enter), and the job appears', async () => {
    await page.goto(boardUrl());
    await expectAccessible(page);
    // the first Tab reaches the skip link
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    const task = page.locator(`#enqueue-${stories[0]!.id}-task`);
    await task.focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`enqueue-${stories[0]!.id}-user`);
    await page.keyboard.type('agent');
    await page.keyboard.press('Enter');
    await page.waitForURL(/notice=enqueued/);
    const job = await world.app.db.prisma.job.findFirstOrThrow({ where: { task_id: stories[0]!.tasks[0]!.id } });
    expect(await page.locator('.flash-notice').textContent()).toContain(`Job ${job.id} queued for agent`);
    const row = page.locator(`#task-${stories[0]!.tasks[0]!.id} tr`).first();
    expect(await row.textContent()).toContain('queued');
    expect(await row.textContent()).toContain('agent');
    // the same rule as the API: an unknown user is refused with its message
    await page.locator(`#enqueue-${stories[1]!.id}-user`).fill('nobody');
    await page.locator(`#enqueue-${stories[1]!.id}-user`).press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Not queued: user nobody not found');
  });

  it("shows a job's new status live, without a reload", async () => {
    await page.goto(boardUrl());
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live');
    await page.evaluate(() => ((globalThis as { stillThisPage?: boolean }).stillThisPage = true));
    const claimed = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
    expect(claimed.status).toBe(200);
    const cell = page.locator(`#task-${stories[0]!.tasks[0]!.id} tr`).first();
    await expect.poll(() => cell.textContent(), { timeout: 15_000 }).toContain('claimed');
    await report(world, claimed.body.job.id, { status: 'running', input_tokens: 1000, output_tokens: 10 });
    await expect.poll(() => cell.textContent(), { timeout: 15_000 }).toContain('running');
    expect(await cell.textContent()).toContain('in 1,000');
    expect(await page.evaluate(() => (globalThis as { stillThisPage?: boolean }).stillThisPage)).toBe(true);
  });

  it("shows a story's PR (href is its html_url) and its new state live, and a cascade's steps as they happen", async () => {
    await page.goto(boardUrl());
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live');
    await page.evaluate(() => ((globalThis as { stillThisPage?: boolean }).stillThisPage = true));
    // ST-1's first task is running (previous test): finish it, which opens the story PR
    const running = await world.app.db.prisma.job.findFirstOrThrow({ where: { task_id: stories[0]!.tasks[0]!.id, status: 'RUNNING' } });
    world.fake.commitToBranch(world.repo, stories[0]!.branch, { 'src/cart/add.txt': 'add\n' }, 'Add to cart');
    expect((await world.app.call('POST', `/api/v1/jobs/${running.id}/verify`, { token: world.agentToken, body: {} })).status).toBe(200);
    await report(world, running.id, { status: 'done', summary: 'Cart add button and its handler', input_tokens: 12_345, output_tokens: 678, model_id: 'claude-test' });
    await world.delivered();
    const pr = await until('the story PR record', () => world.app.db.prisma.pullRequest.findFirst({ where: { story_id: stories[0]!.id } }));
    const link = story(0).getByRole('link', { name: `#${pr.number}` });
    await expect.poll(() => link.count(), { timeout: 15_000 }).toBe(1);
    expect(await link.getAttribute('href')).toBe(pr.html_url);
    expect(await story(0).textContent()).toContain('open');
    // 12,345 input and 678 output tokens at $3 and $15 per million
    expect(await story(0).textContent()).toContain('in 12,345 out 678');
    expect(await story(0).locator('.cost').first().textContent()).toBe('$0.0472');
    expect(await story(0).locator('.cost').first().getAttribute('title')).toBe('$0.047205000');
    await expect.poll(() => page.locator('#pbi-summary .cost').textContent()).toBe('$0.0472');

    // a person merges it on GitHub: the webhook, then the board
    world.fake.mergePull(world.repo, pr.number, { method: 'squash' });
    await world.delivered();
    await expect.poll(() => story(0).locator('.meta').textContent(), { timeout: 15_000 }).toContain('merged');
    await expect.poll(() => story(0).locator('.meta').textContent(), { timeout: 15_000 }).toContain('squash');

    // ST-3's job waits in the queue; ST-2's agent pushes and fails: the cascade
    const queued = (await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [stories[2]!.tasks[0]!.id], priority: -1 } })).body.jobs[0];
    const failing = await claimTask(world, stories[1]!.tasks[0]!.id);
    world.fake.commitToBranch(world.repo, failing.branch, { 'src/pay/card.txt': 'card\n' }, 'Card form');
    world.fake.latencyMs = screenshots ? 1500 : 250; // so the steps can be seen in progress
    await report(world, failing.id, { status: 'failed', error: 'payment tests failed: 3 of 12' });
    const timeline = page.locator('#cascades');
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('payment tests failed: 3 of 12');
    expect(await timeline.textContent()).toContain(`job …${failing.id.slice(-8)} failed`);
    expect(await timeline.textContent()).toContain('cancelled 1 sibling job');
    expect(await timeline.getByRole("link", { name: `job …${queued.id.slice(-8)}` }).count()).toBe(1);
    await shot('board-cascade-running');
    // the steps finish live: the merged PR gets a revert PR, linked
    const revertLink = timeline.getByRole('link', { name: /^#\d+$/ });
    await expect.poll(() => revertLink.count(), { timeout: 30_000 }).toBe(1);
    world.fake.latencyMs = 0;
    const step = await world.app.db.prisma.cascadeStep.findFirstOrThrow({ where: { branch: stories[0]!.branch } });
    expect(await revertLink.getAttribute('href')).toBe(step.revert_pr_url);
    await expect.poll(() => page.locator('#pbi-summary').textContent(), { timeout: 30_000 }).toContain('new work is refused until the PBI is reopened');
    const rows = timeline.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    for (const text of await rows.allTextContents()) expect(text).toMatch(/done|skipped|failed/);
    expect(await timeline.textContent()).toMatch(/revert pr/);
    expect(await story(1).textContent()).toContain('failed');
    expect(await story(2).textContent()).toContain('cancelled');
    expect(await page.evaluate(() => (globalThis as { stillThisPage?: boolean }).stillThisPage)).toBe(true);
    await expectAccessible(page);
    await shot('board-cascade-done');
  }, 90_000);

  it('reopens the PBI after its cascade, through the same service as the API', async () => {
    await page.getByRole('button', { name: 'Reopen PBI' }).click();
    await page.waitForURL(/notice=reopened/);
    expect(await page.locator('.flash-notice').textContent()).toContain('PBI reopened');
    expect(await world.app.db.prisma.cascade.count({ where: { pbi_id: pbiId, open_pbi_id: null, reopened_at: { not: null } } })).toBe(1);
    expect(await page.getByRole('button', { name: 'Reopen PBI' }).count()).toBe(0);
  });

  it('reconnects after the server restarts, with Last-Event-ID, and is live again', async () => {
    await page.goto(boardUrl());
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live');
    const resumedWith: string[] = [];
    page.on('request', (request) => {
      if (!request.url().includes('/console/events')) return;
      void request.allHeaders().then((headers) => {
        if (headers['last-event-id']) resumedWith.push(headers['last-event-id']);
      });
    });
    // a job to watch, queued before the restart
    const job = await claimTask(world, stories[0]!.tasks[1]!.id);
    const cell = page.locator(`#task-${stories[0]!.tasks[1]!.id} tr`).first();
    await expect.poll(() => cell.textContent(), { timeout: 15_000 }).toContain('claimed');

    await world.restart();
    await until('the browser to reconnect with Last-Event-ID', () => resumedWith.length > 0, 30_000);
    expect(resumedWith[0]).toMatch(/^\d+$/);
    await report(world, job.id, { status: 'running' });
    await expect.poll(() => cell.textContent(), { timeout: 15_000 }).toContain('running');
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live');
  }, 90_000);
});

describe('jobs, a job, tokens, activity', () => {
  it('filters the jobs list and pages through it, newest first', async () => {
    await page.goto(`${world.app.url}/console/jobs`);
    await expectAccessible(page);
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=cancelled/);
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('cancelled');

    await page.goto(`${world.app.url}/console/jobs?limit=2`);
    const first = await page.locator('table tbody th').allTextContents();
    expect(first).toHaveLength(2);
    await page.getByRole('link', { name: 'Older jobs' }).click();
    const second = await page.locator('table tbody th').allTextContents();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(page.url()).toContain('limit=2');
  });

  it('shows a job with its trace', async () => {
    const failed = await world.app.db.prisma.job.findFirstOrThrow({ where: { status: 'FAILED' } });
    await page.goto(`${world.app.url}/console/jobs/${failed.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('failed');
    expect(await page.locator('.facts').textContent()).toContain('payment tests failed: 3 of 12');
    const trace = page.getByRole('region', { name: 'Trace' });
    expect(await trace.locator('tbody tr').count()).toBeGreaterThan(0);
    await expectAccessible(page);
  });

  it('mints a token shown once, lists tokens by prefix, and revokes one', async () => {
    await page.goto(`${world.app.url}/console/tokens`);
    await expectAccessible(page);
    await page.getByLabel('User').fill('robot');
    await page.getByLabel('Name (optional)').fill('nightly');
    await page.getByRole('button', { name: 'Mint token' }).click();
    const minted = await page.locator('#minted-token').inputValue();
    expect(minted).toMatch(/^s4m_/);
    const row = await world.app.db.prisma.apiToken.findFirstOrThrow({ where: { name: 'nightly' } });
    expect((await world.app.call('GET', '/api/v1/jobs/nope', { token: minted })).status).toBe(404);

    await page.goto(`${world.app.url}/console/tokens`);
    expect(await page.content()).not.toContain(minted);
    const tokenRow = page.getByRole('row', { name: new RegExp(`${row.prefix}`) });
    expect(await tokenRow.textContent()).toContain('nightly');
    await tokenRow.getByRole('button', { name: /Revoke/ }).click();
    await page.waitForURL(/notice=revoked/);
    expect(await page.getByRole('row', { name: new RegExp(`${row.prefix}`) }).textContent()).toContain('revoked');
    expect((await world.app.call('GET', '/api/v1/jobs/nope', { token: minted })).status).toBe(401);
  });

  it('shows the activity newest first, and a new event arrives live at the top', async () => {
    await page.goto(`${world.app.url}/console/activity`);
    await expectAccessible(page);
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live');
    const running = await world.app.db.prisma.job.findFirstOrThrow({ where: { status: 'RUNNING' } });
    await report(world, running.id, { status: 'running', summary: 'still removing' });
    const top = page.locator('#activity-list li').first();
    await expect.poll(() => top.textContent(), { timeout: 15_000 }).toContain(`…${running.id.slice(-8)}`);
    const seqs = await page.locator('#activity-list li').evaluateAll((items) => items.map((li) => Number(li.id.replace('event-', ''))));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });
});

describe('without JavaScript, and everywhere', () => {
  it('reads the same with JavaScript off (sign-in, board, cascade)', async () => {
    const plain = await consoleContext(browser, { javaScriptEnabled: false });
    const reader = await plain.newPage();
    await signIn(reader, world.app);
    await reader.goto(boardUrl());
    expect(await reader.locator(`#story-${stories[0]!.id}`).textContent()).toContain('merged');
    expect(await reader.locator('#cascades').textContent()).toContain('payment tests failed: 3 of 12');
    expect(await reader.locator('#live-status').textContent()).toContain('Not live');
    await plain.close();
  });

  it('never broke its Content-Security-Policy (no inline script or style was needed)', () => {
    expect(context.cspViolations).toEqual([]);
    const script = readFileSync(path.join(projectRoot, 'src', 'console', 'assets', 'console.js'), 'utf8');
    expect(script).not.toMatch(/\beval\(|new Function|\.style\./);
  });
});
