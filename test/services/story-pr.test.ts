// The story PR (S7) against the git-backed fake GitHub: siblings finishing at
// once never lose a summary from its body, and no PR is opened in a PBI whose
// fail-cascade is opening or open (the PBI's cascade lock).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbiLockKey } from '../../src/services/cascade/pbi-lock.ts';
import { claimTask, finishTask, prNumber, startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld('acme/story-prs');
});
afterAll(async () => {
  await world?.close();
});

let stories = 0;
async function importStory(tasks: string[]) {
  const code = `SP${++stories}`;
  const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
    body: { pbis: [{ title: `PBI ${code}`, stories: [{ code, title: `Story ${code}`, tasks: tasks.map((title) => ({ title, plan_paths: [`${code}/${title}.txt`] })) }] }] },
  });
  expect(imported.status).toBe(201);
  const pbi = imported.body.pbis[0];
  return { pbiId: pbi.id as string, story: pbi.stories[0] as { id: string; branch: string; tasks: { id: string; title: string }[] }, code };
}

const pullCalls = (method: 'POST' | 'PATCH') =>
  world.fake.calls.filter((c) => c.method === method && (method === 'POST' ? /^\/repos\/[^/]+\/[^/]+\/pulls$/.test(c.path) : /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+$/.test(c.path)));

async function pendingStoryPrJobs(): Promise<number> {
  const { rows } = await world.app.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'ensure_story_pr'`,
  );
  return rows[0]!.n;
}

/** The agent's whole task, its calls answered by another replica of the app. */
async function finishTaskOn(replica: TestApp, job: { id: string; branch: string }, files: Record<string, string>, summary: string) {
  world.fake.commitToBranch(world.repo, job.branch, files, summary);
  const verify = await replica.call('POST', `/api/v1/jobs/${job.id}/verify`, { token: world.agentToken, body: {} });
  expect(verify.status).toBe(200);
  const done = await replica.call('POST', `/api/v1/jobs/${job.id}/status`, { token: world.agentToken, body: { status: 'done', summary } });
  expect(done.status).toBe(200);
  return done.body as { pr_url: string | null };
}

describe('the story PR body', { timeout: 120_000 }, () => {
  // Two replicas, as in production: one process's write pacing happens to send
  // its own writes in order; two processes' writes race on GitHub.
  let replica: TestApp;
  beforeAll(async () => {
    replica = await startTestApp({ env: { GHE_HOST: world.fake.host, GHE_PROTOCOL: 'http' }, reuseDatabaseUrl: world.app.db.url });
  });
  afterAll(async () => {
    await replica?.close();
  });

  it('holds every summary when two siblings finish at once on two replicas and the first body write is slow', async () => {
    const { story, code } = await importStory(['One', 'Two', 'Three']);
    const [one, two, three] = story.tasks;
    const first = await claimTask(world, one!.id, 30);
    const opened = await finishTask(world, first, [{ [`${code}/One.txt`]: '1\n' }], 'Summary of task one');
    const number = prNumber(opened.pr_url);
    expect(world.fake.pull(world.repo, number).body).toContain('Summary of task one');

    // GitHub takes 6 s to apply the next body update (what it was sent was read before task three was done)
    world.fake.faults.inject({ method: 'PATCH', path: new RegExp(`/pulls/${number}$`), delayMs: 6_000, times: 1 });
    const patchesBefore = pullCalls('PATCH').length;
    const second = await claimTask(world, two!.id, 20);
    const third = await claimTask(world, three!.id, 10);
    const secondDone = finishTask(world, second, [{ [`${code}/Two.txt`]: '2\n' }], 'Summary of task two');
    await until('the first body update to reach GitHub', async () => pullCalls('PATCH').length > patchesBefore, 30_000);
    const thirdDone = finishTaskOn(replica, third, { [`${code}/Three.txt`]: '3\n' }, 'Summary of task three');
    const answers = await Promise.all([secondDone, thirdDone]);
    expect(answers.map((a) => a.pr_url)).toEqual([opened.pr_url, opened.pr_url]);

    const everySummary = ['Summary of task one', 'Summary of task two', 'Summary of task three'];
    await until('the PR body with every summary', async () => everySummary.every((s) => world.fake.pull(world.repo, number).body?.includes(s)), 60_000);
    await until('the story PR queue to drain', async () => (await pendingStoryPrJobs()) === 0, 30_000);
    const lastPatch = pullCalls('PATCH').at(-1)!;
    for (const summary of everySummary) expect((lastPatch.requestBody as { body: string }).body).toContain(summary);
    expect(world.fake.pull(world.repo, number).body).toBe((lastPatch.requestBody as { body: string }).body);
    // the record follows what GitHub holds
    const record = await world.app.db.prisma.pullRequest.findFirstOrThrow({ where: { story_id: story.id } });
    expect(record.body).toBe(world.fake.pull(world.repo, number).body);
    expect(pullCalls('POST').filter((c) => (c.requestBody as { head: string }).head === story.branch)).toHaveLength(1);
  });
});

describe('a story PR in a PBI whose cascade is opening', { timeout: 120_000 }, () => {
  it('waits for the cascade lock, sees the cascade and opens nothing', async () => {
    const { pbiId, story, code } = await importStory(['Lonely', 'Failing']);
    const job = await claimTask(world, story.tasks[0]!.id, 40);
    const queued = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [story.tasks[1]!.id] } });
    expect(queued.status).toBe(201);
    const failingJobId = queued.body.jobs[0].id as string;
    const postsBefore = pullCalls('POST').length;

    // a failure elsewhere in the PBI is opening its cascade: lock taken, cascade row written, not yet committed
    const failing = new pg.Client({ connectionString: world.app.db.url });
    await failing.connect();
    try {
      await failing.query('BEGIN');
      await failing.query('SELECT pg_advisory_xact_lock(hashtext($1))', [pbiLockKey(pbiId)]);
      await failing.query(`INSERT INTO cascades (id, pbi_id, open_pbi_id, failed_job_id) VALUES ($1, $2, $2, $3)`, [`cascade-${code}`, pbiId, failingJobId]);

      let answered = false;
      const done = finishTask(world, job, [{ [`${code}/Lonely.txt`]: 'alone\n' }], 'Work the cascade will undo').finally(() => {
        answered = true;
      });
      // the PR step queues behind the cascade's lock (or, without the lock, answers at once)
      await until('the PR step to wait for the PBI lock, or the call to answer', async () => {
        if (answered) return true;
        const { rows } = await failing.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        return rows.length > 0;
      });
      await failing.query('COMMIT');
      const answer = await done;
      expect(answer.pr_url).toBeNull();
    } finally {
      await failing.end();
    }
    expect(pullCalls('POST').slice(postsBefore)).toEqual([]);
    expect(await world.app.db.prisma.pullRequest.count({ where: { story_id: story.id } })).toBe(0);
  });
});
