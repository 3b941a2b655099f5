// The document's answers against a running app: every documented success
// answer is produced for real and must match its schema field for field
// (a field the app sends but the document lacks fails too), and every error
// the calls provoke must be documented for its route and status.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMeanings, operations } from '../../src/openapi/operations.ts';
import { errorBody } from '../../src/openapi/responses.ts';
import type { ErrorCode } from '../../src/services/errors.ts';
import { projectRoot, startTestApp, type TestApp } from '../support/app.ts';
import { installationId } from '../support/seed.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'github', `${name}.json`), 'utf8'));
const documentFile = JSON.parse(readFileSync(path.join(projectRoot, 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
};
const anyError = errorBody(Object.keys(errorMeanings) as ErrorCode[]);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  nock.cleanAll();
  await app?.close();
});

const seen = new Set<string>();
type Answer = Awaited<ReturnType<TestApp['call']>>;

/** Calls the app and checks the answer against the document of `METHOD /route/:template`. */
async function documented(key: string, url: string, options: Parameters<TestApp['call']>[2] = {}): Promise<Answer> {
  const [method, template] = key.split(' ') as [string, string];
  const response = await app.call(method, url, options);
  const operation = operations[key];
  expect(operation, `${key} is not in src/openapi/operations.ts`).toBeDefined();
  const success = operation!.responses[response.status as 200];
  if (success) {
    if (success.schema) {
      // zod drops fields it does not know: what is left must be the whole answer
      expect(success.schema.parse(response.body), `${key} ${response.status}`).toEqual(response.body);
    }
  } else {
    const item = documentFile.paths[template.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]![method.toLowerCase()]!;
    const documentedError = item.responses[String(response.status)];
    expect(documentedError, `${key} answered ${response.status}, which the document does not list`).toBeDefined();
    const body = anyError.parse(response.body);
    expect(documentedError!.description, `${key} ${response.status}`).toContain(`${body.error.code}:`);
  }
  seen.add(`${key} ${response.status}`);
  return response;
}

const github = () => nock('https://api.github.com');

describe('the documented answers are the answers', () => {
  it('holds for every route, success and failure', async () => {
    await documented('GET /healthz', '/healthz');
    await documented('GET /readyz', '/readyz');

    // operator API
    const minted = await documented('POST /api/v1/admin/tokens', '/api/v1/admin/tokens', { body: { user: 'alice', name: 'laptop' } });
    const token = minted.body.token as string;
    const spare = await documented('POST /api/v1/admin/tokens', '/api/v1/admin/tokens', { body: { user: 'alice' } });
    await documented('DELETE /api/v1/admin/tokens/:token_id', `/api/v1/admin/tokens/${spare.body.token_id}`);
    await documented('DELETE /api/v1/admin/tokens/:token_id', '/api/v1/admin/tokens/nope');
    await documented('GET /api/v1/admin/products', '/api/v1/admin/products', { token });

    github()
      .get('/repos/octocat/Hello-World/installation')
      .reply(200, fixture('apps.get-repo-installation'))
      .post(`/app/installations/${installationId}/access_tokens`)
      .optionally()
      .times(10)
      .reply(201, fixture('apps.create-installation-access-token'))
      .get('/repos/octocat/Hello-World')
      .reply(200, { ...fixture('repos.get'), full_name: 'octocat/Hello-World' });
    const product = (await documented('POST /api/v1/admin/products', '/api/v1/admin/products', { body: { name: 'Hello', repo: 'octocat/Hello-World', auto_pr: false } })).body;
    expect(product.id).toBeTruthy();
    await documented('POST /api/v1/admin/products', '/api/v1/admin/products', { body: { name: 'Hello', repo: 'octocat/Hello-World' } });
    await documented('GET /api/v1/admin/products', '/api/v1/admin/products');
    await documented('GET /api/v1/admin/products/:id', `/api/v1/admin/products/${product.id}`);
    await documented('GET /api/v1/admin/products/:id', '/api/v1/admin/products/nope');

    const backlog = (
      await documented('POST /api/v1/admin/products/:id/backlog', `/api/v1/admin/products/${product.id}/backlog`, {
        body: { pbis: [{ code: 'PBI-1', title: 'Sign-in', stories: [{ code: 'ST-1', title: 'Login', tasks: [{ title: 'Form', plan_paths: ['src/**'], verify_required: 'ANY' }] }] }] },
      })
    ).body;
    await documented('POST /api/v1/admin/products/:id/backlog', `/api/v1/admin/products/${product.id}/backlog`, { body: { pbis: [{ title: '' }] } });
    const pbi = backlog.pbis[0];
    const story = pbi.stories[0];
    const idea = (await documented('POST /api/v1/admin/ideas', '/api/v1/admin/ideas', { body: { product_id: product.id, title: 'Dark mode', body: 'why not' } })).body;
    await documented('POST /api/v1/admin/jobs', '/api/v1/admin/jobs', { body: { user: 'alice', task_ids: [story.tasks[0].id], priority: 5 } });
    await documented('POST /api/v1/admin/jobs', '/api/v1/admin/jobs', { body: { user: 'alice', idea_id: idea.id, kind: 'idea_grill' } });
    await documented('POST /api/v1/admin/jobs', '/api/v1/admin/jobs', { token, body: { user: 'alice', idea_id: idea.id } });

    // agent API: a task job from claim to done
    await documented('POST /api/v1/jobs/claim', '/api/v1/jobs/claim', { token: null, body: {} });
    const taskJob = (await documented('POST /api/v1/jobs/claim', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0 } })).body.job;
    expect(taskJob.kind).toBe('task_implementation');
    await documented('POST /api/v1/jobs/:id/status', `/api/v1/jobs/${taskJob.id}/status`, { token, body: { status: 'running', model_id: 'claude-sonnet-4', input_tokens: 1200 } });
    await documented('POST /api/v1/jobs/:id/status', `/api/v1/jobs/${taskJob.id}/status`, { token, body: { status: 'done' } });
    await documented('POST /api/v1/jobs/:id/status', `/api/v1/jobs/${taskJob.id}/status`, { token, body: { status: 'paused' } });
    await documented('POST /api/v1/jobs/:id/idea', `/api/v1/jobs/${taskJob.id}/idea`, { token, body: { grill_md: '# no' } });
    github().post(`/app/installations/${installationId}/access_tokens`, (b: { repositories?: string[] }) => Array.isArray(b.repositories)).reply(201, {
      token: 'ghs_push',
      expires_at: '2099-01-01T00:00:00Z',
      permissions: { contents: 'write' },
    });
    await documented('POST /api/v1/jobs/:id/git-token', `/api/v1/jobs/${taskJob.id}/git-token`, { token });
    const compare = `/repos/octocat/Hello-World/compare/main...${encodeURIComponent(story.branch)}`;
    github().get(compare).query({ per_page: '100', page: '1' }).reply(200, { ahead_by: 1, files: [{ filename: 'src/login.ts', status: 'added' }] });
    await documented('POST /api/v1/jobs/:id/verify', `/api/v1/jobs/${taskJob.id}/verify`, { token, body: {} });
    github().get(compare).query({ per_page: '1' }).reply(200, { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: [] });
    const done = await documented('POST /api/v1/jobs/:id/status', `/api/v1/jobs/${taskJob.id}/status`, { token, body: { status: 'done', summary: 'Form built' } });
    expect(done.body).toMatchObject({ status: 'done', pushed_at: expect.any(String), next_action: 'wait_for_job_again' });
    await documented('POST /api/v1/jobs/:id/status', `/api/v1/jobs/${taskJob.id}/status`, { token, body: { status: 'failed' } });
    await documented('GET /api/v1/jobs/:id', `/api/v1/jobs/${taskJob.id}`, { token });
    await documented('GET /api/v1/jobs/:id', '/api/v1/jobs/nope', { token });

    // an idea job
    const ideaJob = (await documented('POST /api/v1/jobs/claim', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0, kinds: ['idea_grill'] } })).body.job;
    expect(ideaJob.idea).toMatchObject({ id: idea.id });
    await documented('GET /api/v1/jobs/:id', `/api/v1/jobs/${ideaJob.id}`, { token });
    await documented('POST /api/v1/jobs/:id/idea', `/api/v1/jobs/${ideaJob.id}/idea`, { token, body: { grill_md: '# Questions' } });
    await documented('POST /api/v1/jobs/claim', '/api/v1/jobs/claim', { token, body: { wait_seconds: 0 } });

    // the PBI with a PR and a finished cascade, then reopened
    await app.db.prisma.pullRequest.create({
      data: {
        product_id: product.id,
        story_id: story.id,
        repo: 'octocat/Hello-World',
        number: 5,
        title: 'ST-1: Login',
        html_url: 'https://github.com/octocat/Hello-World/pull/5',
        head_ref: story.branch,
        head_sha: 'a'.repeat(40),
        base_ref: 'main',
        state: 'MERGED',
        merge_method: 'SQUASH',
        merge_commit_sha: 'b'.repeat(40),
      },
    });
    await app.db.prisma.cascade.create({
      data: {
        pbi_id: pbi.id,
        open_pbi_id: pbi.id,
        failed_job_id: taskJob.id,
        status: 'DONE',
        finished_at: new Date(),
        cancelled_job_ids: [],
        steps: { create: [{ position: 0, branch: story.branch, action: 'REVERT_PR', state: 'DONE', pull_number: 5, revert_pull_number: 6, revert_pr_url: 'https://github.com/octocat/Hello-World/pull/6' }] },
      },
    });
    const view = await documented('GET /api/v1/admin/pbis/:id', `/api/v1/admin/pbis/${pbi.id}`);
    expect(view.body.stories[0].pull_request).toMatchObject({ number: 5, state: 'merged', merge_method: 'squash' });
    expect(view.body.cascades[0].steps[0]).toMatchObject({ action: 'revert_pr', revert_pull_number: 6 });
    await documented('GET /api/v1/admin/pbis/:id', '/api/v1/admin/pbis/nope');
    const reopened = await documented('POST /api/v1/admin/pbis/:id/reopen', `/api/v1/admin/pbis/${pbi.id}/reopen`);
    expect(reopened.body.reopened_cascade_id).toBeTruthy();
    await documented('POST /api/v1/admin/pbis/:id/reopen', `/api/v1/admin/pbis/${pbi.id}/reopen`, { raw: '{"x":' });

    github().get('/repos/octocat/Hello-World/pulls').query(true).reply(200, []);
    github().get('/repos/octocat/Hello-World/pulls/5').optionally().reply(404, { message: 'Not Found' });
    await documented('POST /api/v1/admin/products/:id/reconcile', `/api/v1/admin/products/${product.id}/reconcile`);
    await documented('POST /api/v1/admin/products/:id/reconcile', '/api/v1/admin/products/nope/reconcile');

    // the operator lists (the console's and the CLI's)
    await documented('GET /api/v1/admin/products/:id/pbis', `/api/v1/admin/products/${product.id}/pbis`);
    await documented('GET /api/v1/admin/products/:id/pbis', '/api/v1/admin/products/nope/pbis');
    await documented('GET /api/v1/admin/jobs', '/api/v1/admin/jobs?limit=1');
    await documented('GET /api/v1/admin/jobs', '/api/v1/admin/jobs?status=paused');
    await documented('GET /api/v1/admin/jobs/:id', `/api/v1/admin/jobs/${taskJob.id}`);
    await documented('GET /api/v1/admin/jobs/:id', '/api/v1/admin/jobs/nope');
    await documented('GET /api/v1/admin/tokens', '/api/v1/admin/tokens');

    // usage, cost and budgets
    await documented('GET /api/v1/admin/prices', '/api/v1/admin/prices');
    await documented('PUT /api/v1/admin/prices', '/api/v1/admin/prices', { body: { prices: [{ model: 'claude-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }] } });
    await documented('PUT /api/v1/admin/prices', '/api/v1/admin/prices', { body: { prices: [{ model: 'claude-*', input: -3 }] } });
    await documented('GET /api/v1/admin/prices', '/api/v1/admin/prices');
    await documented('GET /api/v1/admin/usage', '/api/v1/admin/usage?group_by=story');
    await documented('GET /api/v1/admin/usage', '/api/v1/admin/usage?group_by=week');
    await documented('PATCH /api/v1/admin/products/:id', `/api/v1/admin/products/${product.id}`, { body: { budget_usd: 5, max_active_jobs: 2 } });
    await documented('PATCH /api/v1/admin/products/:id', '/api/v1/admin/products/nope', { body: { budget_usd: 5 } });
    await documented('PATCH /api/v1/admin/products/:id', `/api/v1/admin/products/${product.id}`, { body: {} });
    await documented('PATCH /api/v1/admin/pbis/:id', `/api/v1/admin/pbis/${pbi.id}`, { body: { budget_usd: 1 } });
    await documented('PATCH /api/v1/admin/pbis/:id', '/api/v1/admin/pbis/nope', { body: { budget_usd: 1 } });

    // every documented JSON answer was seen; the rest cannot be provoked from here
    const notProvoked = new Set(['GET /readyz 503']);
    const expected = Object.entries(operations).flatMap(([key, op]) =>
      Object.entries(op.responses)
        .filter(([, success]) => success.schema && !success.contentType)
        .map(([status]) => `${key} ${status}`),
    );
    expect(expected.filter((answer) => !seen.has(answer) && !notProvoked.has(answer))).toEqual([]);
    // 204 has no body but is an answer agents must handle
    expect(seen.has('POST /api/v1/jobs/claim 204')).toBe(true);
  });

  it('serves the event stream and metrics with the documented content types', async () => {
    const metrics = await app.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const minted = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'bob' } });
    const abort = new AbortController();
    const events = await fetch(`${app.url}/api/v1/events`, { headers: { authorization: `Bearer ${minted.body.token}` }, signal: abort.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    abort.abort();
  });
});
