import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/github/${name}.json`, import.meta.url), 'utf8'));

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

/** A stable fake repository id per name (a repository has at most one product, by id). */
const repoIdOf = (repo: string) => [...repo.toLowerCase()].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) % 1_000_000_007, 7);

function mockRepoInstalled(repo = 'octocat/Hello-World', answer: { id?: number; full_name?: string; updated_at?: string } = {}) {
  return nock('https://api.github.com')
    .get(`/repos/${repo}/installation`)
    .reply(200, fixture('apps.get-repo-installation'))
    // Probot caches installation tokens: only the first test fetches one
    .post('/app/installations/4242/access_tokens')
    .optionally()
    .reply(201, fixture('apps.create-installation-access-token'))
    .get(`/repos/${repo}`)
    .reply(200, { ...fixture('repos.get'), full_name: repo, id: repoIdOf(repo), ...answer });
}

async function addProduct(repo = 'octocat/Hello-World') {
  const scope = mockRepoInstalled(repo);
  const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Hello', repo } });
  expect(response.status).toBe(201);
  expect(scope.isDone()).toBe(true);
  return response.body as { id: string };
}

const backlog = {
  pbis: [
    {
      code: 'PBI-1',
      title: 'Sign-in',
      stories: [
        {
          code: 'ST-1',
          title: 'Login form',
          tasks: [
            { title: 'Form component', plan: 'Build it', plan_paths: ['src/login/**'], verify_required: 'aligned' },
            { title: 'Validation', verify_only: true },
          ],
        },
        { title: 'Logout button', tasks: [{ title: 'Button' }] },
      ],
    },
  ],
};

describe('auth', () => {
  it('refuses requests without a token with 401 UNAUTHENTICATED', async () => {
    const response = await app.call('POST', '/api/v1/admin/tokens', { token: null, body: { user: 'alice' } });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
  });

  it('refuses an unknown token and a malformed header', async () => {
    expect((await app.call('GET', '/api/v1/admin/products', { token: 's4m_nope' })).status).toBe(401);
    const malformed = await app.call('GET', '/api/v1/admin/products', { token: null, headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
  });

  it('refuses agent tokens on operator routes with 403 PERMISSION_DENIED', async () => {
    const minted = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent-bob' } });
    const response = await app.call('GET', '/api/v1/admin/products', { token: minted.body.token });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('PERMISSION_DENIED');
  });
});

describe('tokens', () => {
  it('mints a token shown once and stores only its hash', async () => {
    const response = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'carol', name: 'laptop' } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ token: expect.stringMatching(/^s4m_/), token_id: expect.any(String), user: 'carol' });
    const row = await app.db.prisma.apiToken.findUniqueOrThrow({ where: { id: response.body.token_id } });
    expect(row.token_hash).not.toContain(response.body.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(response.body.token.startsWith(row.prefix)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(response.body.token);
  });

  it('revokes a token so it no longer authenticates', async () => {
    const minted = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'dave', admin: true } });
    expect((await app.call('GET', '/api/v1/admin/products', { token: minted.body.token })).status).toBe(200);
    const revoked = await app.call('DELETE', `/api/v1/admin/tokens/${minted.body.token_id}`);
    expect(revoked.status).toBe(200);
    expect((await app.call('GET', '/api/v1/admin/products', { token: minted.body.token })).status).toBe(401);
  });

  it('answers 404 NOT_FOUND for revoking an unknown token', async () => {
    const response = await app.call('DELETE', '/api/v1/admin/tokens/nope');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('validates the body with 400 VALIDATION_FAILED naming the field', async () => {
    const response = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'has space', admin: 'yes' } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['admin', 'user']);
  });

  it('answers bad JSON with 400 and an over-large body with 413 before parsing', async () => {
    const bad = await app.call('POST', '/api/v1/admin/tokens', { raw: '{"user":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const huge = await app.call('POST', '/api/v1/admin/tokens', { raw: JSON.stringify({ user: 'x', name: 'y'.repeat(1024 * 1024 + 10) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('products', () => {
  it('binds a repository to the installation that reaches it', async () => {
    const scope = mockRepoInstalled('octocat/Spoon-Knife');
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Spoon', repo: 'octocat/Spoon-Knife' } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'Spoon',
      repo: 'octocat/Spoon-Knife',
      base_branch: 'main',
      auto_pr: true,
      installation_id: '4242',
      max_active_jobs: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: '0.000000000', unpriced_jobs: 0 },
      budget: null,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('keeps the repository id and the time GitHub last updated the repository (how fresh its name is)', async () => {
    mockRepoInstalled('octocat/Kept', { updated_at: '2024-05-06T07:08:09Z' });
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Kept', repo: 'octocat/Kept' } });
    expect(response.status).toBe(201);
    expect(await app.db.prisma.product.findUniqueOrThrow({ where: { id: response.body.id } })).toMatchObject({
      repo: 'octocat/Kept',
      github_repo_id: BigInt(repoIdOf('octocat/Kept')),
      repo_updated_at: new Date('2024-05-06T07:08:09Z'),
    });
  });

  it('answers 409 CONFLICT for a repository whose product knows it by an old name, and that product learns the new name', async () => {
    const id = repoIdOf('octocat/Was-Here');
    mockRepoInstalled('octocat/Was-Here', { updated_at: '2024-05-06T07:00:00Z' });
    const first = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Was', repo: 'octocat/Was-Here' } });
    expect(first.status).toBe(201);
    // renamed on GitHub (the webhook missed); the operator adds it by its new name
    mockRepoInstalled('octocat/Now-There', { id, full_name: 'octocat/Now-There', updated_at: '2024-05-06T08:00:00Z' });
    const again = await app.call('POST', '/api/v1/admin/products', { body: { name: 'Now', repo: 'octocat/Now-There' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', message: `repository octocat/Now-There already has a product (${first.body.id})` });
    expect(await app.db.prisma.product.count({ where: { github_repo_id: BigInt(id) } })).toBe(1);
    expect((await app.call('GET', `/api/v1/admin/products/${first.body.id}`)).body.repo).toBe('octocat/Now-There');
  });

  it('answers 409 CONFLICT for a repository that already has a product (case-insensitive)', async () => {
    await addProduct('octocat/Dup');
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'again', repo: 'OctoCat/dup' } });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CONFLICT');
  });

  it('answers 422 APP_NOT_INSTALLED when no installation reaches the repository', async () => {
    const scope = nock('https://api.github.com').get('/repos/octocat/private/installation').reply(404, { message: 'Not Found' });
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'x', repo: 'octocat/private' } });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('APP_NOT_INSTALLED');
    expect(scope.isDone()).toBe(true);
  });

  it('answers 503 GITHUB_UNAVAILABLE when GitHub fails', async () => {
    nock('https://api.github.com').get('/repos/octocat/down/installation').reply(502, 'bad gateway');
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'x', repo: 'octocat/down' } });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('GITHUB_UNAVAILABLE');
  });

  it('rejects a malformed repository name', async () => {
    const response = await app.call('POST', '/api/v1/admin/products', { body: { name: 'x', repo: 'not a repo' } });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('repo');
  });
});

describe('backlog import', () => {
  let productId: string;
  beforeEach(async () => {
    productId ??= (await addProduct('octocat/Backlog')).id;
  });

  it('creates PBIs, stories with unique branches and tasks in input order', async () => {
    const response = await app.call('POST', `/api/v1/admin/products/${productId}/backlog`, { body: backlog });
    expect(response.status).toBe(201);
    const [pbi] = response.body.pbis;
    expect(pbi).toMatchObject({ code: 'PBI-1', title: 'Sign-in' });
    expect(pbi.stories.map((s: { title: string }) => s.title)).toEqual(['Login form', 'Logout button']);
    expect(pbi.stories[0].branch).toBe('story/st-1-login-form');
    expect(pbi.stories[1].branch).toMatch(/^story\/[a-z0-9]+-logout-button$/);
    expect(pbi.stories[0].tasks.map((t: { title: string }) => t.title)).toEqual(['Form component', 'Validation']);
    const task = await app.db.prisma.task.findUniqueOrThrow({ where: { id: pbi.stories[0].tasks[0].id } });
    expect(task).toMatchObject({ plan_paths: ['src/login/**'], verify_required: 'ALIGNED', verify_only: false });

    // importing the same backlog again keeps branch names unique
    const again = await app.call('POST', `/api/v1/admin/products/${productId}/backlog`, { body: backlog });
    expect(again.body.pbis[0].stories[0].branch).toBe('story/st-1-login-form-2');
  });

  it('is atomic: a bad field deep inside creates nothing and is named', async () => {
    const before = await app.db.prisma.pbi.count();
    const bad = structuredClone(backlog);
    (bad.pbis[0]!.stories[1]!.tasks[0] as Record<string, unknown>).verify_required = 'sometimes';
    const response = await app.call('POST', `/api/v1/admin/products/${productId}/backlog`, { body: bad });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('pbis.0.stories.1.tasks.0.verify_required');
    expect(await app.db.prisma.pbi.count()).toBe(before);
  });

  it('answers 404 for an unknown product', async () => {
    const response = await app.call('POST', '/api/v1/admin/products/nope/backlog', { body: backlog });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});

describe('ideas, jobs and the PBI view', () => {
  it('queues task jobs for a user and shows them on the PBI', async () => {
    const product = await addProduct('octocat/Jobs');
    await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'erin' } });
    const imported = await app.call('POST', `/api/v1/admin/products/${product.id}/backlog`, { body: backlog });
    const story = imported.body.pbis[0].stories[0];
    const taskIds = story.tasks.map((t: { id: string }) => t.id);
    const response = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'erin', task_ids: taskIds, priority: 5 } });
    expect(response.status).toBe(201);
    expect(response.body.jobs).toEqual(
      taskIds.map((taskId: string) => ({ id: expect.any(String), kind: 'task_implementation', status: 'queued', priority: 5, task_id: taskId, idea_id: null })),
    );

    const view = await app.call('GET', `/api/v1/admin/pbis/${imported.body.pbis[0].id}`);
    expect(view.status).toBe(200);
    expect(view.body.stories[0]).toMatchObject({ branch: story.branch, pull_request: null });
    expect(view.body.stories[0].tasks[0].jobs[0]).toMatchObject({ status: 'queued', user: 'erin', verify_result: null });
    expect(view.body.cascades).toEqual([]);
  });

  it('queues idea jobs with the idea kinds and refuses mixing tasks and ideas', async () => {
    const product = await addProduct('octocat/Ideas');
    await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'frank' } });
    const idea = await app.call('POST', '/api/v1/admin/ideas', { body: { product_id: product.id, title: 'Dark mode' } });
    expect(idea.status).toBe(201);
    expect(idea.body).toMatchObject({ title: 'Dark mode', body: null, status: 'draft' });
    const queued = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'frank', idea_id: idea.body.id, kind: 'IDEA_MAKE_PLAN' } });
    expect(queued.status).toBe(201);
    expect(queued.body.jobs[0]).toMatchObject({ kind: 'idea_make_plan', idea_id: idea.body.id, task_id: null });
    const both = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'frank', idea_id: idea.body.id, task_ids: ['x'] } });
    expect(both.status).toBe(400);
  });

  it('answers 404 for an unknown user, task or PBI', async () => {
    expect((await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'nobody', task_ids: ['x'] } })).body.error.code).toBe('NOT_FOUND');
    await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'gina' } });
    expect((await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'gina', task_ids: ['missing'] } })).status).toBe(404);
    expect((await app.call('GET', '/api/v1/admin/pbis/missing')).status).toBe(404);
  });

  it('answers 409 CONFLICT for a task of a PBI whose cascade is open, until it is reopened', async () => {
    const product = await addProduct('octocat/Cascade');
    await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'hank' } });
    const imported = await app.call('POST', `/api/v1/admin/products/${product.id}/backlog`, { body: backlog });
    const pbiId = imported.body.pbis[0].id;
    const taskId = imported.body.pbis[0].stories[0].tasks[0].id;
    const first = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'hank', task_ids: [taskId] } });
    await app.db.prisma.cascade.create({
      data: { pbi_id: pbiId, open_pbi_id: pbiId, failed_job_id: first.body.jobs[0].id, status: 'DONE', finished_at: new Date() },
    });
    const refused = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'hank', task_ids: [taskId] } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    const reopened = await app.call('POST', `/api/v1/admin/pbis/${pbiId}/reopen`);
    expect(reopened.status).toBe(200);
    expect((await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'hank', task_ids: [taskId] } })).status).toBe(201);
  });
});

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await app.call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await app.call('GET', '/readyz', { token: null })).status).toBe(200);
  });

  it('exposes HTTP metrics by route and status', async () => {
    await app.call('GET', '/api/v1/admin/products');
    const metrics = await app.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/scrum4me_http_requests_total\{method="GET",route="\/api\/v1\/admin\/products",status="200"\} \d+/);
    expect(metrics.body).toContain('scrum4me_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('scrum4me_jobs_queued');
  });

  it('answers unknown API routes with the JSON envelope', async () => {
    const response = await app.call('GET', '/api/v1/nope');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('never writes a bearer token into the logs', async () => {
    const minted = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'ivy' } });
    await app.call('GET', '/api/v1/admin/products', { token: minted.body.token });
    const logs = app.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(minted.body.token);
    expect(logs).not.toContain('test-admin-token-0123456789abcdef');
  });
});
