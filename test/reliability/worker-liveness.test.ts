// Two replicas on one database; the database connections of the replica that
// runs a cascade drop in the middle of a step (pg_terminate_backend). The other
// replica must not judge that live worker dead and release its job, and every
// effect on GitHub happens once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { until } from '../cascade/support.ts';

let fake: FakeGitHub;
let database: TestDatabase;
let first: TestApp;
let second: TestApp;
const repo = 'acme/liveness';
const names = ['liveness-a', 'liveness-b'] as const;

/** The same database, with the replica's name on every connection it opens (pg_stat_activity.application_name). */
function urlFor(name: string): string {
  const url = new URL(database.url);
  url.searchParams.set('application_name', name);
  return url.toString();
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'liveness\n' } });
  database = await createTestDatabase();
  const env = { GHE_HOST: fake.host, GHE_PROTOCOL: 'http' };
  first = await startTestApp({ env, reuseDatabaseUrl: urlFor(names[0]) });
  second = await startTestApp({ env, reuseDatabaseUrl: urlFor(names[1]) });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await fake?.close();
  await database?.drop();
});

const released = (app: TestApp) => app.logs.filter((line) => line.includes('released background jobs of dead workers'));

describe('worker liveness across a dropped database connection', { timeout: 150_000 }, () => {
  it('keeps the job of a live worker whose connections dropped mid-step: each PR closed and commented once, each branch deleted once', async () => {
    const product = await first.call('POST', '/api/v1/admin/products', { body: { name: 'Liveness', repo } });
    expect(product.status).toBe(201);
    const agent = (await first.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent' } })).body.token as string;
    const codes = ['A', 'B', 'C', 'D', 'X'];
    const imported = await first.call('POST', `/api/v1/admin/products/${product.body.id}/backlog`, {
      body: { pbis: [{ title: 'Lively PBI', stories: codes.map((code) => ({ code, title: `Story ${code}`, tasks: [{ title: code, plan_paths: [`${code}.txt`] }] })) }] },
    });
    expect(imported.status).toBe(201);
    const stories = imported.body.pbis[0].stories as { code: string; branch: string; tasks: { id: string }[] }[];
    const prs: number[] = [];
    let failing: { id: string } | undefined;
    for (const story of stories) {
      await first.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [story.tasks[0]!.id] } });
      const job = (await first.call('POST', '/api/v1/jobs/claim', { token: agent, body: { wait_seconds: 0 } })).body.job;
      if (story.code === 'X') {
        failing = job;
        break;
      }
      fake.commitToBranch(repo, job.branch, { [`${story.code}.txt`]: `${story.code}\n` }, `Work on ${story.code}`);
      expect((await first.call('POST', `/api/v1/jobs/${job.id}/verify`, { token: agent, body: {} })).status).toBe(200);
      const done = await first.call('POST', `/api/v1/jobs/${job.id}/status`, { token: agent, body: { status: 'done', summary: `Finished story ${story.code} as planned` } });
      expect(done.status).toBe(200);
      prs.push(Number(done.body.pr_url.split('/').at(-1)));
    }
    expect(prs).toHaveLength(4);

    // every GitHub call slow, so each step is long in flight
    fake.latencyMs = 700;
    fake.clearCalls();
    const failed = await first.call('POST', `/api/v1/jobs/${failing!.id}/status`, { token: agent, body: { status: 'failed', error: 'boom' } });
    expect(failed.status).toBe(200);
    const cascadeId = failed.body.cascade.id as string;

    // the replica whose worker holds the cascade's job, once the job is acting on GitHub
    const lockedBy = await until('the cascade job to be running', async () => {
      const { rows } = await database.db.pool.query<{ locked_by: string }>(
        `SELECT locked_by FROM graphile_worker.jobs WHERE task_identifier = 'cascade_undo' AND locked_by IS NOT NULL`,
      );
      return rows[0]?.locked_by;
    }, 30_000);
    await until('a cascade call to GitHub in flight', async () => fake.calls.some((call) => call.method !== 'GET' || call.path.includes('/pulls')), 30_000);
    const owner = first.worker.workerIds().includes(lockedBy) ? 0 : 1;
    expect([first, second][owner]!.worker.workerIds()).toContain(lockedBy);

    // drop every idle connection of that replica: its lock / liveness connection among them
    const idle = await database.db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle' AND pid <> pg_backend_pid()`,
      [names[owner]],
    );
    expect(idle.rows.length).toBeGreaterThan(0);
    await database.db.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [idle.rows.map((row) => row.pid)]);

    // The other replica judges (its timer does so every 5 s; asked here at once instead of waiting
    // two rounds out): once the dropped connections are gone, and again after the owner's next beat.
    const dropped = idle.rows.map((row) => row.pid);
    await until('the dropped connections to be gone', async () => (await database.db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [dropped])).rowCount === 0, 30_000);
    const judge = [first, second][1 - owner]!;
    expect(await judge.worker.recoverDeadWorkers(), 'dead workers right after the drop').toEqual([]);
    await [first, second][owner]!.worker.heartbeat();
    expect(await judge.worker.recoverDeadWorkers(), 'dead workers after the next beat').toEqual([]);
    fake.latencyMs = 0;
    const cascade = await until('the cascade to finish', async () => {
      const row = await database.db.prisma.cascade.findUnique({ where: { id: cascadeId }, include: { steps: true } });
      return row?.status === 'DONE' ? row : undefined;
    }, 90_000);

    expect(released(first), 'first replica released jobs of a live worker').toEqual([]);
    expect(released(second), 'second replica released jobs of a live worker').toEqual([]);
    expect(cascade.steps.map((s) => s.state)).toEqual(Array(5).fill('DONE'));
    for (const pr of prs) {
      const closes = fake.calls.filter(
        (call) => call.method === 'PATCH' && call.path === `/repos/${repo}/pulls/${pr}` && (call.requestBody as { state?: string } | null)?.state === 'closed',
      );
      expect(closes, `close PATCHes of #${pr}`).toHaveLength(1);
      expect(fake.comments(repo, pr), `comments on #${pr}`).toHaveLength(1);
      expect(fake.pull(repo, pr).state).toBe('closed');
    }
    for (const story of stories) {
      const deletes = fake.calls.filter((call) => call.method === 'DELETE' && decodeURIComponent(call.path) === `/repos/${repo}/git/refs/heads/${story.branch}`);
      expect(deletes, `ref deletes of ${story.branch}`).toHaveLength(1);
      expect(fake.branchSha(repo, story.branch)).toBeNull();
    }
  });
});
