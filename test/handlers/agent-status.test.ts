import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { github, tokenMock } from '../support/github-nock.ts';
import { oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';
import { jobStatusEvent } from '../../src/services/jobs/job-events.ts';
import { quickStatusUpdate } from '../../src/services/jobs/quick-status.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  nock.cleanAll();
});


/** One product, one story with `taskCount` tasks, a user; the first job claimed. */
async function claimedJob(options: { taskCount?: number; verifyOnly?: boolean; verifyRequired?: 'ALIGNED' | 'ALIGNED_OR_PARTIAL' | 'ANY'; autoPr?: boolean } = {}) {
  const product = await seedProduct(app.db.prisma, { autoPr: options.autoPr ?? false });
  const backlog = await seedBacklog(
    app.db.prisma,
    product.id,
    oneStoryBacklog(
      Array.from({ length: options.taskCount ?? 1 }, (_, i) => ({
        title: `Task ${i}`,
        verify_only: options.verifyOnly,
        verify_required: options.verifyRequired,
      })),
    ),
  );
  const user = await seedUser(app.db.prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  const jobs = await seedTaskJobs(app.db.prisma, user.name, story.tasks.map((t) => t.id));
  const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
  expect(claimed.status).toBe(200);
  return { product, story, user, jobs, jobId: claimed.body.job.id as string };
}

const report = (token: string, jobId: string, body: Record<string, unknown>) =>
  app.call('POST', `/api/v1/jobs/${jobId}/status`, { token, body });

function mockCompare(repo: string, branch: string, reply: [number, unknown]) {
  tokenMock();
  return github()
    .get(`/repos/${repo}/compare/main...${encodeURIComponent(branch)}`)
    .query({ per_page: '1' })
    .reply(reply[0], reply[1] as object);
}

describe('POST /api/v1/jobs/{id}/status: transitions', () => {
  it('running sets started_at and answers idle, keep', async () => {
    const { user, jobId } = await claimedJob();
    const response = await report(user.token, jobId, { status: 'running' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      job_id: jobId,
      status: 'running',
      started_at: expect.any(String),
      finished_at: null,
      next_action: 'idle',
      worktree: 'keep',
      keep_branch: false,
      cascade: null,
    });
  });

  it('failed sets finished_at and the error, and stores usage fields', async () => {
    const { user, jobId } = await claimedJob();
    const response = await report(user.token, jobId, {
      status: 'FAILED',
      error: 'tests do not pass',
      model_id: 'claude-x',
      input_tokens: 10,
      output_tokens: 20,
      cache_read_tokens: 0,
      cache_write_tokens: 5,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'failed', error: 'tests do not pass', finished_at: expect.any(String), next_action: 'queue_empty', worktree: 'remove' });
    const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(row).toMatchObject({ model_id: 'claude-x', input_tokens: 10n, output_tokens: 20n, cache_read_tokens: 0n, cache_write_tokens: 5n });
  });

  it('answers wait_for_job_again while the user has queued jobs, and keep while story siblings are active', async () => {
    // done, not failed: a failed task would cancel its sibling through the cascade
    const { product, story, user, jobId } = await claimedJob({ taskCount: 2, verifyOnly: true });
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'EMPTY' } });
    mockCompare(product.repo, story.branch, [200, { status: 'identical', ahead_by: 0, behind_by: 0, total_commits: 0, commits: [], files: [] }]);
    const response = await report(user.token, jobId, { status: 'done' });
    expect(response.body).toMatchObject({ status: 'done', next_action: 'wait_for_job_again', worktree: 'keep' });
  });

  it('publishes each change on scrum4me_changes with the S10 fields', async () => {
    const { user, jobId } = await claimedJob();
    await report(user.token, jobId, { status: 'running' });
    const events = await app.db.prisma.changeEvent.findMany({ where: { type: 'claude_job_status' }, orderBy: { seq: 'asc' } });
    const mine = events.map((e) => e.payload as Record<string, unknown>).filter((p) => p.job_id === jobId);
    expect(mine.map((p) => p.status)).toEqual(['queued', 'claimed', 'running']);
    expect(Object.keys(mine[2]!).sort()).toEqual(
      ['branch', 'error', 'job_id', 'pr_url', 'product_id', 'pushed_at', 'status', 'summary', 'task_id', 'type', 'user_id', 'verify_result'].sort(),
    );
  });
});

describe('status: the one-statement path (running, idea done) writes what the full path writes', () => {
  it('stores the same S10 event as jobStatusEvent() of the row, with ISO timestamps, and queues the check refresh of a task', async () => {
    const { user, jobId } = await claimedJob();
    // a row with every field the event carries, so the SQL formatting is compared too
    await app.db.prisma.job.update({ where: { id: jobId }, data: { pushed_at: new Date('2026-01-02T03:04:05.678Z'), verify_result: 'PARTIAL', pr_url: 'https://example.test/pr/1', branch: 'feat/x' } });
    const response = await report(user.token, jobId, { status: 'running', summary: 'working on it', model_id: 'model-1', input_tokens: 5 });
    expect(response.status).toBe(200);
    const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    const event = await app.db.prisma.changeEvent.findFirstOrThrow({ where: { type: 'claude_job_status', payload: { path: ['job_id'], equals: jobId } }, orderBy: { seq: 'desc' } });
    expect(event.payload).toEqual(jobStatusEvent(row));
    expect(event.payload).toMatchObject({ status: 'running', pushed_at: '2026-01-02T03:04:05.678Z', verify_result: 'partial', summary: 'working on it' });
    expect(response.body).toMatchObject({
      pushed_at: '2026-01-02T03:04:05.678Z',
      verify_result: 'partial',
      started_at: row.started_at!.toISOString(),
      summary: 'working on it',
    });
    expect(row).toMatchObject({ model_id: 'model-1', input_tokens: 5n, status: 'RUNNING' });
    // started_at is the database's now() in UTC, not shifted by a session time zone
    expect(Math.abs(row.started_at!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("queues the story's check refresh in the same statement (seen inside its transaction, before the worker can run it)", async () => {
    const { user, jobId, story } = await claimedJob();
    const auth = { tokenId: (await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).claimed_by_token_id!, userId: user.id, userName: user.name, admin: false };
    const client = await app.db.pool.connect();
    try {
      await client.query('BEGIN');
      const row = await quickStatusUpdate(client, auth, jobId, { status: 'running' });
      expect(row).toMatchObject({ id: jobId, status: 'RUNNING', from_status: 'CLAIMED' });
      const { rows } = await client.query<{ task_identifier: string; key: string; queue_name: string; payload: unknown }>(
        `SELECT t.identifier AS task_identifier, j.key, q.queue_name, j.payload
           FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
           LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
          WHERE j.key = $1`,
        [`check:${story.id}`],
      );
      expect(rows).toEqual([{ task_identifier: 'refresh_story_check', key: `check:${story.id}`, queue_name: `story:${story.id}`, payload: { story_id: story.id } }]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('answers an idea job\'s done with the queue and sibling counts, and falls back to the full path for refusals', async () => {
    const product = await seedProduct(app.db.prisma);
    const user = await seedUser(app.db.prisma);
    const ideas = await Promise.all([1, 2].map((n) => createIdea(app.db.prisma, { product_id: product.id, title: `Idea ${n}` })));
    for (const idea of ideas) await enqueueJobs(app.db.prisma, { user: user.name, idea_id: idea.id, kind: 'IDEA_GRILL' });
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    const jobId = claimed.body.job.id as string;
    const done = await report(user.token, jobId, { status: 'done', summary: 'grilled' });
    expect(done.body).toMatchObject({ status: 'done', next_action: 'wait_for_job_again', worktree: 'remove', finished_at: expect.any(String), summary: 'grilled' });
    const again = await report(user.token, jobId, { status: 'running' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('JOB_TERMINAL');
    const withBranch = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    const refused = await report(user.token, withBranch.body.job.id, { status: 'running', branch: 'feat/nope' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: withBranch.body.job.id } })).status).toBe('CLAIMED');
  });
});

describe('status: refusals (S1–S3)', () => {
  it('refuses another token of the same user with 403 PERMISSION_DENIED and writes nothing', async () => {
    const { user, jobId } = await claimedJob();
    const response = await report(user.otherToken, jobId, { status: 'running' });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('PERMISSION_DENIED');
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('CLAIMED');
  });

  it("answers 404 JOB_NOT_FOUND for another user's job, exactly like a missing one", async () => {
    const { jobId } = await claimedJob();
    const stranger = await seedUser(app.db.prisma);
    const theirs = await report(stranger.token, jobId, { status: 'running' });
    const missing = await report(stranger.token, 'no-such-job', { status: 'running' });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('JOB_NOT_FOUND');
    expect(missing.body.error.code).toBe('JOB_NOT_FOUND');
    expect(theirs.body.error.message.replace(jobId, 'ID')).toBe(missing.body.error.message.replace('no-such-job', 'ID'));
  });

  it('answers 409 JOB_CANCELLED for a cancelled job and writes nothing at all', async () => {
    const { user, jobId } = await claimedJob();
    await app.db.prisma.job.update({ where: { id: jobId }, data: { status: 'CANCELLED' } });
    const before = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    const eventsBefore = await app.db.prisma.changeEvent.count();
    const response = await report(user.token, jobId, { status: 'done', summary: 'all good, really all good' });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('JOB_CANCELLED');
    expect(response.body.error.message).toContain('discard your local changes');
    expect(await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).toEqual(before);
    expect(await app.db.prisma.changeEvent.count()).toBe(eventsBefore);
  });

  it('answers 409 JOB_TERMINAL once the job has ended', async () => {
    const { user, jobId } = await claimedJob();
    await report(user.token, jobId, { status: 'failed', error: 'x' });
    const response = await report(user.token, jobId, { status: 'running' });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'JOB_TERMINAL', message: 'Job is already in terminal state: failed' });
  });

  it('lets exactly one of two concurrent status calls win', async () => {
    const { user, jobId } = await claimedJob();
    const results = await Promise.all([
      report(user.token, jobId, { status: 'failed', error: 'first' }),
      report(user.token, jobId, { status: 'failed', error: 'second' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.error.code).toBe('JOB_TERMINAL');
  });

  it('validates fields and limits (S9) and a branch that is not the story branch', async () => {
    const { user, jobId } = await claimedJob();
    const cases = [
      [{ status: 'paused' }, 'status'],
      [{ status: 'done', summary: 'x'.repeat(1001) }, 'summary'],
      [{ status: 'failed', error: 'x'.repeat(2001) }, 'error'],
      [{ status: 'failed', model_id: 'm'.repeat(201) }, 'model_id'],
      [{ status: 'failed', input_tokens: -1 }, 'input_tokens'],
      [{ status: 'failed', output_tokens: 1.5 }, 'output_tokens'],
      [{ status: 'done', branch: 'someone-elses-branch' }, 'branch'],
    ] as const;
    for (const [body, field] of cases) {
      const response = await report(user.token, jobId, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details[0].path).toBe(field);
    }
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe('CLAIMED');
  });
});

describe('status done for task jobs: verify gate (S4) and push check (S6)', () => {
  it('refuses done before verify with 422 VERIFY_GATE', async () => {
    const { user, jobId } = await claimedJob();
    const response = await report(user.token, jobId, { status: 'done' });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VERIFY_GATE');
  });

  it('refuses PARTIAL without a drift summary, accepts it with one', async () => {
    const { product, story, user, jobId } = await claimedJob();
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'PARTIAL' } });
    expect((await report(user.token, jobId, { status: 'done', summary: 'short' })).status).toBe(422);
    const scope = mockCompare(product.repo, story.branch, [200, { status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2, commits: [], files: [] }]);
    const response = await report(user.token, jobId, { status: 'done', summary: 'Did the form, skipped the styles on purpose' });
    expect(response.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(response.body).toMatchObject({ status: 'done', branch: story.branch, pushed_at: expect.any(String), keep_branch: true, verify_result: 'partial' });
  });

  it('is done without pushed_at when the branch has nothing ahead of the base', async () => {
    const { product, story, user, jobId } = await claimedJob({ verifyRequired: 'ANY' });
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'ALIGNED' } });
    mockCompare(product.repo, story.branch, [200, { status: 'identical', ahead_by: 0, behind_by: 0, total_commits: 0, commits: [], files: [] }]);
    const response = await report(user.token, jobId, { status: 'done' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'done', pushed_at: null, keep_branch: false });
  });

  it('fails the job with "push failed (…)" only when GitHub says the branch does not exist (compare 404, branch 404, repository there)', async () => {
    const { product, story, user, jobId } = await claimedJob();
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'ALIGNED' } });
    mockCompare(product.repo, story.branch, [404, { message: 'Not Found' }]);
    const branch = github().get(`/repos/${product.repo}/branches/${encodeURIComponent(story.branch)}`).reply(404, { message: 'Branch not found' });
    const repository = github().get(`/repos/${product.repo}`).reply(200, { full_name: product.repo });
    const response = await report(user.token, jobId, { status: 'done' });
    expect(response.status).toBe(200);
    expect(branch.isDone() && repository.isDone()).toBe(true);
    expect(response.body.status).toBe('failed');
    expect(response.body.error).toMatch(/^push failed \(branch-missing\): branch story\/.+ not found/);
    expect(response.body.pushed_at).toBeNull();
  });

  it('allows done for a verify_only task with an empty verify result', async () => {
    const { product, story, user, jobId } = await claimedJob({ verifyOnly: true });
    await app.db.prisma.job.update({ where: { id: jobId }, data: { verify_result: 'EMPTY' } });
    mockCompare(product.repo, story.branch, [200, { status: 'identical', ahead_by: 0, behind_by: 0, total_commits: 0, commits: [], files: [] }]);
    expect((await report(user.token, jobId, { status: 'done' })).body.status).toBe('done');
  });
});

/** Everything a status call could write for the job: its row, its trace, its events, a cascade of its PBI. */
async function writtenState(jobId: string) {
  const job = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const [traces, events, cascades] = await Promise.all([
    app.db.prisma.traceEntry.count({ where: { job_id: jobId } }),
    app.db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM change_events WHERE payload->>'job_id' = ${jobId}`.then((rows) => rows[0]!.n),
    app.db.prisma.cascade.count({ where: { pbi_id: job.pbi_id! } }),
  ]);
  return { job, traces, events, cascades };
}

describe('status done: a push check GitHub cannot answer writes nothing (S6)', () => {
  type Setup = (ctx: { repo: string; branch: string; installation: number }) => void;
  let installations = 5000;
  /**
   * A claimed, verified job whose `done` meets what `setUp` mocks. Its product gets an
   * installation of its own, so no token Probot cached for another test is reused.
   */
  async function doneWithGitHub(setUp: Setup, facts: { suspended?: boolean; deleted?: boolean; repoRemoved?: boolean } = {}) {
    const claimed = await claimedJob();
    const installation = ++installations;
    await app.db.prisma.installation.create({
      data: { id: BigInt(installation), account_login: claimed.product.repo.split('/')[0]!, suspended_at: facts.suspended ? new Date() : null, deleted_at: facts.deleted ? new Date() : null },
    });
    await app.db.prisma.product.update({ where: { id: claimed.product.id }, data: { installation_id: BigInt(installation), repo_removed_at: facts.repoRemoved ? new Date() : null } });
    await app.db.prisma.job.update({ where: { id: claimed.jobId }, data: { verify_result: 'ALIGNED' } });
    setUp({ repo: claimed.product.repo, branch: claimed.story.branch, installation });
    const before = await writtenState(claimed.jobId);
    const response = await report(claimed.user.token, claimed.jobId, { status: 'done', summary: 'All of it, pushed and verified' });
    return { response, before, after: await writtenState(claimed.jobId) };
  }
  const token = (installation: number) =>
    github().post(`/app/installations/${installation}/access_tokens`).reply(201, { token: `ghs_${installation}`, expires_at: '2099-01-01T00:00:00Z' });
  const compare = (repo: string, branch: string) => github().get(`/repos/${repo}/compare/main...${encodeURIComponent(branch)}`).query({ per_page: '1' });
  const compareAnswers = (status: number, body: object, headers: Record<string, string> = {}): Setup => ({ repo, branch, installation }) => {
    token(installation);
    compare(repo, branch).reply(status, body, headers);
  };

  const unavailable: { what: string; setUp: Setup; retryAfter: [number, number] }[] = [
    { what: 'a 502', setUp: compareAnswers(502, { message: 'Bad Gateway' }), retryAfter: [5, 5] },
    { what: 'a 500', setUp: compareAnswers(500, { message: 'Server Error' }), retryAfter: [5, 5] },
    {
      what: 'a 403 secondary rate limit (GitHub asks for 30 s)',
      setUp: compareAnswers(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': '30' }),
      retryAfter: [30, 30],
    },
    {
      what: 'a 403 primary rate limit (reset in 2 minutes)',
      setUp: ({ repo, branch, installation }) =>
        compareAnswers(403, { message: 'API rate limit exceeded for installation.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 120) })({ repo, branch, installation }),
      retryAfter: [100, 121],
    },
    { what: 'a 429 (retry-after 7)', setUp: compareAnswers(429, { message: 'Too many requests' }, { 'retry-after': '7' }), retryAfter: [7, 7] },
    {
      what: 'a base branch GitHub cannot compare with (compare 404, the branch is there)',
      setUp: ({ repo, branch, installation }) => {
        compareAnswers(404, { message: 'Not Found' })({ repo, branch, installation });
        github().get(`/repos/${repo}/branches/${encodeURIComponent(branch)}`).reply(200, { name: branch, commit: { sha: 'a'.repeat(40) } });
      },
      retryAfter: [60, 60],
    },
    {
      what: "a suspended installation's token refused (403)",
      setUp: ({ installation }) => void github().post(`/app/installations/${installation}/access_tokens`).reply(403, { message: 'This installation has been suspended' }),
      retryAfter: [60, 60],
    },
  ];
  for (const { what, setUp, retryAfter } of unavailable) {
    it(`answers 503 GITHUB_UNAVAILABLE with Retry-After for ${what}, after one attempt, and writes nothing`, async () => {
      const { response, before, after } = await doneWithGitHub(setUp);
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('GITHUB_UNAVAILABLE');
      const seconds = Number(response.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(retryAfter[0]);
      expect(seconds).toBeLessThanOrEqual(retryAfter[1]);
      // one attempt of each call: every mock used once, none asked for twice (nock would have failed that one)
      expect(nock.pendingMocks()).toEqual([]);
      expect(after).toEqual(before);
      expect(after.job.status).toBe('CLAIMED');
    });
  }

  it("answers 503 after one attempt when GitHub fails to make the installation's token (502), and writes nothing", async () => {
    let attempts = 0;
    const { response, before, after } = await doneWithGitHub(({ installation }) => {
      github()
        .post(`/app/installations/${installation}/access_tokens`)
        .times(4)
        .reply(() => {
          attempts += 1;
          return [502, { message: 'Bad Gateway' }];
        });
    });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('GITHUB_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('5');
    // plugin-retry used to retry it three times (1 + 4 + 9 s) inside the status call
    expect(attempts).toBe(1);
    expect(after).toEqual(before);
  });

  it('answers 503 for a suspended installation (known from its webhook) without asking GitHub, and writes nothing', async () => {
    const { response, before, after } = await doneWithGitHub(() => {}, { suspended: true });
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'GITHUB_UNAVAILABLE', message: expect.stringContaining('suspended') });
    expect(response.headers.get('retry-after')).toBe('60');
    expect(after).toEqual(before);
  });

  const notInstalled: { what: string; setUp: Setup; facts?: { deleted?: boolean; repoRemoved?: boolean } }[] = [
    { what: 'the repository was removed from the installation (known from its webhook)', setUp: () => {}, facts: { repoRemoved: true } },
    { what: 'the app was uninstalled (known from its webhook)', setUp: () => {}, facts: { deleted: true } },
    {
      what: 'GitHub answers 404 for the repository itself (compare 404, branch 404, repository 404)',
      setUp: ({ repo, branch, installation }) => {
        compareAnswers(404, { message: 'Not Found' })({ repo, branch, installation });
        github().get(`/repos/${repo}/branches/${encodeURIComponent(branch)}`).reply(404, { message: 'Not Found' });
        github().get(`/repos/${repo}`).reply(404, { message: 'Not Found' });
      },
    },
    { what: 'GitHub no longer knows the installation (its token: 404)', setUp: ({ installation }) => void github().post(`/app/installations/${installation}/access_tokens`).reply(404, { message: 'Not Found' }) },
  ];
  for (const { what, setUp, facts } of notInstalled) {
    it(`answers 422 APP_NOT_INSTALLED when ${what}, and writes nothing (no cascade)`, async () => {
      const { response, before, after } = await doneWithGitHub(setUp, facts);
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('APP_NOT_INSTALLED');
      expect(response.headers.get('retry-after')).toBeNull();
      expect(nock.pendingMocks()).toEqual([]);
      expect(after).toEqual(before);
      expect(after.cascades).toBe(0);
    });
  }
});

describe('idea jobs (S5)', () => {
  async function claimedIdeaJob(kind: 'IDEA_GRILL' | 'IDEA_MAKE_PLAN') {
    const product = await seedProduct(app.db.prisma);
    const user = await seedUser(app.db.prisma);
    const idea = await createIdea(app.db.prisma, { product_id: product.id, title: 'Idea' });
    await enqueueJobs(app.db.prisma, { user: user.name, idea_id: idea.id, kind });
    const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
    return { user, idea, jobId: claimed.body.job.id as string };
  }

  it('skips the gate and GitHub on done', async () => {
    const { user, jobId } = await claimedIdeaJob('IDEA_GRILL');
    const response = await report(user.token, jobId, { status: 'done' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'done', branch: null, pushed_at: null });
  });

  it.each([
    ['IDEA_GRILL', 'GRILL_FAILED'],
    ['IDEA_MAKE_PLAN', 'PLAN_FAILED'],
  ] as const)('a failed %s moves the idea to %s with a JOB_EVENT log', async (kind, ideaStatus) => {
    const { user, idea, jobId } = await claimedIdeaJob(kind);
    await report(user.token, jobId, { status: 'failed', error: 'model gave up' });
    expect((await app.db.prisma.idea.findUniqueOrThrow({ where: { id: idea.id } })).status).toBe(ideaStatus);
    const logs = await app.db.prisma.ideaLog.findMany({ where: { idea_id: idea.id } });
    expect(logs).toEqual([expect.objectContaining({ type: 'JOB_EVENT', content: `${kind} failed`, metadata: { job_id: jobId, error: 'model gave up' } })]);
  });
});

describe('GET /api/v1/jobs/{id}', () => {
  it('shows the job with its status fields and trace to its own user only', async () => {
    const { user, jobId } = await claimedJob();
    const response = await app.call('GET', `/api/v1/jobs/${jobId}`, { token: user.otherToken });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: jobId, status: 'claimed', pr_url: null, verify_result: null, trace: [], cascade_id: null });
    const stranger = await seedUser(app.db.prisma);
    expect((await app.call('GET', `/api/v1/jobs/${jobId}`, { token: stranger.token })).status).toBe(404);
  });
});
