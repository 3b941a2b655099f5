// Two app replicas on one PostgreSQL: claims never doubled across them, one
// cascade for failures reported to both, its GitHub work done once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { until } from '../cascade/support.ts';

let fake: FakeGitHub;
let first: TestApp;
let second: TestApp;
const repo = 'acme/replicas';

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'replicas\n' } });
  first = await startTestApp({ env: { GHE_HOST: fake.host, GHE_PROTOCOL: 'http' } });
  second = await startTestApp({ env: { GHE_HOST: fake.host, GHE_PROTOCOL: 'http' }, reuseDatabaseUrl: first.db.url });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await fake?.close();
});

describe('two replicas on one database', { timeout: 90_000 }, () => {
  it('hand out every job once and run one cascade whose GitHub work happens once', async () => {
    const product = await first.call('POST', '/api/v1/admin/products', { body: { name: 'Replicas', repo } });
    const token = (await second.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent' } })).body.token as string;
    const stories = Array.from({ length: 4 }, (_, s) => ({ code: `S${s}`, title: `Story ${s}`, tasks: Array.from({ length: 10 }, (_, t) => ({ title: `T${s}.${t}` })) }));
    const imported = await first.call('POST', `/api/v1/admin/products/${product.body.id}/backlog`, { body: { pbis: [{ title: 'Replicated', stories }] } });
    const pbi = imported.body.pbis[0];
    const taskIds = pbi.stories.flatMap((s: { tasks: { id: string }[] }) => s.tasks.map((t) => t.id));
    await second.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: taskIds } });

    // 8 claimers, alternating replicas, until the queue is empty
    const claimed: { id: string; branch: string }[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const app = i % 2 === 0 ? first : second;
        for (;;) {
          const response = await app.call('POST', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0 } });
          if (response.status === 204) return;
          claimed.push(response.body.job);
        }
      }),
    );
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed.map((j) => j.id)).size).toBe(40);

    // a branch with work on GitHub for two stories
    for (const branch of new Set(claimed.map((j) => j.branch))) fake.commitToBranch(repo, branch, { [`${branch}.txt`]: 'x\n' }, 'work');

    // two failures, one on each replica, at once
    const [a, b] = await Promise.all([
      first.call('POST', `/api/v1/jobs/${claimed[0]!.id}/status`, { token, body: { status: 'failed', error: 'a' } }),
      second.call('POST', `/api/v1/jobs/${claimed[1]!.id}/status`, { token, body: { status: 'failed', error: 'b' } }),
    ]);
    const cascades = [a, b].filter((r) => r.status === 200 && r.body.cascade).map((r) => r.body.cascade.id);
    expect(cascades).toHaveLength(1);
    expect([a, b].map((r) => r.status).sort()).toEqual([200, 409]);

    const view = await until('the cascade to finish', async () => {
      const read = await first.call('GET', `/api/v1/admin/pbis/${pbi.id}`);
      return read.body.cascades[0]?.status === 'done' ? read.body : undefined;
    }, 60_000);
    expect(view.cascades).toHaveLength(1);
    expect(view.cascades[0].steps.map((s: { state: string }) => s.state)).toEqual(Array(4).fill('done'));
    const deletes = fake.calls.filter((c) => c.method === 'DELETE' && c.path.includes('/git/refs/'));
    expect(deletes).toHaveLength(4);
    for (const branch of new Set(claimed.map((j) => j.branch))) expect(fake.branchSha(repo, branch)).toBeNull();
    const statuses = await first.db.prisma.job.groupBy({ by: ['status'], _count: true });
    expect(Object.fromEntries(statuses.map((s) => [s.status, s._count]))).toEqual({ FAILED: 1, CANCELLED: 39 });
  });
});
