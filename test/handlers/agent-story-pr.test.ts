import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { removeJobs } from '../support/graphile-jobs.ts';
import { github, tokenMock } from '../support/github-nock.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { requeueStaleClaims } from '../../src/services/jobs/requeue-stale.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  // Background retries left by the tests (a check refresh whose mocks are gone) are dropped
  // first: the stop would wait for one to run, and plugin-retry spends 1 + 4 + 9 s on its reads.
  if (app) await removeJobs(app.db.pool);
  await app?.close();
});
afterEach(() => {
  nock.cleanAll();
});

/** Requests to GitHub that no mock answered and that reached nock's `no match` (the app's own port passes by nock too: not counted). */
function unexpectedGitHubCalls(): { calls: string[]; stop: () => void } {
  const calls: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string; hostname?: string; host?: string }) => {
    if ((req.hostname ?? req.host ?? '').includes('github.com')) calls.push(`${req.method} ${req.path}`);
  };
  nock.emitter.on('no match', onNoMatch);
  return { calls, stop: () => nock.emitter.removeListener('no match', onNoMatch) };
}

/**
 * Whether the story's background jobs (PR body, check run) have all run; a job that
 * failed (e.g. on a GitHub call no mock answers) adds its error to `failures`.
 */
async function storyJobsDone(storyId: string, failures: string[]): Promise<boolean> {
  const { rows } = await app.db.pool.query(
    `SELECT count(*)::int AS n, max(last_error) AS error FROM graphile_worker.jobs WHERE queue_name = $1 OR key LIKE '%' || $2`,
    [`story:${storyId}`, storyId],
  );
  if (rows[0].error) failures.push(String(rows[0].error).replace(/\s+/g, ' ').slice(0, 400));
  return rows[0].n === 0 || rows[0].error !== null;
}


async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function storyWithTwoTasks() {
  const product = await seedProduct(app.db.prisma, { autoPr: true });
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Form', verify_required: 'ANY' }, { title: 'Styles', verify_required: 'ANY' }]));
  const user = await seedUser(app.db.prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  await seedTaskJobs(app.db.prisma, user.name, story.tasks.map((t) => t.id));
  return { product, story, user };
}

async function claimAndFinish(user: { token: string }, product: { repo: string }, story: { branch: string }, summary: string) {
  const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
  const jobId = claimed.body.job.id as string;
  await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'ALIGNED' } });
  github()
    .get(`/repos/${product.repo}/compare/main...${encodeURIComponent(story.branch)}`)
    .query({ per_page: '1' })
    .reply(200, { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: [] });
  const response = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'done', summary } });
  return { jobId, response };
}

const pull = (repo: string, number: number, branch: string, body: string, sha = 'a'.repeat(40)) => ({
  id: 1000 + number,
  number,
  state: 'open',
  title: 'ST-1: A story',
  body,
  html_url: `https://github.com/${repo}/pull/${number}`,
  head: { ref: branch, sha, repo: { full_name: repo } },
  base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: repo } },
  updated_at: new Date().toISOString(),
  merged: false,
  merge_commit_sha: null,
});

describe('story pull requests (S7) and the check run', () => {
  it('opens one PR for the story, reuses it for the next task, and keeps one check run per head sha', async () => {
    const { product, story, user } = await storyWithTwoTasks();
    const unexpected = unexpectedGitHubCalls();
    tokenMock();
    let openedWith: Record<string, string> | undefined;
    const open = github()
      .post(`/repos/${product.repo}/pulls`, (body) => {
        openedWith = body;
        return true;
      })
      .reply(201, (_uri, body) => pull(product.repo, 7, story.branch, (body as { body: string }).body));
    // no run of ours on the sha yet (the lookup before the first create)
    const lookup = github()
      .get(`/repos/${product.repo}/commits/${'a'.repeat(40)}/check-runs`)
      .query({ check_name: 'Scrum4Me', filter: 'all', per_page: '100' })
      .reply(200, { total_count: 0, check_runs: [] });
    let checkCreated: Record<string, unknown> | undefined;
    const createCheck = github()
      .post(`/repos/${product.repo}/check-runs`, (body) => {
        checkCreated = body;
        return true;
      })
      .reply(201, { id: 555 });

    const first = await claimAndFinish(user, product, story, 'Built the login form component');
    expect(first.response.status).toBe(200);
    expect(first.response.body.pr_url).toBe(`https://github.com/${product.repo}/pull/7`);
    expect(open.isDone()).toBe(true);
    expect(openedWith).toEqual({ title: 'ST-1: A story', head: story.branch, base: 'main', body: expect.any(String) });
    expect(openedWith!.body).toContain('Built the login form component');
    expect(openedWith!.body).toContain('Opened by Scrum4Me');
    await until('the check run', async () => createCheck.isDone());
    expect(lookup.isDone()).toBe(true);
    expect(checkCreated).toEqual({
      name: 'Scrum4Me',
      head_sha: 'a'.repeat(40),
      external_id: `scrum4me:${story.id}:${'a'.repeat(40)}`,
      status: 'in_progress',
      output: {
        title: '1/2 tasks done, work in progress',
        summary: 'Story: A story\n\n**Story total** (every job of the story, earlier attempts included): 0 input, 0 output, 0 cache-read and 0 cache-write tokens; $0.00',
        text: '| task | job | verify | tokens | cost | summary |\n| --- | --- | --- | --- | --- | --- |\n| Form | done | aligned | – | – | Built the login form component |\n| Styles | queued | – | – | – | – |\n\nTokens and cost per task are its latest job\'s, as its agent last reported them.',
      },
    });

    let updatedBody: string | undefined;
    let patchedWith: Record<string, unknown> | undefined;
    const reuse = github()
      .patch(`/repos/${product.repo}/pulls/7`, (body) => {
        patchedWith = body;
        updatedBody = body.body;
        return true;
      })
      .reply(200, (_uri, body) => pull(product.repo, 7, story.branch, (body as { body: string }).body));
    let checkUpdate: Record<string, unknown> | undefined;
    const updateCheck = github()
      .patch(`/repos/${product.repo}/check-runs/555`, (body) => {
        checkUpdate = body;
        return true;
      })
      .reply(200, { id: 555 });
    const second = await claimAndFinish(user, product, story, 'Added the styles for the form');
    expect(second.response.body.pr_url).toBe(first.response.body.pr_url);
    // the body is updated in the story's background queue, from the database as it is then
    await until('the PR body update', async () => reuse.isDone());
    expect(updatedBody).toContain('Built the login form component');
    expect(updatedBody).toContain('Added the styles for the form');
    // only the body is sent: the title and state stay as people may have edited them
    expect(patchedWith).toEqual({ body: expect.any(String) });
    await until('the check run update', async () => updateCheck.isDone());
    expect(checkUpdate).toEqual({
      status: 'completed',
      conclusion: 'success',
      completed_at: expect.any(String),
      output: {
        title: 'All 2 tasks done',
        summary: 'Story: A story\n\n**Story total** (every job of the story, earlier attempts included): 0 input, 0 output, 0 cache-read and 0 cache-write tokens; $0.00',
        text: '| task | job | verify | tokens | cost | summary |\n| --- | --- | --- | --- | --- | --- |\n| Form | done | aligned | – | – | Built the login form component |\n| Styles | done | aligned | – | – | Added the styles for the form |\n\nTokens and cost per task are its latest job\'s, as its agent last reported them.',
      },
    });
    expect(await app.db.prisma.checkRun.count({ where: { story_id: story.id } })).toBe(1);
    expect(await app.db.prisma.pullRequest.findFirst({ where: { story_id: story.id } })).toMatchObject({ number: 7, state: 'OPEN', created_by_app: true });
    // every mock answered once, and nothing else was asked of GitHub once the story's jobs ran
    await until('the story\'s background jobs', async () => unexpected.calls.length > 0 || storyJobsDone(story.id, unexpected.calls));
    unexpected.stop();
    expect(unexpected.calls).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(nock.isDone()).toBe(true);
  });

  it('adopts a PR that already exists for the branch (422) instead of duplicating it', async () => {
    const { product, story, user } = await storyWithTwoTasks();
    tokenMock();
    github().post(`/repos/${product.repo}/pulls`).reply(422, { message: 'Validation Failed', errors: [{ message: `A pull request already exists for ${product.repo.split('/')[0]}:${story.branch}.` }] });
    const list = github()
      .get(`/repos/${product.repo}/pulls`)
      .query({ head: `${product.repo.split('/')[0]}:${story.branch}`, state: 'open', per_page: '1' })
      .reply(200, [pull(product.repo, 12, story.branch, 'human wrote this')]);
    const adopt = github().patch(`/repos/${product.repo}/pulls/12`).reply(200, (_uri, body) => pull(product.repo, 12, story.branch, (body as { body: string }).body));
    github().get(/\/check-runs\?/).optionally().reply(200, { total_count: 0, check_runs: [] });
    github().post(`/repos/${product.repo}/check-runs`).optionally().reply(201, { id: 9 });
    const { response } = await claimAndFinish(user, product, story, 'Built the login form component');
    expect(response.body.pr_url).toBe(`https://github.com/${product.repo}/pull/12`);
    expect(list.isDone()).toBe(true);
    await until('the adopted PR body update', async () => adopt.isDone());
    expect(await app.db.prisma.pullRequest.findFirst({ where: { story_id: story.id } })).toMatchObject({ number: 12, created_by_app: false });
  });

  it('answers 200 with pr_url null when GitHub fails, and makes the PR in the background', async () => {
    const { product, story, user } = await storyWithTwoTasks();
    tokenMock();
    github().post(`/repos/${product.repo}/pulls`).reply(502, { message: 'Bad Gateway' });
    const later = github().post(`/repos/${product.repo}/pulls`).reply(201, (_uri, body) => pull(product.repo, 21, story.branch, (body as { body: string }).body));
    // the check refresh the PR queues looks for our run more than once: a missing mock would cost plugin-retry's 1 + 4 + 9 s
    github().get(/\/check-runs\?/).optionally().times(5).reply(200, { total_count: 0, check_runs: [] });
    github().post(`/repos/${product.repo}/check-runs`).optionally().reply(201, { id: 10 });
    const { jobId, response } = await claimAndFinish(user, product, story, 'Built the login form component');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'done', pr_url: null });
    const job = await until('the background PR', async () => {
      const read = await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.token });
      return read.body.pr_url ? read.body : undefined;
    });
    expect(later.isDone()).toBe(true);
    expect(job.pr_url).toBe(`https://github.com/${product.repo}/pull/21`);
    expect(job.trace.some((t: { level: string; message: string }) => t.level === 'warn' && t.message.includes('story PR not made yet'))).toBe(true);
    // the check refresh the new PR queued runs while its mocks are still there (after the test nock forgets them)
    const failures: string[] = [];
    await until("the story's background jobs", async () => storyJobsDone(story.id, failures));
    expect(failures).toEqual([]);
  });

  it('opens no PR when the product has auto_pr off', async () => {
    const product = await seedProduct(app.db.prisma, { autoPr: false });
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Form', verify_required: 'ANY' }]));
    const user = await seedUser(app.db.prisma);
    const story = backlog.pbis[0]!.stories[0]!;
    await seedTaskJobs(app.db.prisma, user.name, [story.tasks[0]!.id]);
    tokenMock();
    const { response } = await claimAndFinish(user, product, story, 'Built the login form component');
    expect(response.body).toMatchObject({ status: 'done', pr_url: null, keep_branch: true });
  });
});

describe('stale claims', () => {
  it('requeues a claim with no status call past the timeout; the old token is refused, the job claimable again', async () => {
    const product = await seedProduct(app.db.prisma);
    const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Form' }]));
    const user = await seedUser(app.db.prisma);
    await seedTaskJobs(app.db.prisma, user.name, [backlog.pbis[0]!.stories[0]!.tasks[0]!.id]);
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    const jobId = claimed.body.job.id;
    await app.db.prisma.job.update({ where: { id: jobId }, data: { heartbeat_at: new Date(Date.now() - 3600_000) } });
    expect(await requeueStaleClaims(app.db.prisma, 1800)).toEqual([jobId]);
    const late = await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'running' } });
    expect(late.status).toBe(403);
    expect(late.body.error.code).toBe('PERMISSION_DENIED');
    const read = await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.token });
    expect(read.body.status).toBe('queued');
    expect(read.body.trace.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('requeued') });
    const again = await app.call('POST', '/api/v1/jobs/claim', { token: user.otherToken, body: { wait_seconds: 0 } });
    expect(again.body.job.id).toBe(jobId);
    // a fresh claim is not stale
    expect(await requeueStaleClaims(app.db.prisma, 1800)).toEqual([]);
  });
});
