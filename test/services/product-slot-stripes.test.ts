// max_active_jobs in stripes (src/db/sql/claim-job.ts, migration
// 20261203151326): the limit's shares, exactness and priority under 16
// concurrent claimers, a claim that waits for a stripe a concurrent claim holds
// instead of passing its product over, and two transactions freeing several
// slots of one product in opposite stripe orders without a deadlock.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/services/auth/tokens.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedProduct } from '../support/seed.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

let users = 0;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function agentTokens(user: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push((await createToken(app.db.prisma, { user, name: `agent-${i}` })).token);
  return tokens;
}

/** `count` idea jobs of the product for the user, in one INSERT; `status` QUEUED unless told. Returns their ids in order. */
async function insertIdeaJobs(productId: string, user: string, count: number, priority: number, status = 'QUEUED'): Promise<string[]> {
  const idea = await createIdea(app.db.prisma, { product_id: productId, title: `ideas ${priority}` });
  const { rows } = await app.db.pool.query<{ id: string }>(
    `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, idea_id, created_at, updated_at)
     SELECT $1 || '-' || lpad(g::text, 4, '0'), 'IDEA_GRILL', $7::"JobStatus", $4, u.id, $2, $3, now() - make_interval(secs => ($5 - g) / 1000.0), now()
       FROM generate_series(1, $5::int) g, users u WHERE u.name = $6
     RETURNING id`,
    [`${status.toLowerCase()}-${idea.id}`, productId, idea.id, priority, count, user, status],
  );
  return rows.map((r) => r.id).sort();
}

async function setLimit(productId: string, limit: number | null) {
  const response = await app.call('PATCH', `/api/v1/admin/products/${productId}`, { body: { max_active_jobs: limit } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

interface Stripe {
  stripe: number;
  capacity: number;
  active: number;
  /** the product's active jobs that name this stripe */
  holders: number;
}

async function stripesOf(productId: string): Promise<Stripe[]> {
  const { rows } = await app.db.pool.query<Stripe>(
    `SELECT s.stripe, s.capacity, s.active,
            (SELECT count(*)::int FROM jobs j WHERE j.product_id = s.product_id AND j.slot_stripe = s.stripe AND j.status IN ('CLAIMED', 'RUNNING')) AS holders
       FROM product_slot_stripes s WHERE s.product_id = $1 ORDER BY s.stripe`,
    [productId],
  );
  return rows;
}

const activeJobs = async (productId: string) =>
  (await app.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE product_id = $1 AND status IN ('CLAIMED', 'RUNNING')`, [productId])).rows[0]!.n;

const claim = (token: string) => app.call('POST', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0 } });

/**
 * Waits until a backend of the app's database waits for a lock while running
 * `query` (a LIKE pattern): true. False as soon as `settled` says the awaited
 * work finished without waiting. No deadline but the test's.
 */
async function untilWaitingOnLock(pattern: string, settled: () => boolean = () => false): Promise<boolean> {
  for (;;) {
    const { rows } = await app.db.pool.query(
      `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [pattern],
    );
    if (rows.length > 0) return true;
    if (settled()) return false;
    await pause(20);
  }
}

describe('max_active_jobs in stripes', { timeout: 240_000 }, () => {
  it('splits a limit into at most 16 shares that sum to it, with the active jobs dealt within them', async () => {
    const product = await seedProduct(app.db.prisma);
    const user = `stripes-${++users}`;
    await agentTokens(user, 1);
    await insertIdeaJobs(product.id, user, 5, 0, 'RUNNING');

    await setLimit(product.id, 40);
    const forty = await stripesOf(product.id);
    expect(forty.map((s) => s.stripe)).toEqual([...Array(16).keys()]);
    expect(forty.reduce((sum, s) => sum + s.capacity, 0)).toBe(40);
    expect(new Set(forty.map((s) => s.capacity))).toEqual(new Set([2, 3]));
    expect(forty.reduce((sum, s) => sum + s.active, 0)).toBe(5);
    for (const s of forty) {
      expect(s.active).toBeLessThanOrEqual(s.capacity);
      expect(s.active).toBe(s.holders);
    }

    // lowered below the active jobs: three stripes of one slot, over-full, none to take
    await setLimit(product.id, 3);
    const three = await stripesOf(product.id);
    expect(three.map((s) => [s.stripe, s.capacity])).toEqual([[0, 1], [1, 1], [2, 1]]);
    expect(three.reduce((sum, s) => sum + s.active, 0)).toBe(5);
    for (const s of three) expect(s.active).toBe(s.holders);

    for (const limit of [0, null]) {
      await setLimit(product.id, limit);
      expect(await stripesOf(product.id)).toEqual([]);
      const named = await app.db.pool.query(`SELECT 1 FROM jobs WHERE product_id = $1 AND slot_stripe IS NOT NULL`, [product.id]);
      expect(named.rows).toHaveLength(0);
    }
  });

  it('16 claimers at a limit of 20: exactly 20 claimed, no double claim, and the lower-priority product only once it is full', async () => {
    const [limited, open] = [await seedProduct(app.db.prisma), await seedProduct(app.db.prisma)];
    const user = `stripes-${++users}`;
    const tokens = await agentTokens(user, 16);
    await insertIdeaJobs(limited.id, user, 60, 5);
    await insertIdeaJobs(open.id, user, 30, 0);
    await setLimit(limited.id, 20);

    const claimed: { id: string; product: string; token: number }[] = [];
    await Promise.all(
      tokens.map(async (token, i) => {
        for (;;) {
          const response = await claim(token);
          if (response.status === 204) return;
          expect(response.status, JSON.stringify(response.body)).toBe(200);
          claimed.push({ id: response.body.job.id, product: response.body.job.product.id, token: i });
        }
      }),
    );

    expect(new Set(claimed.map((c) => c.id)).size).toBe(claimed.length);
    expect(claimed.filter((c) => c.product === limited.id)).toHaveLength(20);
    expect(claimed.filter((c) => c.product === open.id)).toHaveLength(30);
    expect(await activeJobs(limited.id)).toBe(20);
    const stripes = await stripesOf(limited.id);
    expect(stripes.reduce((sum, s) => sum + s.active, 0)).toBe(20);
    for (const s of stripes) {
      expect(s.active).toBe(s.capacity);
      expect(s.active).toBe(s.holders);
    }
    // a claim's claimed_at is its statement's start: every open-product claim began after the limited product filled up
    const times = await app.db.pool.query<{ product_id: string; claimed_at: Date }>(
      `SELECT product_id, claimed_at FROM jobs WHERE product_id = ANY($1) AND claimed_at IS NOT NULL`,
      [[limited.id, open.id]],
    );
    const lastLimited = Math.max(...times.rows.filter((r) => r.product_id === limited.id).map((r) => r.claimed_at.getTime()));
    const firstOpen = Math.min(...times.rows.filter((r) => r.product_id === open.id).map((r) => r.claimed_at.getTime()));
    expect(firstOpen).toBeGreaterThanOrEqual(lastLimited);

    // five finish: their slots free and go out again, to the limited product
    const mine = claimed.filter((c) => c.product === limited.id).slice(0, 5);
    for (const job of mine) {
      const done = await app.call('POST', `/api/v1/jobs/${job.id}/status`, { token: tokens[job.token]!, body: { status: 'done', summary: 'ok' } });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    }
    expect((await stripesOf(limited.id)).reduce((sum, s) => sum + s.active, 0)).toBe(15);
    const again = await Promise.all(tokens.slice(0, 6).map((token) => claim(token)));
    expect(again.filter((r) => r.status === 200).map((r) => r.body.job.product.id)).toEqual(Array(5).fill(limited.id));
    expect(again.filter((r) => r.status === 204)).toHaveLength(1);
    expect(await activeJobs(limited.id)).toBe(20);
  });

  it('a claim waits for a stripe a concurrent claim holds instead of passing its product over', async () => {
    const [limited, open] = [await seedProduct(app.db.prisma), await seedProduct(app.db.prisma)];
    const user = `stripes-${++users}`;
    const [token] = await agentTokens(user, 1);
    await insertIdeaJobs(limited.id, user, 2, 5);
    await insertIdeaJobs(open.id, user, 2, 0);
    await setLimit(limited.id, 1);

    // another claim in flight, as far as the stripes can tell: its one stripe locked
    const holder = new pg.Client({ connectionString: app.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT stripe FROM product_slot_stripes WHERE product_id = $1 FOR UPDATE`, [limited.id]);
      let answered = false;
      const claiming = claim(token!).finally(() => (answered = true));
      expect(await untilWaitingOnLock('%product_slot_stripes%', () => answered), 'the claim answered without waiting for the stripe').toBe(true);
      await holder.query('COMMIT');
      const response = await claiming;
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.job.product.id).toBe(limited.id);
    } finally {
      await holder.end();
    }
    // full now: the open product's job goes out
    expect((await claim(token!)).body.job.product.id).toBe(open.id);
  });

  it('two transactions freeing several slots of one product in opposite stripe orders both commit', async () => {
    const product = await seedProduct(app.db.prisma);
    const user = `stripes-${++users}`;
    await agentTokens(user, 1);
    const running = await insertIdeaJobs(product.id, user, 4, 0, 'RUNNING');
    await setLimit(product.id, 2);
    const { rows } = await app.db.pool.query<{ id: string; slot_stripe: number }>(`SELECT id, slot_stripe FROM jobs WHERE id = ANY($1) ORDER BY id`, [running]);
    const inStripe = (stripe: number) => rows.filter((r) => r.slot_stripe === stripe).map((r) => r.id);
    const [zero, one] = [inStripe(0), inStripe(1)];
    expect([zero.length, one.length]).toEqual([2, 2]);

    const clients = await Promise.all([0, 1, 2].map(async () => {
      const client = new pg.Client({ connectionString: app.db.url });
      await client.connect();
      return client;
    }));
    const [holder, first, second] = clients as [pg.Client, pg.Client, pg.Client];
    const finish = (client: pg.Client, id: string) => client.query(`UPDATE jobs SET status = 'DONE', finished_at = now(), updated_at = now() WHERE id = $1`, [id]);
    try {
      // stripe 1 held, so both commits queue on it: `second` frees 1 then 0 and waits on 1 first,
      // `first` frees 0 then 1 and takes 0 before it waits on 1; without an order between them, the
      // one granted stripe 1 next would wait for stripe 0 held by the other: a deadlock
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM product_slot_stripes WHERE product_id = $1 AND stripe = 1 FOR UPDATE`, [product.id]);
      await second.query('BEGIN');
      await finish(second, one[0]!);
      await finish(second, zero[0]!);
      const secondCommit = second.query('COMMIT');
      await untilWaitingOnLock('COMMIT');
      await first.query('BEGIN');
      await finish(first, zero[1]!);
      await finish(first, one[1]!);
      const firstCommit = first.query('COMMIT');
      for (;;) {
        const waiting = await app.db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query = 'COMMIT'`);
        if (waiting.rows.length === 2) break;
        await pause(20);
      }
      await holder.query('COMMIT');
      const outcomes = await Promise.allSettled([secondCommit, firstCommit]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'committed'))).toEqual(['committed', 'committed']);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    expect((await stripesOf(product.id)).map((s) => s.active)).toEqual([0, 0]);
  });
});
