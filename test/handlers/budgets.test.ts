// Budgets and max_active_jobs (SPEC §11): PATCH a PBI's or product's budget and
// a product's limit; claims skip what is over its budget or at its limit (and
// hand out other work), running jobs finish, one budget_exceeded event per
// crossing, raising a budget or freeing a slot hands jobs out again and wakes
// long-polling claimers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  // 1,000,000 input tokens of "tenth" cost exactly 0.1 USD
  await app.call('PUT', '/api/v1/admin/prices', { body: { prices: [{ model: 'tenth', input: 0.1, output: 0, cache_read: 0, cache_write: 0 }] } });
});
afterAll(async () => {
  await app?.close();
});

const claim = (token: string, waitSeconds = 0) => app.call('POST', '/api/v1/jobs/claim', { token, body: { wait_seconds: waitSeconds } });
const status = (token: string, jobId: string, body: Record<string, unknown>) => app.call('POST', `/api/v1/jobs/${jobId}/status`, { token, body });
/** running, reporting 0.1 USD of usage per step (the job's running total) */
const spend = async (token: string, jobId: string, tenths = 1) => {
  const response = await status(token, jobId, { status: 'running', model_id: 'tenth', input_tokens: 1_000_000 * tenths });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
};
/** the product's claimed + running jobs as its stripes count them */
const slotsTaken = async (productId: string) =>
  (await app.db.prisma.productSlotStripe.aggregate({ where: { product_id: productId }, _sum: { active: true } }))._sum.active ?? 0;
const budgetEvents = async (key: 'pbi_id' | 'product_id', id: string) =>
  (await app.db.prisma.changeEvent.findMany({ where: { type: 'budget_exceeded', payload: { path: [key], equals: id } }, orderBy: { seq: 'asc' } })).map((e) => e.payload);

async function taskWorld(tasks: number, pbis = 1) {
  const product = await seedProduct(app.db.prisma);
  const backlog = await seedBacklog(app.db.prisma, product.id, {
    pbis: Array.from({ length: pbis }, (_, p) => ({ code: `P${p}`, title: `PBI ${p}`, stories: [{ title: 'S', tasks: Array.from({ length: tasks }, (_, i) => ({ title: `T${i}` })) }] })),
  });
  const user = await seedUser(app.db.prisma);
  return { product, pbis: backlog.pbis, user, taskIds: (p: number) => backlog.pbis[p]!.stories[0]!.tasks.map((t) => t.id) };
}

describe('PATCH /api/v1/admin/pbis/{id} budget_usd', () => {
  it('stops handing out the PBI once its spending reaches the budget; running jobs finish; one event; raising it hands them out again', async () => {
    const w = await taskWorld(5, 2);
    const [pbi, otherPbi] = w.pbis as [(typeof w.pbis)[number], (typeof w.pbis)[number]];
    const set = await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 0.25 } });
    expect(set).toMatchObject({ status: 200, body: { id: pbi.id, product_id: w.product.id, budget: { budget_usd: '0.250000000', spent_usd: '0.000000000', exceeded: false } } });
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(0), 5);
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(1), 0);
    const [a, b, c] = [(await claim(w.user.token)).body.job, (await claim(w.user.token)).body.job, (await claim(w.user.token)).body.job];
    expect([a.pbi.id, b.pbi.id, c.pbi.id]).toEqual([pbi.id, pbi.id, pbi.id]);
    await spend(w.user.token, a.id);
    await spend(w.user.token, b.id);
    expect(await budgetEvents('pbi_id', pbi.id)).toEqual([]);
    await spend(w.user.token, c.id); // 0.3 >= 0.25: crossed
    expect(await budgetEvents('pbi_id', pbi.id)).toEqual([{ type: 'budget_exceeded', pbi_id: pbi.id, budget_usd: '0.250000000', spent_usd: '0.300000000' }]);
    // the PBI's two queued jobs are skipped, the other PBI's are handed out
    const next = (await claim(w.user.token)).body.job;
    expect(next.pbi.id).toBe(otherPbi.id);
    // a running job finishes and keeps spending; no second event for the same crossing
    await spend(w.user.token, a.id, 2);
    expect(await budgetEvents('pbi_id', pbi.id)).toHaveLength(1);
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 0.25 } })).body.budget).toEqual({ budget_usd: '0.250000000', spent_usd: '0.400000000', exceeded: true });
    expect(await budgetEvents('pbi_id', pbi.id)).toHaveLength(1);
    // raising it above the spending wakes a waiting claimer and hands the PBI's jobs out again
    for (let i = 0; i < 4; i++) expect((await claim(w.user.token)).body.job.pbi.id).toBe(otherPbi.id);
    expect((await claim(w.user.token)).status).toBe(204);
    const waiting = claim(w.user.token, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 1 } })).body.budget).toEqual({ budget_usd: '1.000000000', spent_usd: '0.400000000', exceeded: false });
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(woken.body.job.pbi.id).toBe(pbi.id);
    expect(Date.now() - started).toBeLessThan(15_000);
    // a new crossing is a new event; removing the budget hands everything out
    await spend(w.user.token, woken.body.job.id, 7); // 0.4 + 0.7 = 1.1
    expect(await budgetEvents('pbi_id', pbi.id)).toHaveLength(2);
    expect((await claim(w.user.token)).status).toBe(204);
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: null } })).body.budget).toBeNull();
    expect((await claim(w.user.token)).body.job.pbi.id).toBe(pbi.id);
  });

  it('counts lowering a budget to the spending as a crossing: one event', async () => {
    const w = await taskWorld(1);
    const pbi = w.pbis[0]!;
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(0));
    await spend(w.user.token, (await claim(w.user.token)).body.job.id, 3);
    await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 5 } });
    expect(await budgetEvents('pbi_id', pbi.id)).toEqual([]);
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 0.3 } })).body.budget.exceeded).toBe(true);
    await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 0.2 } });
    expect(await budgetEvents('pbi_id', pbi.id)).toEqual([{ type: 'budget_exceeded', pbi_id: pbi.id, budget_usd: '0.300000000', spent_usd: '0.300000000' }]);
  });
});

describe('PATCH /api/v1/admin/products/{id}', () => {
  it('budget_usd: the product answer carries usage and budget; claims skip all its jobs once reached, other products go on', async () => {
    const w = await taskWorld(3);
    const idea = await createIdea(app.db.prisma, { product_id: w.product.id, title: 'an idea' });
    const other = await seedProduct(app.db.prisma);
    const otherBacklog = await seedBacklog(app.db.prisma, other.id, oneStoryBacklog([{ title: 'x' }]));
    const patched = await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { budget_usd: 0.2 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: w.product.id,
      max_active_jobs: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0.000000000', unpriced_jobs: 0 },
      budget: { budget_usd: '0.200000000', spent_usd: '0.000000000', exceeded: false },
    });
    await enqueueJobs(app.db.prisma, { user: w.user.name, idea_id: idea.id, kind: 'IDEA_GRILL', priority: 9 });
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(0), 5);
    await seedTaskJobs(app.db.prisma, w.user.name, otherBacklog.pbis[0]!.stories[0]!.tasks.map((t) => t.id), 0);
    const ideaJob = (await claim(w.user.token)).body.job;
    expect(ideaJob.kind).toBe('idea_grill');
    // idea jobs spend the product's budget too (they have no PBI): done is the one-statement path
    const done = await status(w.user.token, ideaJob.id, { status: 'done', model_id: 'tenth', input_tokens: 2_000_000 });
    expect(done.status).toBe(200);
    expect(await budgetEvents('product_id', w.product.id)).toEqual([{ type: 'budget_exceeded', product_id: w.product.id, budget_usd: '0.200000000', spent_usd: '0.200000000' }]);
    const got = (await claim(w.user.token)).body.job;
    expect(got.product.id).toBe(other.id);
    expect((await claim(w.user.token)).status).toBe(204);
    const read = await app.call('GET', `/api/v1/admin/products/${w.product.id}`);
    expect(read.body).toMatchObject({ usage: { input_tokens: 2_000_000, cost_usd: '0.200000000' }, budget: { spent_usd: '0.200000000', exceeded: true } });
    expect((await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { budget_usd: 10 } })).body.budget.exceeded).toBe(false);
    expect((await claim(w.user.token)).body.job.product.id).toBe(w.product.id);
  });

  it('max_active_jobs: claims skip the product at its limit and hand out other products; a freed slot wakes a long-poll', async () => {
    const w = await taskWorld(0);
    const idea = await createIdea(app.db.prisma, { product_id: w.product.id, title: 'ideas to grill' });
    const other = await seedProduct(app.db.prisma);
    const otherBacklog = await seedBacklog(app.db.prisma, other.id, oneStoryBacklog([{ title: 'x' }, { title: 'y' }]));
    const limited = await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: 2 } });
    expect(limited.body).toMatchObject({ max_active_jobs: 2, budget: null });
    for (let i = 0; i < 4; i++) await enqueueJobs(app.db.prisma, { user: w.user.name, idea_id: idea.id, kind: 'IDEA_GRILL', priority: 5 });
    await seedTaskJobs(app.db.prisma, w.user.name, otherBacklog.pbis[0]!.stories[0]!.tasks.map((t) => t.id), 0);
    const first = (await claim(w.user.token)).body.job;
    const second = (await claim(w.user.token)).body.job;
    expect([first.product.id, second.product.id]).toEqual([w.product.id, w.product.id]);
    // at its limit (claimed + running): the lower-priority product is not starved
    await status(w.user.token, first.id, { status: 'running' });
    expect((await claim(w.user.token)).body.job.product.id).toBe(other.id);
    expect((await claim(w.user.token)).body.job.product.id).toBe(other.id);
    expect((await claim(w.user.token)).status).toBe(204);
    expect((await slotsTaken(w.product.id))).toBe(2);
    // a slot frees: the long-polling claimer is woken and gets the product's next job
    const waiting = claim(w.user.token, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    expect((await status(w.user.token, second.id, { status: 'done' })).status).toBe(200);
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(woken.body.job.product.id).toBe(w.product.id);
    expect((await slotsTaken(w.product.id))).toBe(2);
    // a failure frees a slot too
    expect((await status(w.user.token, first.id, { status: 'failed', error: 'no' })).status).toBe(200);
    expect((await slotsTaken(w.product.id))).toBe(1);
    expect((await claim(w.user.token)).body.job.product.id).toBe(w.product.id);
    expect((await claim(w.user.token)).status).toBe(204);
  });

  it('max_active_jobs: counts the jobs already active when it is set, 0 hands out nothing, null removes it', async () => {
    const w = await taskWorld(4);
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(0));
    const running = [(await claim(w.user.token)).body.job, (await claim(w.user.token)).body.job];
    await status(w.user.token, running[0].id, { status: 'running' });
    await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: 2 } });
    expect((await slotsTaken(w.product.id))).toBe(2);
    expect((await claim(w.user.token)).status).toBe(204);
    await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: 3 } });
    expect((await claim(w.user.token)).status).toBe(200);
    await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: 0 } });
    expect((await claim(w.user.token)).status).toBe(204);
    const removed = await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: null, budget_usd: null } });
    expect(removed.body).toMatchObject({ max_active_jobs: null, budget: null });
    expect((await claim(w.user.token)).status).toBe(200);
  });

  it('refuses bad bodies naming the field, unknown ids, and agent tokens', async () => {
    const w = await taskWorld(1);
    for (const [body, field] of [
      [{ budget_usd: -1 }, 'budget_usd'],
      [{ budget_usd: 0.0000000001 }, 'budget_usd'],
      [{ budget_usd: '5' }, 'budget_usd'],
      [{ budget_usd: 1e13 }, 'budget_usd'],
      [{ max_active_jobs: 1.5 }, 'max_active_jobs'],
      [{ max_active_jobs: 2 ** 31 }, 'max_active_jobs'],
      [{}, 'body'],
      [{ budget_usd: 1, colour: 'red' }, 'body'],
    ] as const) {
      const response = await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(field);
    }
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${w.pbis[0]!.id}`, { body: {} })).status).toBe(400);
    // 1e-7 is 7 decimals: fine, stored exactly
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${w.pbis[0]!.id}`, { body: { budget_usd: 1e-7 } })).body.budget.budget_usd).toBe('0.000000100');
    expect((await app.call('PATCH', '/api/v1/admin/products/nope', { body: { max_active_jobs: 1 } })).status).toBe(404);
    expect((await app.call('PATCH', '/api/v1/admin/products/nope', { body: { budget_usd: 1 } })).status).toBe(404);
    expect((await app.call('PATCH', '/api/v1/admin/pbis/nope', { body: { budget_usd: 1 } })).status).toBe(404);
    expect((await app.call('PATCH', `/api/v1/admin/pbis/${w.pbis[0]!.id}`, { token: w.user.token, body: { budget_usd: 1 } })).status).toBe(403);
    expect((await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { token: w.user.token, body: { budget_usd: 1 } })).status).toBe(403);
  });

  it('answers 503 with Retry-After, changing nothing, when setting a limit waits over 5 s for the jobs table', async () => {
    const w = await taskWorld(1);
    await seedTaskJobs(app.db.prisma, w.user.name, w.taskIds(0));
    const holder = await app.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`UPDATE jobs SET updated_at = now() WHERE product_id = $1`, [w.product.id]);
      const response = await app.call('PATCH', `/api/v1/admin/products/${w.product.id}`, { body: { max_active_jobs: 1, budget_usd: 3 } });
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('UNAVAILABLE');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await app.db.prisma.product.findUniqueOrThrow({ where: { id: w.product.id }, select: { max_active_jobs: true, budget_usd: true } })).toEqual({ max_active_jobs: null, budget_usd: null });
  });
});
