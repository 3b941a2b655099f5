// `scrum4me usage`, `scrum4me prices` and the budget commands as people run
// them: a child process against a running app (test/cli/cli.test.ts's way).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

function scrum4me(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SCRUM4ME_URL: app.url, SCRUM4ME_TOKEN: adminToken };
  delete env.SCRUM4ME_ADMIN_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scrum4me usage', () => {
  it('prints a table for people (a line per group, then the total) and the API answer with --json', async () => {
    await app.call('PUT', '/api/v1/admin/prices', { body: { prices: [{ model: 'cli-model', input: 2, output: 0, cache_read: 0, cache_write: 0 }] } });
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'one' }, { title: 'two' }]));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, backlog.pbis[0]!.stories[0]!.tasks.map((t) => t.id));
    for (const body of [{ model_id: 'cli-model', input_tokens: 1_500_000 }, { model_id: 'other-model', input_tokens: 12 }]) {
      const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
      expect((await app.call('POST', `/api/v1/jobs/${claimed.body.job.id}/status`, { token: user.token, body: { status: 'running', ...body } })).status).toBe(200);
    }
    const [human, json, byUser] = await Promise.all([
      scrum4me(['usage', '--product', product.id]),
      scrum4me(['usage', '--product', product.id, '--json']),
      scrum4me(['usage', '--product', product.id, '--by', 'user', '--from', '2020-01-01', '--to', '2999-12-31']),
    ]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^model\s+jobs\s+input\s+output\s+cache read\s+cache write\s+cost USD\s+unpriced$/);
    expect(lines[2]).toMatch(/^cli-model\s+1\s+1500000\s+0\s+0\s+0\s+3\.000000000\s+0$/);
    expect(lines[3]).toMatch(/^other-model\s+1\s+12\s+0\s+0\s+0\s+0\.000000000\s+1$/);
    expect(lines[4]).toMatch(/^total\s+2\s+1500012\s+0\s+0\s+0\s+3\.000000000\s+1$/);
    expect(lines[5]).toBe('1 job(s) used a model with no price: their tokens are counted, their cost is not');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual((await app.call('GET', `/api/v1/admin/usage?product_id=${product.id}`)).body);
    expect(byUser.code).toBe(0);
    expect(byUser.stdout.split('\n')[2]).toMatch(new RegExp(`^${user.name}\\s+2\\s+1500012\\s`));
  });

  it('refuses a grouping it does not know, and says what the API refused', async () => {
    const [badBy, badDate] = await Promise.all([scrum4me(['usage', '--by', 'week']), scrum4me(['usage', '--from', 'last-tuesday'])]);
    expect(badBy.code).not.toBe(0);
    expect(badBy.stderr).toContain("Allowed choices are model, user, pbi, story, day");
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toMatch(/^error: VALIDATION_FAILED: .*from/);
  });
});

describe('scrum4me product budget|limit, pbi budget, prices show|set', () => {
  it('set and remove budgets and limits, and show and replace the price table', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'one' }]));
    const pbi = backlog.pbis[0]!;
    expect(await scrum4me(['product', 'budget', product.id, '12.5'])).toMatchObject({ code: 0, stdout: `product ${product.id}: budget 12.500000000 USD, spent 0.000000000 USD\n` });
    expect(await scrum4me(['product', 'limit', product.id, '4'])).toMatchObject({ code: 0, stdout: `product ${product.id}: at most 4 active job(s)\n` });
    expect(await app.db.prisma.product.findUniqueOrThrow({ where: { id: product.id }, select: { max_active_jobs: true } })).toEqual({ max_active_jobs: 4 });
    expect(await scrum4me(['product', 'limit', product.id, 'none'])).toMatchObject({ code: 0, stdout: `product ${product.id}: no limit on active jobs\n` });
    expect(await scrum4me(['pbi', 'budget', pbi.id, '0'])).toMatchObject({
      code: 0,
      stdout: `PBI ${pbi.id}: budget 0.000000000 USD, spent 0.000000000 USD (exceeded: its queued jobs are not handed out)\n`,
    });
    expect(await scrum4me(['pbi', 'budget', pbi.id, 'none'])).toMatchObject({ code: 0, stdout: `PBI ${pbi.id}: no budget\n` });
    const json = await scrum4me(['--json', 'product', 'budget', product.id, 'none']);
    expect(JSON.parse(json.stdout)).toEqual((await app.call('GET', `/api/v1/admin/products/${product.id}`)).body);
    const bad = await scrum4me(['product', 'budget', product.id, 'lots']);
    expect(bad).toMatchObject({ code: 1, stderr: 'error: BAD_ARGUMENT: expected a number or "none", got "lots"\n' });
    expect((await scrum4me(['pbi', 'budget', pbi.id, '-3'])).stderr).toMatch(/^error: VALIDATION_FAILED: .*\n {2}budget_usd: /);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'scrum4me-prices-cli-'));
    try {
      const file = path.join(dir, 'prices.json');
      await writeFile(file, JSON.stringify({ prices: [{ model: 'claude-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }] }));
      expect(await scrum4me(['prices', 'set', file])).toMatchObject({ code: 0, stdout: 'price table replaced: 1 entry\n' });
      const shown = await scrum4me(['prices', 'show']);
      expect(shown.stdout.split('\n')[2]).toMatch(/^claude-\*\s+3\s+15\s+0\.3\s+3\.75$/);
      await writeFile(file, JSON.stringify({ prices: [{ model: 'claude-*', input: 3, output: 15, cache_read: 0.3, cache_write: 'free' }] }));
      expect((await scrum4me(['prices', 'set', file])).stderr).toMatch(/^error: VALIDATION_FAILED: .*\n {2}prices\.0\.cache_write: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
