// Reconcile: re-reading PRs from GitHub heals missed webhooks (nock replays GitHub).
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileProductPullRequests } from '../../../src/services/pull-requests/reconcile.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { installationId, seedBacklog, seedProduct, seedTaskJobs, seedUser } from '../../support/seed.ts';
import { api, deliver, gitCommitResponse, mockInstallationToken, pullRequestPayload, sha, type PullOptions } from '../../webhooks/support.ts';

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

let counter = 0;
async function storyWorld(stories = 1) {
  const product = await seedProduct(app.db.prisma, { repo: `acme/reconcile-${++counter}` });
  const backlog = await seedBacklog(app.db.prisma, product.id, {
    pbis: [{ title: 'PBI', stories: Array.from({ length: stories }, (_, i) => ({ code: `ST-${i + 1}`, title: `Story ${i + 1}`, tasks: [{ title: 'Task' }] })) }],
  });
  const branches = backlog.pbis[0]!.stories.map((s) => s.branch);
  const pull = (i: number, number: number): PullOptions => ({ repo: product.repo, installationId, number, headRef: branches[i]! });
  return { product, backlog, pull };
}

/** What GET pulls/{n} answers: the webhook's pull_request object. */
const pullAnswer = (kind: Parameters<typeof pullRequestPayload>[0], options: PullOptions) => pullRequestPayload(kind, options).pull_request;

const record = (productId: string, number: number) =>
  app.db.prisma.pullRequest.findUniqueOrThrow({ where: { product_id_number: { product_id: productId, number } } });

function mergeCommitMock(repo: string, mergeSha: string, parents: string[]) {
  return nock(api)
    .get(`/repos/${repo}/git/commits/${mergeSha}`)
    .reply(200, gitCommitResponse({ sha: mergeSha, parents, message: 'Merge pull request\n', author: { name: 'r', email: 'r@x', date: '2019-05-15T15:21:18Z' } }, repo));
}

/** GitHub's open list: `open` (nothing open by default). */
const openList = (repo: string, open: unknown[] = []) => nock(api).get(`/repos/${repo}/pulls`).query({ state: 'open', per_page: '100' }).reply(200, open);

describe('reconcileProductPullRequests, one PR at a time', () => {
  it('re-reads a PR whose merge webhook was missed and records it merged, with its merge method', async () => {
    const { product, pull } = await storyWorld();
    const options = pull(0, 7);
    await deliver(app, 'pull_request', pullRequestPayload('opened', options));
    const stale = await record(product.id, 7);
    expect(stale.state).toBe('OPEN');

    const mergeSha = sha('missed merge');
    mockInstallationToken(installationId);
    const list = openList(product.repo);
    const scope = nock(api).get(`/repos/${product.repo}/pulls/7`).reply(200, pullAnswer('closed.merged', { ...options, mergeCommitSha: mergeSha }));
    const commit = mergeCommitMock(product.repo, mergeSha, [sha('base'), sha('head')]);
    const summary = await reconcileProductPullRequests(app.services, product.id);
    expect(summary).toMatchObject({ updated: [7], merge_methods_resolved: [7], failed: [] });
    expect(await record(product.id, 7)).toMatchObject({ id: stale.id, state: 'MERGED', merge_commit_sha: mergeSha, merge_method: 'MERGE', merge_parent_sha: sha('base') });
    expect(list.isDone() && scope.isDone() && commit.isDone()).toBe(true);
  });

  it('leaves a final record as stored, without reading it', async () => {
    const { product, pull } = await storyWorld();
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(0, 8)));
    const merged = await app.db.prisma.pullRequest.update({
      where: { product_id_number: { product_id: product.id, number: 8 } },
      data: { state: 'MERGED', merge_commit_sha: sha('m'), merge_method: 'SQUASH', merge_parent_sha: sha('p') },
    });
    mockInstallationToken(installationId);
    // only the open list is answered: any other GitHub call would fail the PR in the summary
    const list = openList(product.repo);
    expect(await reconcileProductPullRequests(app.services, product.id)).toMatchObject({ updated: [], merge_methods_resolved: [], failed: [] });
    expect(list.isDone()).toBe(true);
    expect(await record(product.id, 8)).toEqual(merged);
  });

  it('for a merged record without a method, only reads the merge commit (no PR read)', async () => {
    const { product, pull } = await storyWorld();
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(0, 9)));
    const mergeSha = sha('merged without method');
    await app.db.prisma.pullRequest.update({
      where: { product_id_number: { product_id: product.id, number: 9 } },
      data: { state: 'MERGED', merge_commit_sha: mergeSha },
    });
    mockInstallationToken(installationId);
    const list = openList(product.repo);
    const commit = mergeCommitMock(product.repo, mergeSha, [sha('b'), sha('h')]);
    expect(await reconcileProductPullRequests(app.services, product.id)).toMatchObject({ merge_methods_resolved: [9], failed: [] });
    expect(await record(product.id, 9)).toMatchObject({ merge_method: 'MERGE', merge_parent_sha: sha('b') });
    expect(list.isDone() && commit.isDone()).toBe(true);
  });

  it('never moves a record back when GitHub answers with an older state than a webhook already gave', async () => {
    const { product, pull } = await storyWorld();
    const options = pull(0, 11);
    await deliver(app, 'pull_request', pullRequestPayload('closed', options));
    mockInstallationToken(installationId);
    // a lagging replica of GitHub listing the PR as it was before the close
    openList(product.repo, [pullAnswer('opened', options)]);
    await reconcileProductPullRequests(app.services, product.id);
    expect((await record(product.id, 11)).state).toBe('CLOSED');
  });
});

describe('POST /api/v1/admin/products/{id}/reconcile', () => {
  it('heals missed webhooks: adopts an unseen open story PR, closes and merges what GitHub closed and merged', async () => {
    const { product, backlog, pull } = await storyWorld(3);
    const user = await seedUser(app.db.prisma);
    const [job] = await seedTaskJobs(app.db.prisma, user.name, [backlog.pbis[0]!.stories[2]!.tasks[0]!.id]);
    await app.db.prisma.job.update({ where: { id: job!.id }, data: { status: 'DONE', pushed_at: new Date() } });
    // we saw #21 and #22 opened, then missed every later webhook; #23 we never saw
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(0, 21)));
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(1, 22)));
    const mergeSha = sha('merge of 22');

    mockInstallationToken(installationId);
    const scope = nock(api)
      .get(`/repos/${product.repo}/pulls`)
      .query({ state: 'open', per_page: '100' })
      .reply(200, [pullAnswer('opened', pull(2, 23)), pullAnswer('opened', { ...pull(0, 99), headRef: 'not-a-story' })])
      .get(`/repos/${product.repo}/pulls/21`)
      .reply(200, pullAnswer('closed', pull(0, 21)))
      .get(`/repos/${product.repo}/pulls/22`)
      .reply(200, pullAnswer('closed.merged', { ...pull(1, 22), mergeCommitSha: mergeSha }));
    const commit = mergeCommitMock(product.repo, mergeSha, [sha('base 22'), sha('head 22')]);

    const response = await app.call('POST', `/api/v1/admin/products/${product.id}/reconcile`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      product_id: product.id,
      repo: product.repo,
      open_on_github: 2,
      adopted: [23],
      updated: [21, 22],
      unchanged: 0,
      merge_methods_resolved: [22],
      failed: [],
    });
    expect(scope.isDone() && commit.isDone()).toBe(true);
    expect(await record(product.id, 21)).toMatchObject({ state: 'CLOSED' });
    expect(await record(product.id, 22)).toMatchObject({ state: 'MERGED', merge_method: 'MERGE', merge_parent_sha: sha('base 22') });
    const adopted = await record(product.id, 23);
    expect(adopted).toMatchObject({ state: 'OPEN', story_id: backlog.pbis[0]!.stories[2]!.id });
    expect((await app.db.prisma.job.findUniqueOrThrow({ where: { id: job!.id } })).pr_url).toBe(adopted.html_url);
    expect(await app.db.prisma.pullRequest.count({ where: { product_id: product.id, number: 99 } })).toBe(0);
  });

  it('lists a PR GitHub failed for and goes on with the others', async () => {
    const { product, pull } = await storyWorld(2);
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(0, 31)));
    await deliver(app, 'pull_request', pullRequestPayload('opened', pull(1, 32)));
    mockInstallationToken(installationId);
    nock(api)
      .get(`/repos/${product.repo}/pulls`)
      .query(true)
      .reply(200, [])
      .get(`/repos/${product.repo}/pulls/31`)
      .reply(502, { message: 'Bad Gateway' })
      .get(`/repos/${product.repo}/pulls/32`)
      .reply(200, pullAnswer('closed', pull(1, 32)));
    const response = await app.call('POST', `/api/v1/admin/products/${product.id}/reconcile`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ updated: [32], failed: [{ number: 31, error: expect.stringContaining('Bad Gateway') }] });
  });

  it('answers 503 GITHUB_UNAVAILABLE when GitHub cannot list the PRs', async () => {
    const { product } = await storyWorld();
    mockInstallationToken(installationId);
    nock(api).get(`/repos/${product.repo}/pulls`).query(true).reply(503, { message: 'unavailable' });
    const response = await app.call('POST', `/api/v1/admin/products/${product.id}/reconcile`);
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('GITHUB_UNAVAILABLE');
  });

  it('answers 404 for an unknown product and 403 for an agent token', async () => {
    expect((await app.call('POST', '/api/v1/admin/products/nope/reconcile')).body.error.code).toBe('NOT_FOUND');
    const agent = await app.call('POST', '/api/v1/admin/tokens', { body: { user: 'agent-reconcile' } });
    expect((await app.call('POST', '/api/v1/admin/products/nope/reconcile', { token: agent.body.token })).status).toBe(403);
  });
});
