// The operator API's lists: a product's PBIs with progress, jobs filtered and
// paginated newest first, any job with its trace, tokens without the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedBacklog, seedProduct, seedUser } from '../support/seed.ts';

let app: TestApp;
let productId: string;
let otherProductId: string;
let pbiIds: string[];
let taskIds: string[];
let alice: Awaited<ReturnType<typeof seedUser>>;
let bob: Awaited<ReturnType<typeof seedUser>>;

beforeAll(async () => {
  app = await startTestApp();
  const prisma = app.db.prisma;
  productId = (await seedProduct(prisma)).id;
  otherProductId = (await seedProduct(prisma)).id;
  const backlog = await seedBacklog(prisma, productId, {
    pbis: [
      { code: 'P-1', title: 'Checkout', stories: [{ title: 'Cart', tasks: [{ title: 'Add' }, { title: 'Remove' }] }, { title: 'Pay', tasks: [{ title: 'Card' }] }] },
      { code: 'P-2', title: 'Search', stories: [{ title: 'Index', tasks: [{ title: 'Build' }] }] },
    ],
  });
  pbiIds = backlog.pbis.map((p) => p.id);
  taskIds = backlog.pbis.flatMap((p) => p.stories.flatMap((s) => s.tasks.map((t) => t.id)));
  await seedBacklog(prisma, otherProductId, { pbis: [{ title: 'Other', stories: [{ title: 'S', tasks: [{ title: 'T' }] }] }] });
  alice = await seedUser(prisma, 'alice');
  bob = await seedUser(prisma, 'bob');
});
afterAll(async () => {
  await app?.close();
});

const enqueue = async (user: string, ids: string[]) => {
  const response = await app.call('POST', '/api/v1/admin/jobs', { body: { user, task_ids: ids } });
  expect(response.status).toBe(201);
  return response.body.jobs as { id: string }[];
};

const noUsage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0.000000000', unpriced_jobs: 0 };

describe('GET /api/v1/admin/products/{id}/pbis', () => {
  it('lists the PBIs with tasks done / total (a task is done when its newest job is), jobs by status and the cascade', async () => {
    const [add, remove, card] = await enqueue('alice', taskIds.slice(0, 3));
    await app.db.prisma.job.update({ where: { id: add!.id }, data: { status: 'DONE' } });
    // "Remove" was done once, and has a newer job that failed: not done
    await app.db.prisma.job.update({ where: { id: remove!.id }, data: { status: 'DONE', created_at: new Date(Date.now() - 60_000) } });
    const [again] = await enqueue('bob', [taskIds[1]!]);
    await app.db.prisma.job.update({ where: { id: again!.id }, data: { status: 'FAILED' } });
    await app.db.prisma.cascade.create({ data: { pbi_id: pbiIds[0]!, open_pbi_id: pbiIds[0]!, failed_job_id: again!.id, status: 'RUNNING', cancelled_job_ids: [card!.id] } });

    const response = await app.call('GET', `/api/v1/admin/products/${productId}/pbis`);
    expect(response.status).toBe(200);
    expect(response.body.product_id).toBe(productId);
    expect(response.body.pbis).toEqual([
      {
        id: pbiIds[0],
        code: 'P-1',
        title: 'Checkout',
        stories: 2,
        tasks_total: 3,
        tasks_done: 1,
        jobs: { queued: 1, claimed: 0, running: 0, done: 2, failed: 1, cancelled: 0 },
        cascade: { id: expect.any(String), status: 'running', open: true, created_at: expect.any(String) },
        usage: noUsage,
      },
      {
        id: pbiIds[1],
        code: 'P-2',
        title: 'Search',
        stories: 1,
        tasks_total: 1,
        tasks_done: 0,
        jobs: { queued: 0, claimed: 0, running: 0, done: 0, failed: 0, cancelled: 0 },
        cascade: null,
        usage: noUsage,
      },
    ]);
  });

  it('answers 404 for an unknown product and 403 to an agent token', async () => {
    expect((await app.call('GET', '/api/v1/admin/products/nope/pbis')).body.error.code).toBe('NOT_FOUND');
    expect((await app.call('GET', `/api/v1/admin/products/${productId}/pbis`, { token: alice.token })).status).toBe(403);
  });
});

describe('GET /api/v1/admin/jobs', () => {
  it('filters by status, user, product and kind, newest first', async () => {
    const all = await app.call('GET', '/api/v1/admin/jobs');
    expect(all.status).toBe(200);
    const created = all.body.jobs.map((j: { created_at: string; id: string }) => `${j.created_at}|${j.id}`);
    expect(created).toEqual([...created].sort().reverse());
    expect(all.body.next_cursor).toBeNull();

    const failed = await app.call('GET', '/api/v1/admin/jobs?status=failed');
    expect(failed.body.jobs.map((j: { status: string }) => j.status)).toEqual(['failed']);
    expect(failed.body.jobs[0]).toMatchObject({ user: 'bob', kind: 'task_implementation', product: { id: productId }, pbi: { id: pbiIds[0], code: 'P-1' }, task: { title: 'Remove' } });
    const byBob = await app.call('GET', '/api/v1/admin/jobs?user=bob&status=FAILED&kind=task_implementation');
    expect(byBob.body.jobs).toHaveLength(1);
    expect((await app.call('GET', '/api/v1/admin/jobs?user=nobody')).body.jobs).toEqual([]);

    await enqueue('bob', [(await app.db.prisma.task.findFirstOrThrow({ where: { story: { product_id: otherProductId } } })).id]);
    const other = await app.call('GET', `/api/v1/admin/jobs?product_id=${otherProductId}`);
    expect(other.body.jobs.map((j: { product: { id: string } }) => j.product.id)).toEqual([otherProductId]);
    expect((await app.call('GET', '/api/v1/admin/jobs?kind=idea_grill')).body.jobs).toEqual([]);
  });

  it('pages with a keyset cursor: every job once, none repeated when new ones arrive meanwhile', async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    let first = true;
    do {
      const response = await app.call('GET', `/api/v1/admin/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      pages.push(response.body.jobs.map((j: { id: string }) => j.id));
      cursor = response.body.next_cursor;
      if (first) {
        // a job queued while someone pages lands on page one, not in the pages after
        await enqueue('alice', [taskIds[3]!]);
        first = false;
      }
    } while (cursor);
    const seen = pages.flat();
    const total = await app.db.prisma.job.count();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(total - 1);
    expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['status=paused', 'status'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['kind=nap', 'kind'],
      ['cursor=***', 'cursor'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['color=red', 'query'],
    ] as const) {
      const response = await app.call('GET', `/api/v1/admin/jobs?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details.map((d: { path: string }) => d.path), query).toContain(field);
    }
    expect((await app.call('GET', '/api/v1/admin/jobs', { token: bob.token })).status).toBe(403);
  });
});

describe('GET /api/v1/admin/jobs/{id}', () => {
  it("answers any user's job with its user, usage and trace", async () => {
    const [job] = await enqueue('alice', [taskIds[3]!]);
    await app.db.prisma.job.update({ where: { id: job!.id }, data: { model_id: 'claude-x', input_tokens: 1200, output_tokens: 340 } });
    await app.db.prisma.traceEntry.create({ data: { job_id: job!.id, level: 'WARN', message: 'requeued after 1800 s without a status call' } });
    const response = await app.call('GET', `/api/v1/admin/jobs/${job!.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: job!.id,
      user: 'alice',
      status: 'queued',
      usage: { model_id: 'claude-x', input_tokens: 1200, output_tokens: 340, cache_read_tokens: null, cache_write_tokens: null },
      trace: [{ level: 'warn', message: 'requeued after 1800 s without a status call', at: expect.any(String) }],
    });
    expect((await app.call('GET', '/api/v1/admin/jobs/nope')).body.error.code).toBe('JOB_NOT_FOUND');
  });
});

describe('GET /api/v1/admin/tokens', () => {
  it('lists users and tokens with prefix, name, admin, created, last used and revoked, never the token', async () => {
    // a use marks last_used_at
    expect((await app.call('GET', '/api/v1/jobs/nope', { token: alice.token })).status).toBe(404);
    expect((await app.call('DELETE', `/api/v1/admin/tokens/${bob.tokenId}`)).status).toBe(200);
    const response = await app.call('GET', '/api/v1/admin/tokens');
    expect(response.status).toBe(200);
    const tokens = response.body.tokens as { token_id: string; user: string; prefix: string; name: string | null; admin: boolean; last_used_at: string | null; revoked_at: string | null }[];
    expect(tokens.map((t) => t.user)).toEqual(['admin', 'alice', 'alice', 'bob', 'bob']);
    const aliceFirst = tokens.find((t) => t.token_id === alice.tokenId)!;
    expect(aliceFirst).toEqual({
      token_id: alice.tokenId,
      user: 'alice',
      prefix: alice.token.slice(0, 10),
      name: null,
      admin: false,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      revoked_at: null,
    });
    expect(tokens.find((t) => t.token_id === bob.tokenId)!.revoked_at).toEqual(expect.any(String));
    expect(tokens.find((t) => t.user === 'admin')).toMatchObject({ admin: true, name: 'bootstrap (SCRUM4ME_ADMIN_TOKEN)' });
    const text = JSON.stringify(response.body);
    expect(text).not.toContain(alice.token);
    expect(text).not.toMatch(/token_hash|[0-9a-f]{64}/);
    expect((await app.call('GET', '/api/v1/admin/tokens', { token: alice.token })).status).toBe(403);
  });
});
