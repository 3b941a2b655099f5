// A job's cost (SPEC §11): priced when usage is reported, at the price in force
// then, on both status paths with one definition; unpriced models; a later
// price change never rewrites it; exact decimal totals on the story, PBI and
// product, moved by the difference of each report; the Prometheus counters.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { storePrices } from '../../src/services/prices/prices.ts';

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  database = await createTestDatabase();
  app = await startTestApp({ reuseDatabaseUrl: database.url });
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});
afterEach(() => {
  nock.cleanAll();
});

const sonnet = { model: 'claude-sonnet-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };
const tenth = { model: 'tenth-*', input: 0.1, output: 0, cache_read: 0, cache_write: 0 };
const setPrices = async (prices: unknown[]) => expect((await app.call('PUT', '/api/v1/admin/prices', { body: { prices } })).status).toBe(200);

/** A product with one story of `tasks` tasks, a user, and every job claimed by the user's first token. */
async function world(tasks: number) {
  const product = await seedProduct(app.db.prisma, { autoPr: false });
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog(Array.from({ length: tasks }, (_, i) => ({ title: `Task ${i}` }))));
  const user = await seedUser(app.db.prisma);
  const pbi = backlog.pbis[0]!;
  const story = pbi.stories[0]!;
  await seedTaskJobs(app.db.prisma, user.name, story.tasks.map((t) => t.id));
  const jobIds: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    expect(claimed.status).toBe(200);
    jobIds.push(claimed.body.job.id);
  }
  return { product, pbi, story, user, jobIds };
}

const report = async (token: string, jobId: string, body: Record<string, unknown>) => {
  const response = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token, body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response;
};
const usageOf = async (token: string, jobId: string) => (await app.call('GET', `/api/v1/jobs/${jobId}`, { token })).body.usage;

async function totals(w: Awaited<ReturnType<typeof world>>) {
  const select = { usage_input_tokens: true, usage_output_tokens: true, usage_cache_read_tokens: true, usage_cache_write_tokens: true, usage_cost_usd: true, usage_unpriced_jobs: true } as const;
  const shape = (row: { usage_input_tokens: bigint; usage_output_tokens: bigint; usage_cache_read_tokens: bigint; usage_cache_write_tokens: bigint; usage_cost_usd: { toFixed(n: number): string }; usage_unpriced_jobs: number }) => ({
    input: Number(row.usage_input_tokens),
    output: Number(row.usage_output_tokens),
    cache_read: Number(row.usage_cache_read_tokens),
    cache_write: Number(row.usage_cache_write_tokens),
    cost: row.usage_cost_usd.toFixed(9),
    unpriced: row.usage_unpriced_jobs,
  });
  const [story, pbi, product] = await Promise.all([
    app.db.prisma.story.findUniqueOrThrow({ where: { id: w.story.id }, select }),
    app.db.prisma.pbi.findUniqueOrThrow({ where: { id: w.pbi.id }, select }),
    app.db.prisma.product.findUniqueOrThrow({ where: { id: w.product.id }, select }),
  ]);
  return { story: shape(story), pbi: shape(pbi), product: shape(product) };
}

const fullUsage = { input_tokens: 1000, output_tokens: 2000, cache_read_tokens: 3000, cache_write_tokens: 4000 };
// (1000 × 3 + 2000 × 15 + 3000 × 0.3 + 4000 × 3.75) / 1e6
const fullUsageCost = '0.048900000';

describe('the cost of a job', () => {
  it('is computed when usage is reported, the same on the one-statement and the full path', async () => {
    await setPrices([sonnet]);
    const w = await world(2);
    const [quick, full] = w.jobIds as [string, string];
    // one statement: running with a model id
    await report(w.user.token, quick, { status: 'running', model_id: 'claude-sonnet-4', ...fullUsage });
    // the full path: the model first, then counts without it (priced by the stored model, read under the row lock)
    await report(w.user.token, full, { status: 'running', model_id: 'claude-sonnet-4' });
    expect(await usageOf(w.user.token, full)).toMatchObject({ cost_usd: '0.000000000', unpriced_jobs: 0 });
    await report(w.user.token, full, { status: 'running', ...fullUsage });
    const expected = { model_id: 'claude-sonnet-4', ...fullUsage, cost_usd: fullUsageCost, unpriced_jobs: 0 };
    expect(await usageOf(w.user.token, quick)).toEqual(expected);
    expect(await usageOf(w.user.token, full)).toEqual(expected);
    expect(await totals(w)).toEqual({
      story: { input: 2000, output: 4000, cache_read: 6000, cache_write: 8000, cost: '0.097800000', unpriced: 0 },
      pbi: { input: 2000, output: 4000, cache_read: 6000, cache_write: 8000, cost: '0.097800000', unpriced: 0 },
      product: { input: 2000, output: 4000, cache_read: 6000, cache_write: 8000, cost: '0.097800000', unpriced: 0 },
    });
    // a failure (the full path with its cascade) records its usage too
    await report(w.user.token, quick, { status: 'failed', error: 'broke', model_id: 'claude-sonnet-4', input_tokens: 2000 });
    expect(await usageOf(w.user.token, quick)).toMatchObject({ input_tokens: 2000, cost_usd: '0.051900000' });
    expect((await totals(w)).pbi).toMatchObject({ input: 3000, cost: '0.100800000' });
  });

  it('shows the tokens and cost null for a model without a price, counted as unpriced', async () => {
    await setPrices([sonnet]);
    const w = await world(2);
    const [a, b] = w.jobIds as [string, string];
    await report(w.user.token, a, { status: 'running', model_id: 'gpt-4o', input_tokens: 500 });
    expect(await usageOf(w.user.token, a)).toEqual({ model_id: 'gpt-4o', input_tokens: 500, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, cost_usd: null, unpriced_jobs: 1 });
    await report(w.user.token, b, { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1_000_000 });
    expect((await totals(w)).story).toEqual({ input: 1_000_500, output: 0, cache_read: 0, cache_write: 0, cost: '3.000000000', unpriced: 1 });
    // the same job reported again stays one unpriced job; priced later, it leaves the count
    await report(w.user.token, a, { status: 'running', model_id: 'gpt-4o', input_tokens: 600 });
    expect((await totals(w)).story).toMatchObject({ input: 1_000_600, unpriced: 1 });
    await setPrices([sonnet, { model: 'gpt-4o', input: 2.5, output: 10, cache_read: 1.25, cache_write: 0 }]);
    await report(w.user.token, a, { status: 'running', model_id: 'gpt-4o' });
    expect(await usageOf(w.user.token, a)).toMatchObject({ cost_usd: '0.001500000', unpriced_jobs: 0 });
    expect((await totals(w)).story).toMatchObject({ cost: '3.001500000', unpriced: 0 });
    // a job that never reported usage is not unpriced: it has nothing to price
    const idle = await world(1);
    expect(await usageOf(idle.user.token, idle.jobIds[0]!)).toEqual({ model_id: null, input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, cost_usd: null, unpriced_jobs: 0 });
  });

  it('keeps the price it was computed at when the prices change later, until the job reports again', async () => {
    await setPrices([sonnet]);
    const w = await world(1);
    const jobId = w.jobIds[0]!;
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4', ...fullUsage });
    const pricedWith = (await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).price_table_id;
    await setPrices([{ ...sonnet, input: 30, output: 150 }]);
    expect(await usageOf(w.user.token, jobId)).toMatchObject({ cost_usd: fullUsageCost });
    expect((await totals(w)).product.cost).toBe(fullUsageCost);
    const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(row.price_table_id).toBe(pricedWith);
    // the next report is priced at the table now in force: (1000 × 30 + 2000 × 150 + 900 + 15000) / 1e6
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4' });
    expect(await usageOf(w.user.token, jobId)).toMatchObject({ cost_usd: '0.345900000' });
    expect((await totals(w)).product.cost).toBe('0.345900000');
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).price_table_id).not.toBe(pricedWith);
  });

  it('is priced at a table another replica stored, not at this process\'s outdated copy', async () => {
    await setPrices([sonnet]);
    const w = await world(1);
    const jobId = w.jobIds[0]!;
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1_000_000 });
    expect((await usageOf(w.user.token, jobId)).cost_usd).toBe('3.000000000');
    // another process (its own pool: this app's cached table is not told)
    await storePrices(database.db.prisma, database.db.pool, [{ ...sonnet, input: 4 }], { source: 'api' });
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1_000_000 });
    expect((await usageOf(w.user.token, jobId)).cost_usd).toBe('4.000000000');
  });

  it('sums exactly: ten jobs of 0.1 USD are 1.000000000, not a float that drifts', async () => {
    await setPrices([tenth]);
    const w = await world(10);
    for (const jobId of w.jobIds) await report(w.user.token, jobId, { status: 'running', model_id: 'tenth-1', input_tokens: 1_000_000 });
    expect((await usageOf(w.user.token, w.jobIds[0]!)).cost_usd).toBe('0.100000000');
    expect(0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1).not.toBe(1);
    const all = await totals(w);
    expect([all.story.cost, all.pbi.cost, all.product.cost]).toEqual(['1.000000000', '1.000000000', '1.000000000']);
    // 0.1 + 0.2 + 0.3 as three jobs of one story
    await setPrices([{ model: 'step-*', input: 0.1, output: 0.2, cache_read: 0.3, cache_write: 0.000001 }]);
    const three = await world(3);
    const [a, b, c] = three.jobIds as [string, string, string];
    await report(three.user.token, a, { status: 'running', model_id: 'step-1', input_tokens: 1_000_000 });
    await report(three.user.token, b, { status: 'running', model_id: 'step-1', output_tokens: 1_000_000 });
    await report(three.user.token, c, { status: 'running', model_id: 'step-1', cache_read_tokens: 1_000_000, cache_write_tokens: 1 });
    // the 1 cache-write token costs 1e-12 USD: rounded to 1e-9 on its job, not carried into the sum
    expect((await totals(three)).story.cost).toBe('0.600000000');
  });

  it('moves the totals by the difference of each report (a report replaces the job\'s stored usage)', async () => {
    await setPrices([sonnet]);
    const w = await world(1);
    const jobId = w.jobIds[0]!;
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1_000_000, output_tokens: 10 });
    await report(w.user.token, jobId, { status: 'running', input_tokens: 2_000_000 });
    await report(w.user.token, jobId, { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1_500_000 });
    expect((await totals(w)).product).toEqual({ input: 1_500_000, output: 10, cache_read: 0, cache_write: 0, cost: '4.500150000', unpriced: 0 });
    expect(await usageOf(w.user.token, jobId)).toMatchObject({ input_tokens: 1_500_000, output_tokens: 10, cost_usd: '4.500150000' });
  });

  it('counts tokens by model and type and cost by model in Prometheus, by the difference of each report', async () => {
    await setPrices([{ ...sonnet, model: 'metric-model-*' }]);
    const w = await world(1);
    const jobId = w.jobIds[0]!;
    await report(w.user.token, jobId, { status: 'running', model_id: 'metric-model-1', input_tokens: 1_000_000, output_tokens: 7 });
    await report(w.user.token, jobId, { status: 'running', model_id: 'metric-model-1', input_tokens: 3_000_000, output_tokens: 7 });
    const metrics = (await app.call('GET', '/metrics')).body as string;
    expect(metrics).toContain('scrum4me_usage_tokens_total{model="metric-model-1",type="input"} 3000000');
    expect(metrics).toContain('scrum4me_usage_tokens_total{model="metric-model-1",type="output"} 7');
    expect(metrics).not.toContain('scrum4me_usage_tokens_total{model="metric-model-1",type="cache_read"}');
    // 9 USD + 7 × 15 / 1e6
    expect(metrics).toMatch(/scrum4me_usage_cost_usd_total\{model="metric-model-1"\} 9\.000105/);
  });
});
