import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProbotOctokit } from 'probot';
import { secondaryRateLimit, startFakeGitHub, type FakeGitHub } from './index.ts';

let fake: FakeGitHub;
const repo = { owner: 'acme', repo: 'server' };

function octokit(baseUrl = fake.url, token = 't'): ProbotOctokit {
  return new ProbotOctokit({ auth: { token }, baseUrl, retry: { enabled: false }, throttle: { enabled: false } });
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo('acme/server');
  fake.createRepo('acme/other');
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.clearCalls();
  fake.faults.clear();
  fake.latencyMs = 0;
});

describe('fake GitHub installations', () => {
  it('records the scope an installation token was asked for and limits its repositories to it', async () => {
    const installation = await octokit().rest.apps.getRepoInstallation(repo);

    const token = await octokit().rest.apps.createInstallationAccessToken({
      installation_id: installation.data.id,
      repositories: ['server'],
      permissions: { contents: 'write' },
    });
    const visible = await octokit(fake.url, token.data.token).rest.apps.listReposAccessibleToInstallation();

    expect(token.status).toBe(201);
    expect(token.data).toMatchObject({ repository_selection: 'selected', permissions: { contents: 'write' } });
    expect(fake.tokens().at(-1)?.request).toEqual({ repositories: ['server'], permissions: { contents: 'write' } });
    expect(visible.data.repositories.map((r) => r.full_name)).toEqual(['acme/server']);
  });

  it('serves the same API under /api/v3 for GitHub Enterprise Server clients', async () => {
    const { data } = await octokit(fake.enterpriseUrl).rest.repos.get(repo);

    expect(data.url).toBe(`${fake.enterpriseUrl}/repos/acme/server`);
    expect(data.default_branch).toBe('main');
    expect(fake.calls.map((call) => [call.route, call.enterprise])).toEqual([['GET /repos/{owner}/{repo}', true]]);
  });
});

describe('fake GitHub faults and latency', () => {
  it('answers the next matching call with a secondary rate limit, then normally again', async () => {
    fake.faults.inject({ route: 'GET /repos/{owner}/{repo}', ...secondaryRateLimit(7) });

    const error = await octokit().rest.repos.get(repo).catch((e: unknown) => e);
    const retried = await octokit().rest.repos.get(repo);

    expect(error).toMatchObject({ status: 403, response: { headers: { 'retry-after': '7' } } });
    expect(retried.status).toBe(200);
    expect(fake.calls.map((call) => [call.status, call.faulted])).toEqual([
      [403, true],
      [200, false],
    ]);
  });

  it('can hang a call until the client gives up, and lose an answer after the change was made', async () => {
    fake.faults.inject({ method: 'GET', path: '/repos/acme/server', hang: true });
    await expect(octokit().rest.repos.get({ ...repo, request: { signal: AbortSignal.timeout(200) } })).rejects.toThrow();

    const main = fake.branchSha('acme/server', 'main') ?? '';
    fake.faults.inject({ route: 'POST /repos/{owner}/{repo}/git/refs', status: 502, afterEffect: true });
    await expect(octokit().rest.git.createRef({ ...repo, ref: 'refs/heads/lost', sha: main })).rejects.toMatchObject({ status: 502 });
    expect(fake.branchSha('acme/server', 'lost')).toBe(main);
  });

  it('adds latency to every call', async () => {
    fake.latencyMs = 150;
    const started = Date.now();

    await octokit().rest.repos.get(repo);

    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('fake GitHub comments and check runs', () => {
  it('keeps PR comments and one latest check run per name for a ref', async () => {
    const head = fake.commitToBranch('acme/server', 'story', { 's.txt': 's\n' }, 'story');
    const number = fake.openPull('acme/server', { head: 'story', title: 'Story' });
    const client = octokit();

    await client.rest.issues.createComment({ ...repo, issue_number: number, body: 'Closed by the cascade.' });
    const run = await client.rest.checks.create({ ...repo, name: 'Scrum4Me', head_sha: head, status: 'in_progress' });
    await client.rest.checks.update({ ...repo, check_run_id: run.data.id, conclusion: 'success', output: { title: 'Done', summary: 'All tasks done' } });
    const listed = await client.rest.checks.listForRef({ ...repo, ref: 'story' });
    const comments = await client.rest.issues.listComments({ ...repo, issue_number: number });

    expect(comments.data.map((comment) => [comment.body, comment.user?.login])).toEqual([['Closed by the cascade.', 'scrum4me[bot]']]);
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.check_runs[0]).toMatchObject({
      name: 'Scrum4Me',
      head_sha: head,
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Done', summary: 'All tasks done' },
      pull_requests: [{ number }],
    });
  });
});
