import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { github, tokenMock } from '../support/github-nock.ts';
import { installationId, oneStoryBacklog, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../support/seed.ts';
import { enqueueJobs } from '../../src/services/jobs/enqueue.ts';
import { createIdea } from '../../src/services/ideas/ideas.ts';

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


async function claimedTaskJob(planPaths: string[] = ['src/login/**', 'README.md']) {
  const product = await seedProduct(app.db.prisma);
  const backlog = await seedBacklog(app.db.prisma, product.id, oneStoryBacklog([{ title: 'Login', plan_paths: planPaths }]));
  const user = await seedUser(app.db.prisma);
  const story = backlog.pbis[0]!.stories[0]!;
  await seedTaskJobs(app.db.prisma, user.name, [story.tasks[0]!.id]);
  const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
  return { product, story, user, jobId: claimed.body.job.id as string };
}

async function claimedIdeaJob(kind: 'IDEA_GRILL' | 'IDEA_MAKE_PLAN') {
  const product = await seedProduct(app.db.prisma);
  const user = await seedUser(app.db.prisma);
  const idea = await createIdea(app.db.prisma, { product_id: product.id, title: 'Idea' });
  await enqueueJobs(app.db.prisma, { user: user.name, idea_id: idea.id, kind });
  const claimed = await app.call('POST', '/api/v1/jobs/claim', { token: user.token, body: { wait_seconds: 0 } });
  return { user, idea, jobId: claimed.body.job.id as string };
}

const compareUrl = (repo: string, branch: string) => `/repos/${repo}/compare/main...${encodeURIComponent(branch)}`;

describe('POST /api/v1/jobs/{id}/verify', () => {
  it('compares the changed files with the plan in one call (GitHub lists them all under 300) and stores the result for the gate', async () => {
    const { product, story, user, jobId } = await claimedTaskJob();
    tokenMock();
    // GitHub sends a comparison's files (up to 300) on its first page only; the other pages page the commits
    const pages = github()
      .get(compareUrl(product.repo, story.branch))
      .query({ per_page: '100', page: '1' })
      .reply(200, { ahead_by: 101, files: [{ filename: 'src/login/form.ts', status: 'added' }, { filename: 'package.json', status: 'modified' }] });
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/verify`, { token: user.token, body: {} });
    expect(response.status).toBe(200);
    expect(pages.isDone()).toBe(true);
    expect(response.body).toEqual({
      job_id: jobId,
      verify_result: 'partial',
      plan_paths: ['src/login/**', 'README.md'],
      changed_paths: ['package.json', 'src/login/form.ts'],
      missing_paths: ['README.md'],
      unexpected_paths: ['package.json'],
    });
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).verify_result).toBe('PARTIAL');
  });

  it('answers empty when the branch does not exist', async () => {
    const { product, story, user, jobId } = await claimedTaskJob();
    tokenMock();
    github().get(compareUrl(product.repo, story.branch)).query(true).reply(404, { message: 'Not Found' });
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/verify`, { token: user.token, body: { branch: story.branch } });
    expect(response.body).toMatchObject({ verify_result: 'empty', changed_paths: [] });
  });

  it('writes nothing to a job cancelled while GitHub was being asked, and answers 409 JOB_CANCELLED', async () => {
    const { product, story, user, jobId } = await claimedTaskJob();
    tokenMock();
    github()
      .get(compareUrl(product.repo, story.branch))
      .query(true)
      .reply((_uri, _body, callback) => {
        // the cascade cancels the job while the compare is on its way back
        void app.db.prisma.job
          .update({ where: { id: jobId }, data: { status: 'CANCELLED' } })
          .then(() => callback(null, [200, { ahead_by: 1, total_commits: 1, commits: [], files: [{ filename: 'README.md', status: 'modified' }] }]));
      });
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/verify`, { token: user.token, body: { branch: story.branch } });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('JOB_CANCELLED');
    const job = await app.db.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { trace: true } });
    expect(job.verify_result).toBeNull();
    expect(job.trace.filter((t) => t.message.startsWith('verify:'))).toEqual([]);
  });

  it('answers 503 GITHUB_UNAVAILABLE when GitHub fails, and 409 WRONG_JOB_KIND for idea jobs', async () => {
    const { product, story, user, jobId } = await claimedTaskJob();
    tokenMock();
    github().get(compareUrl(product.repo, story.branch)).query(true).reply(500, { message: 'boom' });
    const failed = await app.call('POST', `/api/v1/jobs/${jobId}/verify`, { token: user.token, body: {} });
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('GITHUB_UNAVAILABLE');
    expect(failed.headers.get('retry-after')).toBe('5');
    const idea = await claimedIdeaJob('IDEA_GRILL');
    const wrong = await app.call('POST', `/api/v1/jobs/${idea.jobId}/verify`, { token: idea.user.token, body: {} });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('WRONG_JOB_KIND');
  });
});

describe('POST /api/v1/jobs/{id}/git-token', () => {
  it('returns a token scoped to the product repository with contents:write only', async () => {
    const { product, user, jobId } = await claimedTaskJob();
    let requested: unknown;
    const scope = github()
      .post(`/app/installations/${installationId}/access_tokens`, (body) => {
        requested = body;
        return true;
      })
      .reply(201, { token: 'ghs_scoped_push_token', expires_at: '2099-01-01T00:00:00Z', permissions: { contents: 'write' }, repository_selection: 'selected' });
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/git-token`, { token: user.token });
    expect(response.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    expect(requested).toEqual({ repositories: [product.repo.split('/')[1]], permissions: { contents: 'write' } });
    expect(response.body).toEqual({ token: 'ghs_scoped_push_token', expires_at: '2099-01-01T00:00:00Z', repository: product.repo, permissions: { contents: 'write' } });
    expect(app.logs.join('')).not.toContain('ghs_scoped_push_token');
  });

  it('is only for the claiming token while the job is claimed or running', async () => {
    const { user, jobId } = await claimedTaskJob();
    const other = await app.call('POST', `/api/v1/jobs/${jobId}/git-token`, { token: user.otherToken });
    expect(other.status).toBe(403);
    await app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: user.token, body: { status: 'failed', error: 'x' } });
    const ended = await app.call('POST', `/api/v1/jobs/${jobId}/git-token`, { token: user.token });
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('JOB_TERMINAL');
  });
});

describe('POST /api/v1/jobs/{id}/idea', () => {
  it('stores the grill markdown and moves the idea to grilled', async () => {
    const { user, idea, jobId } = await claimedIdeaJob('IDEA_GRILL');
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/idea`, { token: user.token, body: { grill_md: '# Questions\n- why?' } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ job_id: jobId, idea_id: idea.id, status: 'grilled' });
    expect(await app.db.prisma.idea.findUniqueOrThrow({ where: { id: idea.id } })).toMatchObject({ grill_md: '# Questions\n- why?', status: 'GRILLED' });
  });

  it('stores the plan markdown and moves the idea to plan_ready', async () => {
    const { user, idea, jobId } = await claimedIdeaJob('IDEA_MAKE_PLAN');
    const response = await app.call('POST', `/api/v1/jobs/${jobId}/idea`, { token: user.token, body: { plan_md: '# Plan' } });
    expect(response.body).toEqual({ job_id: jobId, idea_id: idea.id, status: 'plan_ready' });
  });

  it('refuses the wrong markdown for the kind, task jobs, and bodies with both or neither', async () => {
    const { user, jobId } = await claimedIdeaJob('IDEA_GRILL');
    const wrong = await app.call('POST', `/api/v1/jobs/${jobId}/idea`, { token: user.token, body: { plan_md: '# Plan' } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('WRONG_JOB_KIND');
    const task = await claimedTaskJob();
    expect((await app.call('POST', `/api/v1/jobs/${task.jobId}/idea`, { token: task.user.token, body: { grill_md: 'x' } })).body.error.code).toBe('WRONG_JOB_KIND');
    expect((await app.call('POST', `/api/v1/jobs/${jobId}/idea`, { token: user.token, body: { grill_md: 'x', plan_md: 'y' } })).status).toBe(400);
    expect((await app.call('POST', `/api/v1/jobs/${jobId}/idea`, { token: user.token, body: {} })).status).toBe(400);
  });
});
