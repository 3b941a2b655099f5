// SCRUM4ME_GITHUB_TIMEOUT_MS against Probot's Octokit as shipped (write pacing,
// plugin-retry, plugin-throttling), on the git-backed fake GitHub (SPEC §6, S6):
// - the deadline is per attempt on the wire: writes that wait their turn in the
//   pacing queue longer than the deadline all succeed;
// - the push check of `done` that GitHub cannot answer (hangs, 502, secondary rate
//   limit) answers 503 GITHUB_UNAVAILABLE with Retry-After after one attempt, and
//   writes nothing: the job stays claimed, no cascade, no trace, no event;
// - a repository the installation lost, or an uninstalled app: 422, nothing written;
// - final answers are final: a revert conflict is decided on the first 409.
// Every deadline here is the app's own (the fake never answers a hanging call, so
// the deadline is the only timer); the bounds checked are far from the machine's
// speed: one attempt, not three, and seconds apart from the old behaviour.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRequestTimeout } from '../../src/services/github/request-timeout.ts';
import { secondaryRateLimit } from '../support/fake-github/index.ts';
import { claimTask, finishTask, prNumber, recordMerge, startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';

/**
 * SCRUM4ME_GITHUB_TIMEOUT_MS of the app under test: more than ten times what an answered
 * call of the fake takes on a busy machine (0.05-1 s), so only a faulted call meets it.
 */
const timeoutMs = 5000;
const compareRoute = 'GET /repos/{owner}/{repo}/compare/{basehead}';

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld('acme/deadlines', { env: { SCRUM4ME_GITHUB_TIMEOUT_MS: String(timeoutMs) } });
});
afterAll(async () => {
  await world?.close();
});

let pbiCounter = 0;
async function newPbi(codes: string[], repo = world.repo, productId = world.productId) {
  const n = ++pbiCounter;
  const imported = await world.app.call('POST', `/api/v1/admin/products/${productId}/backlog`, {
    body: { pbis: [{ code: `D${n}`, title: `PBI ${n}`, stories: codes.map((code) => ({ code: `${code}${n}`, title: `Story ${code}${n}`, tasks: [{ title: `Task ${code}`, plan_paths: [`${code}${n}.txt`] }] })) }] },
  });
  expect(imported.status).toBe(201);
  const pbi = imported.body.pbis[0] as { id: string; stories: { branch: string; tasks: { id: string }[] }[] };
  return { pbiId: pbi.id, repo, branch: (i: number) => pbi.stories[i]!.branch, task: (i: number) => pbi.stories[i]!.tasks[0]!.id, file: (code: string) => `${code}${n}.txt` };
}

/** Everything a status call could write for the job. */
async function writtenState(jobId: string) {
  const prisma = world.app.db.prisma;
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const [traces, events, cascades] = await Promise.all([
    prisma.traceEntry.findMany({ where: { job_id: jobId }, orderBy: { id: 'asc' } }),
    prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM change_events WHERE payload->>'job_id' = ${jobId}`.then((rows) => rows[0]!.n),
    prisma.cascade.count({ where: { pbi_id: job.pbi_id! } }),
  ]);
  return { job, traces, events, cascades };
}

/** A claimed job with its work pushed and verified, about to report done. */
async function pushedAndVerified(repo = world.repo, productId = world.productId) {
  const pbi = await newPbi(['W'], repo, productId);
  const job = await claimTask(world, pbi.task(0), 10);
  world.fake.commitToBranch(repo, job.branch, { [pbi.file('W')]: 'work\n' }, 'The work');
  const verified = await world.app.call('POST', `/api/v1/jobs/${job.id}/verify`, { token: world.agentToken, body: {} });
  expect(verified.status).toBe(200);
  return { pbi, job };
}

/** The calls made to GitHub since the log was cleared, but the check runs' (refreshed in the background). */
const githubCalls = () => world.fake.calls.filter((c) => !String(c.route).includes('check-runs')).map((c) => c.route);

const done = (jobId: string) => world.app.call('POST', `/api/v1/jobs/${jobId}/status`, { token: world.agentToken, body: { status: 'done', summary: 'The work, pushed and verified' } });

describe('the GitHub deadline is per attempt on the wire', { timeout: 90_000 }, () => {
  it(`writes queued behind Probot's pacing longer than the ${timeoutMs} ms deadline all succeed`, async () => {
    world.fake.commitToBranch(world.repo, 'talk', { 'talk.txt': 'talk\n' }, 'Something to talk about');
    const number = world.fake.openPull(world.repo, { head: 'talk', base: 'main', title: 'A discussion' });
    const [owner, repo] = world.repo.split('/') as [string, string];
    const github = await world.app.services.github.installation(world.fake.installationFor(owner));
    world.fake.clearCalls();
    // comments are paced 3 s apart per installation (plugin-throttling's notification queue):
    // the fourth waits 9 s in the queue, well past the 5 s deadline
    const bodies = ['one', 'two', 'three', 'four'];
    const started = performance.now();
    const answers = await Promise.allSettled(bodies.map((body) => github.commentOnPullRequest({ owner, repo }, number, body)));
    const took = performance.now() - started;
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(world.fake.comments(world.repo, number).map((c) => c.body).sort()).toEqual([...bodies].sort());
    // the last write waited in the queue longer than the deadline: with a deadline that
    // started before the queue it would have been aborted there
    const posts = world.fake.calls.filter((c) => c.route === 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments');
    expect(posts).toHaveLength(4);
    expect(Math.max(...posts.map((c) => c.startedAt)) - Math.min(...posts.map((c) => c.startedAt))).toBeGreaterThan(timeoutMs);
    expect(took).toBeGreaterThan(timeoutMs);
  });
});

describe('an answer whose body never ends', () => {
  it('is an error at the deadline, never an empty answer', async () => {
    // headers and half a body, then nothing: the deadline is the only timer that ends it
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.write('{"ahead_by": 3, "files": [');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const Octokit = withRequestTimeout(ProbotOctokit, 500);
      const octokit = new Octokit({ auth: { token: 'x' }, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, retry: { enabled: false }, throttle: { enabled: false } });
      // @octokit/request reads a JSON body with .text() and answers '' when that fails
      await expect(octokit.rest.repos.compareCommitsWithBasehead({ owner: 'a', repo: 'b', basehead: 'main...x' })).rejects.toMatchObject({ name: 'AbortError', timedOut: true });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('a write is sent once', { timeout: 60_000 }, () => {
  it('a comment whose answer was lost (502 after the effect) is not sent again by plugin-retry: the caller re-reads first', async () => {
    world.fake.commitToBranch(world.repo, 'talk-twice', { 'talk-twice.txt': 'x\n' }, 'More to talk about');
    const number = world.fake.openPull(world.repo, { head: 'talk-twice', base: 'main', title: 'Another discussion' });
    const [owner, repo] = world.repo.split('/') as [string, string];
    const github = await world.app.services.github.installation(world.fake.installationFor(owner));
    world.fake.clearCalls();
    world.fake.faults.inject({ route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', times: 1, status: 502, afterEffect: true });
    await expect(github.commentOnPullRequest({ owner, repo }, number, 'once')).rejects.toMatchObject({ status: 502 });
    expect(world.fake.calls.filter((c) => c.route === 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments')).toHaveLength(1);
    expect(world.fake.comments(world.repo, number).map((c) => c.body)).toEqual(['once']);
  });

  it('a read that answered 502 is retried (plugin-retry, reads only)', async () => {
    const [owner, repo] = world.repo.split('/') as [string, string];
    const github = await world.app.services.github.installation(world.fake.installationFor(owner));
    world.fake.clearCalls();
    world.fake.faults.inject({ route: 'GET /repos/{owner}/{repo}', times: 1, status: 502 });
    const repository = await github.readRepository({ owner, repo });
    expect(repository.fullName).toBe(world.repo);
    expect(world.fake.calls.filter((c) => c.route === 'GET /repos/{owner}/{repo}').map((c) => c.status)).toEqual([502, 200]);
  });
});

describe('the push check of done when GitHub cannot answer (S6)', { timeout: 90_000 }, () => {
  const faults = [
    { name: 'never answers', fault: { hang: true }, retryAfter: '5', atLeastMs: timeoutMs - 50 },
    { name: 'answers 502', fault: { status: 502, times: Infinity }, retryAfter: '5', atLeastMs: 0 },
    { name: 'answers a 403 secondary rate limit', fault: { ...secondaryRateLimit(42) }, retryAfter: '42', atLeastMs: 0 },
  ];
  for (const { name, fault, retryAfter, atLeastMs } of faults) {
    it(`compare ${name}: 503 GITHUB_UNAVAILABLE with Retry-After after one attempt; the job still claimed, no cascade, nothing written`, async () => {
      const { job } = await pushedAndVerified();
      const before = await writtenState(job.id);
      world.fake.clearCalls();
      world.fake.faults.inject({ route: compareRoute, times: 1, ...fault });
      const started = performance.now();
      const answer = await done(job.id);
      const took = performance.now() - started;
      world.fake.faults.clear();
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('GITHUB_UNAVAILABLE');
      expect(answer.headers.get('retry-after')).toBe(retryAfter);
      // one attempt, no retries. The answer comes about one deadline (hang) or one round
      // trip after the call; the bound leaves a busy machine 8 s of slack and still
      // excludes plugin-retry's 1 + 4 + 9 s (17 s for the hang) and plugin-throttling's 42 s.
      expect(world.fake.calls.filter((c) => c.route === compareRoute)).toHaveLength(1);
      expect(took).toBeGreaterThanOrEqual(atLeastMs);
      expect(took).toBeLessThan(timeoutMs + 8000);
      const after = await writtenState(job.id);
      expect(after).toEqual(before);
      expect(after.job.status).toBe('CLAIMED');
      expect(after.cascades).toBe(0);
      // the agent comes back after Retry-After, and GitHub answers: done, pushed
      const again = await done(job.id);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ status: 'done', pushed_at: expect.any(String), cascade: null });
    });
  }

  it('a repository the installation lost (GitHub answers 404 for all of it): 422 APP_NOT_INSTALLED, no cascade, nothing written', async () => {
    const repo = 'acme/deadlines-lost';
    world.fake.createRepo(repo, { defaultBranch: 'main', files: { 'README.md': 'lost\n' } });
    const product = await world.app.call('POST', '/api/v1/admin/products', { body: { name: 'Lost', repo } });
    expect(product.status).toBe(201);
    const { job } = await pushedAndVerified(repo, product.body.id);
    const before = await writtenState(job.id);
    world.fake.clearCalls();
    world.fake.faults.inject({ path: new RegExp(`^/repos/${repo}(/|$)`), times: Infinity, status: 404, body: { message: 'Not Found' } });
    const answer = await done(job.id);
    world.fake.faults.clear();
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'APP_NOT_INSTALLED', message: expect.stringContaining(repo) });
    // compare 404, then the branch and the repository itself: 404 for all, so not a missing branch
    expect(githubCalls()).toEqual([compareRoute, 'GET /repos/{owner}/{repo}/branches/{branch}', 'GET /repos/{owner}/{repo}']);
    expect(await writtenState(job.id)).toEqual(before);
  });

  it('an app uninstalled (installation.deleted recorded): 422 APP_NOT_INSTALLED without asking GitHub, no cascade, nothing written', async () => {
    const { job } = await pushedAndVerified();
    const before = await writtenState(job.id);
    const installation = await world.app.db.prisma.product.findUniqueOrThrow({ where: { id: world.productId }, select: { installation_id: true } });
    await world.app.db.prisma.installation.update({ where: { id: installation.installation_id! }, data: { deleted_at: new Date() } });
    world.fake.clearCalls();
    try {
      const answer = await done(job.id);
      expect(answer.status).toBe(422);
      expect(answer.body.error.code).toBe('APP_NOT_INSTALLED');
      expect(githubCalls()).toEqual([]);
      expect(await writtenState(job.id)).toEqual(before);
    } finally {
      await world.app.db.prisma.installation.update({ where: { id: installation.installation_id! }, data: { deleted_at: null } });
    }
  });

  it('a branch GitHub says does not exist still fails the job and starts the cascade', async () => {
    const pbi = await newPbi(['M']);
    const job = await claimTask(world, pbi.task(0), 10);
    await world.app.db.prisma.job.update({ where: { id: job.id }, data: { verify_result: 'ALIGNED' } });
    const answer = await done(job.id);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('failed');
    expect(answer.body.error).toMatch(/^push failed \(branch-missing\): /);
    expect(answer.body.cascade).not.toBeNull();
  });
});

describe('final answers are final', { timeout: 90_000 }, () => {
  it('a revert conflict is decided on the first 409 of POST /merges', async () => {
    const pbi = await newPbi(['K', 'X']);
    const jobK = await claimTask(world, pbi.task(0), 10);
    const prK = prNumber((await finishTask(world, jobK, [{ 'src/app.txt': 'one\nK changed two\nthree\n' }], 'Change line two of the app')).pr_url);
    const merge = world.fake.mergePull(world.repo, prK, { method: 'merge' });
    await recordMerge(world, prK, merge.mergeCommitSha);
    world.fake.commitToBranch(world.repo, 'main', { 'src/app.txt': 'one\nsomeone rewrote two\nthree\n' }, 'Later change to the same line');
    const jobX = await claimTask(world, pbi.task(1), 10);
    world.fake.clearCalls();
    const failed = await world.app.call('POST', `/api/v1/jobs/${jobX.id}/status`, { token: world.agentToken, body: { status: 'failed', error: 'tests fail' } });
    expect(failed.status).toBe(200);
    const view = await until('the cascade to finish', async () => {
      const read = await world.app.call('GET', `/api/v1/admin/pbis/${pbi.pbiId}`);
      return read.body.cascades[0]?.status === 'done' ? read.body.cascades[0] : undefined;
    }, 60_000);
    const stepK = view.steps.find((s: { branch: string }) => s.branch === pbi.branch(0));
    expect(stepK).toMatchObject({ action: 'revert_pr', state: 'failed', warning: expect.stringContaining('manual revert needed') });
    expect(world.fake.calls.filter((c) => c.route === 'POST /repos/{owner}/{repo}/merges').map((c) => c.status)).toEqual([409]);
  });
});
