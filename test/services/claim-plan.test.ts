// The claim's candidate scan stays the claim index in claim order, whatever the
// planner's statistics say: with a few thousand jobs queued for the user among
// others' claimed ones (after ANALYZE), the claim joined every candidate to its
// product and PBI and the planner chose to read and sort all of the user's
// queued jobs (6,000+ buffers a claim). Buffers, not time: the same on any machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/queryable.ts';
import { authenticate, createToken } from '../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../src/services/jobs/claim.ts';
import { importBacklog } from '../../src/services/backlog/import-backlog.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { seedProduct } from '../support/seed.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

interface PlanNode {
  'Node Type': string;
  'CTE Name'?: string;
  'Subplan Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

const findCte = (node: PlanNode, name: string): PlanNode | undefined =>
  node['Subplan Name'] === `CTE ${name}` ? node : (node.Plans ?? []).map((child) => findCte(child, name)).find(Boolean);

describe('the claim plan', { timeout: 240_000 }, () => {
  it('reads a handful of buffers for its candidate with thousands queued, budgets and a limit set or not', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await importBacklog(app.db.prisma, product.id, {
      pbis: [{ code: 'PBI-P', title: 'plan', stories: [{ code: 'ST-P', title: 'plan', tasks: [{ title: 't', plan: 'p', plan_paths: ['src/**'] }] }] }],
    });
    const pbi = backlog.pbis[0]!;
    const story = pbi.stories[0]!;
    const insert = (user: string, prefix: string, status: string) =>
      app.db.pool.query(
        `INSERT INTO jobs (id, kind, status, priority, user_id, product_id, pbi_id, story_id, task_id, created_at, updated_at)
         SELECT $1 || '-' || g, 'TASK_IMPLEMENTATION', $7::"JobStatus", g % 3, u.id, $2, $3, $4, $5, now() - make_interval(secs => (3200 - g) / 1000.0), now()
           FROM generate_series(1, 3200) g, users u WHERE u.name = $6`,
        [prefix, product.id, pbi.id, story.id, story.tasks[0]!.id, user, status],
      );
    for (let i = 0; i < 4; i++) {
      await createToken(app.db.prisma, { user: `plan-other-${i}`, name: 'agent' });
      await insert(`plan-other-${i}`, `plan-other-${i}`, 'CLAIMED');
    }
    const token = await createToken(app.db.prisma, { user: 'plan-user', name: 'agent' });
    await insert('plan-user', 'plan-user', 'QUEUED');
    const auth = await authenticate(app.db.pool, `Bearer ${token.token}`);

    let claim: { text: string; values: unknown[] } | undefined;
    const recorder = { query: async (config: { text: string; values: unknown[] }) => ((claim = config), { rows: [{ had_candidate: false, id: null }] }) } as unknown as Queryable;
    await claimNextJob(recorder, auth);

    const buffers: Record<string, number> = {};
    for (const setting of ['none', 'budgets and limit'] as const) {
      const on = setting !== 'none';
      expect((await app.call('PATCH', `/api/v1/admin/products/${product.id}`, { body: { budget_usd: on ? 1000 : null, max_active_jobs: on ? 100000 : null } })).status).toBe(200);
      expect((await app.call('PATCH', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: on ? 1000 : null } })).status).toBe(200);
      await app.db.pool.query('VACUUM (ANALYZE) jobs');
      const client = await app.db.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${claim!.text}`, claim!.values);
        await client.query('ROLLBACK');
        const candidate = findCte(rows[0]!['QUERY PLAN'][0].Plan, 'candidate');
        expect(candidate, 'the claim has a candidate CTE').toBeDefined();
        buffers[setting] = (candidate!['Shared Hit Blocks'] ?? 0) + (candidate!['Shared Read Blocks'] ?? 0);
      } finally {
        client.release();
      }
    }
    // the index's first leaves and the job's heap page, with the lists' few pages: tens, not thousands
    // (joined to products and PBIs per job, the planner sorted all 3,200: 6,496 buffers)
    expect(Object.keys(buffers)).toEqual(['none', 'budgets and limit']);
    for (const count of Object.values(buffers)) expect(count).toBeLessThan(60);
  });
});
