// GET /api/v1/admin/usage (SPEC §11): the jobs that reported usage, filtered
// by product, PBI, user and time, grouped by model, user, PBI, story or day,
// with the total; exact decimal sums and unpriced jobs counted apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const usage = (query = '') => app.call('GET', `/api/v1/admin/usage${query}`);

/** Two products; in the first, a PBI of two stories (2 + 1 tasks) and a second PBI; every job claimed and reported. */
async function world() {
  await app.call('PUT', '/api/v1/admin/prices', {
    body: { prices: [{ model: 'tenth', input: 0.1, output: 0.2, cache_read: 0, cache_write: 0 }, { model: 'ten', input: 10, output: 0, cache_read: 0, cache_write: 0 }] },
  });
  const [product, other] = [await seedProduct(app.db.prisma), await seedProduct(app.db.prisma)];
  const backlog = await seedBacklog(app.db.prisma, product.id, {
    pbis: [
      { code: 'A', title: 'A', stories: [{ title: 'A1', tasks: [{ title: 'a1' }, { title: 'a2' }] }, { title: 'A2', tasks: [{ title: 'a3' }] }] },
      { code: 'B', title: 'B', stories: [{ title: 'B1', tasks: [{ title: 'b1' }] }] },
    ],
  });
  const otherBacklog = await seedBacklog(app.db.prisma, other.id, { pbis: [{ title: 'C', stories: [{ title: 'C1', tasks: [{ title: 'c1' }] }] }] });
  const [alice, bob] = [await seedUser(app.db.prisma), await seedUser(app.db.prisma)];
  const [pbiA, pbiB] = backlog.pbis as [(typeof backlog.pbis)[number], (typeof backlog.pbis)[number]];
  const task = (pbi: typeof pbiA, story: number, index: number) => pbi.stories[story]!.tasks[index]!.id;
  // alice: a1 (tenth, 1M in: 0.1), a3 (tenth, 1M out: 0.2), b1 (gpt: unpriced, 5 in); bob: a2 (tenth, 3M in: 0.3), c1 (ten, 1M in: 10)
  const plan = [
    { user: alice, task: task(pbiA, 0, 0), body: { model_id: 'tenth', input_tokens: 1_000_000 } },
    { user: alice, task: task(pbiA, 1, 0), body: { model_id: 'tenth', output_tokens: 1_000_000 } },
    { user: alice, task: task(pbiB, 0, 0), body: { model_id: 'gpt-4o', input_tokens: 5 } },
    { user: bob, task: task(pbiA, 0, 1), body: { model_id: 'tenth', input_tokens: 3_000_000, cache_read_tokens: 7 } },
    { user: bob, task: otherBacklog.pbis[0]!.stories[0]!.tasks[0]!.id, body: { model_id: 'ten', input_tokens: 1_000_000, cache_write_tokens: 9 } },
  ];
  const jobIds: string[] = [];
  for (const step of plan) {
    await seedTaskJobs(app.db.prisma, step.user.name, [step.task]);
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: step.user.token, body: { wait_seconds: 0 } });
    expect(claimed.status).toBe(200);
    const reported = await app.call('POST', `/api/v1/jobs/${claimed.body.job.id}/status`, { token: step.user.token, body: { status: 'running', ...step.body } });
    expect(reported.status).toBe(200);
    jobIds.push(claimed.body.job.id);
  }
  // a claimed job that never reported usage is in no sum
  await seedTaskJobs(app.db.prisma, alice.name, [task(pbiA, 0, 0)]);
  expect((await app.call('POST', '/api/v1/jobs/claim', { token: alice.token, body: { wait_seconds: 0 } })).status).toBe(200);
  return { product, other, pbiA, pbiB, alice, bob, jobIds };
}

const sums = (jobs: number, input: number, output: number, cacheRead: number, cacheWrite: number, cost: string, unpriced: number) => ({
  jobs,
  input_tokens: input,
  output_tokens: output,
  cache_read_tokens: cacheRead,
  cache_write_tokens: cacheWrite,
  cost_usd: cost,
  unpriced_jobs: unpriced,
});

describe('GET /api/v1/admin/usage', () => {
  it('groups by model (the default), user, PBI, story and day, with the total, in one answer each', async () => {
    const w = await world();
    const scoped = `?product_id=${w.product.id}`;
    const byModel = await usage(scoped);
    expect(byModel.status).toBe(200);
    expect(byModel.body).toEqual({
      group_by: 'model',
      rows: [
        { key: 'tenth', ...sums(3, 4_000_000, 1_000_000, 7, 0, '0.600000000', 0) },
        { key: 'gpt-4o', ...sums(1, 5, 0, 0, 0, '0.000000000', 1) },
      ],
      total: sums(4, 4_000_005, 1_000_000, 7, 0, '0.600000000', 1),
    });
    // the same cost: by key
    expect((await usage(`${scoped}&group_by=user`)).body.rows).toEqual(
      [
        { key: w.bob.name, ...sums(1, 3_000_000, 0, 7, 0, '0.300000000', 0) },
        { key: w.alice.name, ...sums(3, 1_000_005, 1_000_000, 0, 0, '0.300000000', 1) },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    expect((await usage(`${scoped}&group_by=pbi`)).body.rows).toEqual([
      { key: w.pbiA.id, ...sums(3, 4_000_000, 1_000_000, 7, 0, '0.600000000', 0) },
      { key: w.pbiB.id, ...sums(1, 5, 0, 0, 0, '0.000000000', 1) },
    ]);
    const byStory = (await usage(`${scoped}&group_by=story`)).body.rows;
    expect(byStory).toEqual([
      { key: w.pbiA.stories[0]!.id, ...sums(2, 4_000_000, 0, 7, 0, '0.400000000', 0) },
      { key: w.pbiA.stories[1]!.id, ...sums(1, 0, 1_000_000, 0, 0, '0.200000000', 0) },
      { key: w.pbiB.stories[0]!.id, ...sums(1, 5, 0, 0, 0, '0.000000000', 1) },
    ]);
    // days in UTC: two jobs moved to yesterday
    const today = new Date().toISOString().slice(0, 10);
    await app.db.pool.query(`UPDATE jobs SET usage_at = '2026-01-02 23:59:59.999' WHERE id = ANY($1)`, [w.jobIds.slice(0, 2)]);
    expect((await usage(`${scoped}&group_by=day`)).body.rows).toEqual([
      { key: '2026-01-02', ...sums(2, 1_000_000, 1_000_000, 0, 0, '0.300000000', 0) },
      { key: today, ...sums(2, 3_000_005, 0, 7, 0, '0.300000000', 1) },
    ]);
    // from/to: days are UTC, `to` as a day includes it; instants are exclusive at `to`
    expect((await usage(`${scoped}&to=2026-01-02`)).body.total).toEqual(sums(2, 1_000_000, 1_000_000, 0, 0, '0.300000000', 0));
    expect((await usage(`${scoped}&from=2026-01-03`)).body.total.jobs).toBe(2);
    expect((await usage(`${scoped}&from=2026-01-02T23:59:59.999Z&to=2026-01-03T00:00:00Z`)).body.total.jobs).toBe(2);
    expect((await usage(`${scoped}&to=2026-01-02T23:59:59.999Z`)).body.total.jobs).toBe(0);
  });

  it('filters by product, PBI and user, and answers a zero total over nothing', async () => {
    const w = await world();
    expect((await usage(`?pbi_id=${w.pbiA.id}&user=${w.alice.name}`)).body).toEqual({
      group_by: 'model',
      rows: [{ key: 'tenth', ...sums(2, 1_000_000, 1_000_000, 0, 0, '0.300000000', 0) }],
      total: sums(2, 1_000_000, 1_000_000, 0, 0, '0.300000000', 0),
    });
    expect((await usage(`?product_id=${w.other.id}&group_by=user`)).body).toEqual({
      group_by: 'user',
      rows: [{ key: w.bob.name, ...sums(1, 1_000_000, 0, 0, 9, '10.000000000', 0) }],
      total: sums(1, 1_000_000, 0, 0, 9, '10.000000000', 0),
    });
    expect((await usage('?user=nobody-at-all')).body).toEqual({ group_by: 'model', rows: [], total: sums(0, 0, 0, 0, 0, '0.000000000', 0) });
    // everything: at least this world's two products
    const all = (await usage('?group_by=pbi')).body;
    expect(all.rows.find((row: { key: string }) => row.key === w.pbiA.id)).toMatchObject({ jobs: 3, cost_usd: '0.600000000' });
    expect(all.total.jobs).toBeGreaterThanOrEqual(5);
  });

  it('refuses bad filters naming them, and agent tokens', async () => {
    const user = await seedUser(app.db.prisma);
    for (const [query, field] of [
      ['?group_by=week', 'group_by'],
      ['?from=yesterday', 'from'],
      ['?to=2026-13-01', 'to'],
      ['?user=a%20b', 'user'],
      ['?colour=red', 'query'],
    ]) {
      const response = await usage(query);
      expect(response.status, query).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path), query).toContain(field);
    }
    expect((await app.call('GET', '/api/v1/admin/usage', { token: user.token })).status).toBe(403);
  });
});
