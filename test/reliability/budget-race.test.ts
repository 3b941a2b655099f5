// Budgets and max_active_jobs under concurrency (SPEC §11): 16 agents on two
// replicas race at the edge. A limit holds exactly (never more claimed +
// running jobs than max_active_jobs, sampled throughout from the database),
// with no double claim and no starvation of another product; a budget is
// over-spent by at most the jobs already running when it was reached (one per
// agent), and its crossing is announced once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/services/auth/tokens.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedBacklog, seedProduct } from '../support/seed.ts';

let first: TestApp;
let second: TestApp;
beforeAll(async () => {
  first = await startTestApp();
  second = await startTestApp({ reuseDatabaseUrl: first.db.url });
  // 1,000,000 input tokens of "tenth": exactly 0.1 USD
  await first.call('PUT', '/api/v1/admin/prices', { body: { prices: [{ model: 'tenth', input: 0.1, output: 0, cache_read: 0, cache_write: 0 }] } });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

const agents = 16;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function agentTokens(user: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < agents; i++) tokens.push((await createToken(first.db.prisma, { user, name: `agent-${i}` })).token);
  return tokens;
}

/** `count` queued idea jobs of the product for the user, in one INSERT (idea jobs: done is the one-statement path, no GitHub). */
async function queueIdeaJobs(productId: string, user: string, count: number, priority: number): Promise<void> {
  const idea = await createIdea(first.db.prisma, { product_id: productId, title: `ideas ${priority}` });
  await first.db.pool.query(
    `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, idea_id, created_at, updated_at)
     SELECT $1 || '-' || g, 'IDEA_GRILL', 'QUEUED', $4, u.id, $2, $3, now() - make_interval(secs => ($5 - g) / 1000.0), now()
       FROM generate_series(1, $5::int) g, users u WHERE u.name = $6`,
    [`race-${productId}`, productId, idea.id, priority, count, user],
  );
}

const replica = (i: number) => (i % 2 === 0 ? first : second);
const claim = (i: number, token: string, waitSeconds: number) => replica(i).call('POST', '/api/v1/jobs/claim', { token, body: { wait_seconds: waitSeconds } });
const report = async (i: number, token: string, jobId: string, body: Record<string, unknown>) => {
  const response = await replica(i).call('POST', `/api/v1/jobs/${jobId}/status`, { token, body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
};

describe('16 agents on two replicas', { timeout: 240_000 }, () => {
  it('never hold more jobs of a limited product than its max_active_jobs, and still work another product', async () => {
    const limit = 3;
    const [limited, open] = [await seedProduct(first.db.prisma), await seedProduct(first.db.prisma)];
    const tokens = await agentTokens('limit-racer');
    await queueIdeaJobs(limited.id, 'limit-racer', 60, 5);
    await queueIdeaJobs(open.id, 'limit-racer', 30, 0);
    expect((await first.call('PATCH', `/api/v1/admin/products/${limited.id}`, { body: { max_active_jobs: limit } })).status).toBe(200);

    // every few ms, in one snapshot: the product's claimed + running jobs and its counter
    const sampler = new pg.Client({ connectionString: first.db.url });
    await sampler.connect();
    const samples: { active: number; counter: number }[] = [];
    let sampling = true;
    const sampled = (async () => {
      while (sampling) {
        const { rows } = await sampler.query<{ active: number; counter: number }>(
          `SELECT (SELECT count(*)::int FROM jobs WHERE product_id = $1 AND status IN ('CLAIMED', 'RUNNING')) AS active,
                  (SELECT COALESCE(sum(active), 0)::int FROM product_slot_stripes WHERE product_id = $1) AS counter`,
          [limited.id],
        );
        samples.push(rows[0]!);
        await pause(2);
      }
    })();

    const claimed: { id: string; product: string }[] = [];
    try {
      await Promise.all(
        tokens.map(async (token, i) => {
          for (;;) {
            // long-polls: a freed slot wakes them (NOTIFY), on either replica
            const response = await claim(i, token, 2);
            if (response.status === 204) {
              const left = await first.db.pool.query(`SELECT count(*)::int AS n FROM jobs j JOIN users u ON u.id = j.user_id WHERE u.name = 'limit-racer' AND j.status = 'QUEUED'`);
              if (left.rows[0].n === 0) return;
              continue;
            }
            expect(response.status).toBe(200);
            const job = response.body.job;
            claimed.push({ id: job.id, product: job.product.id });
            await report(i, token, job.id, { status: 'running' });
            await pause(10 + Math.floor(Math.random() * 40));
            await report(i, token, job.id, { status: 'done' });
          }
        }),
      );
    } finally {
      sampling = false;
      await sampled;
      await sampler.end();
    }

    expect(claimed).toHaveLength(90);
    expect(new Set(claimed.map((c) => c.id)).size).toBe(90);
    expect(samples.length).toBeGreaterThan(20);
    expect(Math.max(...samples.map((s) => s.active))).toBe(limit);
    expect(Math.max(...samples.map((s) => s.counter))).toBeLessThanOrEqual(limit);
    const after = await first.db.pool.query(`SELECT COALESCE(sum(active), 0)::int AS active FROM product_slot_stripes WHERE product_id = $1`, [limited.id]);
    expect(after.rows[0].active).toBe(0);
    // no starvation: the open product's (lower-priority) jobs went out while the limited one still had queued jobs
    const order = await first.db.pool.query<{ product_id: string; claimed_at: Date }>(
      `SELECT product_id, claimed_at FROM jobs WHERE product_id = ANY($1) ORDER BY claimed_at`,
      [[limited.id, open.id]],
    );
    const lastLimited = order.rows.filter((r) => r.product_id === limited.id).at(-1)!.claimed_at;
    const firstOpen = order.rows.find((r) => r.product_id === open.id)!.claimed_at;
    expect(firstOpen.getTime()).toBeLessThan(lastLimited.getTime());
    // one claim event per job
    const events = await first.db.pool.query(
      `SELECT count(*)::int AS events, count(DISTINCT payload->>'job_id')::int AS jobs FROM change_events
        WHERE payload->>'status' = 'claimed' AND payload->>'product_id' = ANY($1)`,
      [[limited.id, open.id]],
    );
    expect(events.rows[0]).toEqual({ events: 90, jobs: 90 });
  });

  it('over-spend a product budget by at most the jobs already running when it is reached, and announce the crossing once', async () => {
    const product = await seedProduct(first.db.prisma);
    const tokens = await agentTokens('product-budget-racer');
    await queueIdeaJobs(product.id, 'product-budget-racer', 100, 0);
    // reached by the 11th job of 0.1 USD
    await first.call('PATCH', `/api/v1/admin/products/${product.id}`, { body: { budget_usd: 1.05 } });
    let done = 0;
    await Promise.all(
      tokens.map(async (token, i) => {
        for (;;) {
          const response = await claim(i, token, 0);
          if (response.status === 204) return;
          await pause(Math.floor(Math.random() * 20));
          await report(i, token, response.body.job.id, { status: 'done', model_id: 'tenth', input_tokens: 1_000_000 });
          done++;
        }
      }),
    );
    const reachedAt = 11;
    expect(done).toBeGreaterThanOrEqual(reachedAt);
    expect(done).toBeLessThanOrEqual(reachedAt + agents - 1);
    const answer = (await second.call('GET', `/api/v1/admin/products/${product.id}`)).body;
    expect(answer.budget).toEqual({ budget_usd: '1.050000000', spent_usd: `${(done / 10).toFixed(1)}00000000`, exceeded: true });
    expect(answer.usage).toMatchObject({ input_tokens: done * 1_000_000, unpriced_jobs: 0 });
    const queued = await first.db.pool.query(`SELECT count(*)::int AS n FROM jobs WHERE product_id = $1 AND status = 'QUEUED'`, [product.id]);
    expect(queued.rows[0].n).toBe(100 - done);
    const crossings = await first.db.prisma.changeEvent.findMany({ where: { type: 'budget_exceeded', payload: { path: ['product_id'], equals: product.id } } });
    expect(crossings).toHaveLength(1);
    expect(crossings[0]!.payload).toMatchObject({ budget_usd: '1.050000000' });
  });

  it('over-spend a PBI budget by at most the jobs already running when it is reached', async () => {
    const product = await seedProduct(first.db.prisma);
    const backlog = await seedBacklog(first.db.prisma, product.id, {
      pbis: [{ title: 'Budgeted', stories: [{ title: 'S', tasks: Array.from({ length: 80 }, (_, i) => ({ title: `T${i}` })) }] }],
    });
    const pbi = backlog.pbis[0]!;
    const tokens = await agentTokens('pbi-budget-racer');
    await first.call('POST', '/api/v1/admin/jobs', { body: { user: 'pbi-budget-racer', task_ids: pbi.stories[0]!.tasks.map((t) => t.id) } });
    await first.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 2.05 } });
    let spent = 0;
    await Promise.all(
      tokens.map(async (token, i) => {
        for (;;) {
          const response = await claim(i, token, 0);
          if (response.status === 204) return;
          await pause(Math.floor(Math.random() * 20));
          // the job keeps running: its agent spent 0.1 USD on it and takes the next one
          await report(i, token, response.body.job.id, { status: 'running', model_id: 'tenth', input_tokens: 1_000_000 });
          spent++;
        }
      }),
    );
    const reachedAt = 21;
    expect(spent).toBeGreaterThanOrEqual(reachedAt);
    expect(spent).toBeLessThanOrEqual(reachedAt + agents - 1);
    const budget = (await first.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 2.05 } })).body.budget;
    expect(budget).toEqual({ budget_usd: '2.050000000', spent_usd: `${(spent / 10).toFixed(1)}00000000`, exceeded: true });
    const crossings = await first.db.prisma.changeEvent.count({ where: { type: 'budget_exceeded', payload: { path: ['pbi_id'], equals: pbi.id } } });
    expect(crossings).toBe(1);
  });
});
