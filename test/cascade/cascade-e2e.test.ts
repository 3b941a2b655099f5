import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRevert } from '../services/revert/git-revert-oracle.ts';
import { jobStatusEvent } from '../../src/services/jobs/job-events.ts';
import { claimTask, finishTask, prNumber, recordMerge, startCascadeWorld, until, type CascadeWorld } from './support.ts';

let world: CascadeWorld;
beforeAll(async () => {
  world = await startCascadeWorld();
});
afterAll(async () => {
  await world?.close();
});

const story = (code: string, file: string) => ({ code, title: `Story ${code}`, tasks: [{ title: `Task ${code}`, plan_paths: [file] }] });

// Bounds are generous: with Probot's Octokit as shipped, writes are paced (1 s apart, 3 s for comments and PRs).
describe('the PBI fail-cascade against a GitHub with real git', { timeout: 300_000 }, () => {
  it('cancels siblings and undoes every branch: close, revert merge/squash/rebase, delete', async () => {
    const { app, fake, repo } = world;
    const imported = await app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
      body: {
        pbis: [
          {
            code: 'PBI-7',
            title: 'Checkout',
            stories: [
              story('A', 'a.txt'), // open PR
              story('B', 'b.txt'), // merged with a merge commit
              story('C', 'c.txt'), // squashed, then the base moves on
              story('D', 'd.txt'), // rebased, two commits
              story('E', 'e.txt'), // pushed, still running: no PR
              story('F', 'f.txt'), // the task that fails
              story('G', 'g.txt'), // queued, never claimed
            ],
          },
        ],
      },
    });
    expect(imported.status).toBe(201);
    const [pbi] = imported.body.pbis;
    const stories = Object.fromEntries(pbi.stories.map((s: { code: string }) => [s.code, s])) as Record<string, { branch: string; tasks: { id: string }[] }>;
    const task = (code: string) => stories[code]!.tasks[0]!.id;

    const jobA = await claimTask(world, task('A'), 10);
    const prA = prNumber((await finishTask(world, jobA, [{ 'a.txt': 'a\n' }], 'Add the cart page to the shop')).pr_url);

    const jobB = await claimTask(world, task('B'), 10);
    const prB = prNumber((await finishTask(world, jobB, [{ 'b.txt': 'b\n', 'src/app.txt': 'one\ntwo B\nthree\n' }], 'Add the basket model')).pr_url);
    const mergeB = fake.mergePull(repo, prB, { method: 'merge' });
    await recordMerge(world, prB, mergeB.mergeCommitSha);

    const jobC = await claimTask(world, task('C'), 10);
    const prC = prNumber((await finishTask(world, jobC, [{ 'c.txt': 'c\n' }], 'Add the payment form')).pr_url);
    const mergeC = fake.mergePull(repo, prC, { method: 'squash' });
    await recordMerge(world, prC, mergeC.mergeCommitSha);
    fake.commitToBranch(repo, 'main', { 'docs/later.md': 'someone else moved main on\n' }, 'Unrelated work on main');

    const jobD = await claimTask(world, task('D'), 10);
    const prD = prNumber((await finishTask(world, jobD, [{ 'd.txt': 'd1\n' }, { 'd.txt': 'd2\n' }], 'Add the receipt mail')).pr_url);
    const mergeD = fake.mergePull(repo, prD, { method: 'rebase' });
    await recordMerge(world, prD, mergeD.mergeCommitSha);

    const jobE = await claimTask(world, task('E'), 10);
    fake.commitToBranch(repo, jobE.branch, { 'e.txt': 'e\n' }, 'Work in progress');
    expect((await app.call('POST', `/api/v1/jobs/${jobE.id}/status`, { token: world.agentToken, body: { status: 'running' } })).status).toBe(200);

    const queuedG = await app.call('POST', '/api/v1/admin/jobs', { body: { user: 'agent', task_ids: [task('G')], priority: 0 } });
    const jobF = await claimTask(world, task('F'), 20);
    fake.commitToBranch(repo, jobF.branch, { 'f.txt': 'f\n' }, 'Half-done work');

    fake.clearCalls();
    const failed = await app.call('POST', `/api/v1/jobs/${jobF.id}/status`, { token: world.agentToken, body: { status: 'failed', error: 'the payment tests fail' } });
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.cascade).toEqual({ id: expect.any(String), cancelled_job_ids: expect.arrayContaining([jobE.id, queuedG.body.jobs[0].id]) });
    expect(failed.body.cascade.cancelled_job_ids).toHaveLength(2);

    // a cancelled sibling's late report changes nothing
    const late = await app.call('POST', `/api/v1/jobs/${jobE.id}/status`, { token: world.agentToken, body: { status: 'failed', error: 'x' } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('JOB_CANCELLED');

    const view = await until('the cascade to finish', async () => {
      const read = await app.call('GET', `/api/v1/admin/pbis/${pbi.id}`);
      return read.body.cascades[0]?.status === 'done' ? read.body : undefined;
    }, 180_000);
    const steps = Object.fromEntries(view.cascades[0].steps.map((s: { branch: string }) => [s.branch, s]));
    // every story with a job has a step (only GitHub knows what an agent pushed); G's asks for its branch and stops there
    expect(Object.keys(steps).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((c) => stories[c]!.branch).sort());
    expect(steps[stories.A!.branch]).toMatchObject({ action: 'close_pr', state: 'done', pull_number: prA });
    for (const code of ['B', 'C', 'D']) {
      expect(steps[stories[code]!.branch]).toMatchObject({ action: 'revert_pr', state: 'done', revert_pr_url: expect.stringContaining('/pull/') });
    }
    expect(steps[stories.E!.branch]).toMatchObject({ action: 'delete_branch', state: 'done' });
    expect(steps[stories.F!.branch]).toMatchObject({ action: 'delete_branch', state: 'done' });
    expect(steps[stories.G!.branch]).toMatchObject({ action: 'delete_branch', state: 'done', pull_number: null, warning: null });

    // open PR: closed with a comment, branch gone
    expect(fake.pull(repo, prA)).toMatchObject({ state: 'closed', merged: false });
    expect(fake.comments(repo, prA).map((c) => c.body).join('\n')).toContain(jobF.id);
    for (const code of ['A', 'E', 'F']) expect(fake.branchSha(repo, stories[code]!.branch)).toBeNull();
    expect(fake.branchSha(repo, stories.G!.branch)).toBeNull();

    // merged PRs: one revert PR each, whose tree is what real git revert gives on main now
    const oracles = {
      B: gitRevert(fake.gitDir(repo), 'main', ['-m', '1', mergeB.mergeCommitSha]),
      C: gitRevert(fake.gitDir(repo), 'main', [mergeC.mergeCommitSha]),
      D: gitRevert(fake.gitDir(repo), 'main', [`${mergeD.baseShaBefore}..${mergeD.mergeCommitSha}`]),
    };
    for (const [code, original] of [['B', prB], ['C', prC], ['D', prD]] as const) {
      const step = steps[stories[code]!.branch];
      const revert = fake.pull(repo, step.revert_pull_number);
      expect(revert).toMatchObject({ state: 'open', merged: false, title: `Revert "${code}: Story ${code}"` });
      expect(revert.head!.ref).toBe(`revert/${stories[code]!.branch}-${jobF.id}`);
      expect(revert.body).toContain(`#${original}`);
      expect(revert.body).toContain('the payment tests fail');
      const tip = fake.readCommit(repo, revert.head!.sha!);
      expect(tip.parents).toEqual([fake.branchSha(repo, 'main')]);
      const oracle = oracles[code];
      expect(oracle.kind).toBe('clean');
      expect(tip.tree).toBe(oracle.kind === 'clean' ? oracle.treeSha : 'conflict');
      expect(fake.comments(repo, original).map((c) => c.body).join('\n')).toContain(step.revert_pr_url);
    }

    // the failed job carries the cascade's outcome; cancelled jobs say why
    const failedJob = await app.call('GET', `/api/v1/jobs/${jobF.id}`, { token: world.agentToken });
    expect(failedJob.body.error).toContain('the payment tests fail');
    expect(failedJob.body.error).toContain('PBI fail-cascade');
    expect(failedJob.body.cascade_id).toBe(failed.body.cascade.id);
    const cancelledE = await app.call('GET', `/api/v1/jobs/${jobE.id}`, { token: world.agentToken });
    expect(cancelledE.body).toMatchObject({ status: 'cancelled', cascade_id: failed.body.cascade.id });
    expect(cancelledE.body.trace).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining(`cancelled by the PBI fail-cascade ${failed.body.cascade.id}`) }));
    // every cancelled sibling's change is published once, as jobStatusEvent() of its row (S10)
    const cancelledIds: string[] = failed.body.cascade.cancelled_job_ids;
    expect(cancelledIds.length).toBeGreaterThan(0);
    expect(failedJob.body.trace).toContainEqual(
      expect.objectContaining({ level: 'warn', message: `PBI fail-cascade ${failed.body.cascade.id} opened: ${cancelledIds.length} sibling job(s) cancelled` }),
    );
    const stepCount = await app.db.prisma.cascadeStep.count({ where: { cascade_id: failed.body.cascade.id } });
    const opened = await app.db.prisma.traceEntry.findMany({ where: { cascade_id: failed.body.cascade.id }, orderBy: { id: 'asc' } });
    expect(opened[0]!.message).toBe(`opened after job ${jobF.id} failed: ${cancelledIds.length} sibling job(s) cancelled, ${stepCount} branch(es) to undo`);
    const events = await app.db.prisma.changeEvent.findMany({ where: { type: 'claude_job_status' } });
    for (const id of cancelledIds) {
      const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id } });
      expect(events.filter((e) => (e.payload as { job_id: string; status: string }).job_id === id && (e.payload as { status: string }).status === 'cancelled').map((e) => e.payload)).toEqual([jobStatusEvent(row)]);
    }

    // the open PR's check run is concluded: cancelled by the cascade
    const headA = fake.pull(repo, prA).head!.sha!;
    await until('the check run of the closed PR to be concluded', async () =>
      fake.checkRuns(repo).find((c) => c.headSha === headA && c.conclusion === 'cancelled'),
    60_000);
    expect(fake.checkRuns(repo).filter((c) => c.headSha === headA)).toHaveLength(1);

    // API economy: the calls the undo made, by route
    const byRoute = fake.calls
      .map((c) => c.route ?? `${c.method} ${c.path}`)
      // the undo's calls: app-level ones (tokens, the webhook healer's deliveries), check runs and compares are others'
      .filter((route) => !/ \/app\//.test(route) && !route.includes('check-runs') && !route.includes('/compare/'))
      .reduce<Record<string, number>>((counts, route) => {
      counts[route] = (counts[route] ?? 0) + 1;
      return counts;
    }, {});
    expect(byRoute).toEqual({
      'GET /repos/{owner}/{repo}': 1,
      'GET /repos/{owner}/{repo}/branches': 1,
      // the fresh read of each step (A–F), and G's look for its branch
      'GET /repos/{owner}/{repo}/pulls': 6,
      'GET /repos/{owner}/{repo}/git/ref/{ref}': 1,
      'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': 1,
      'DELETE /repos/{owner}/{repo}/git/refs/{ref}': 3,
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': 4,
      // three reverts (docs/revert.md), the merge methods read from git (no webhook resolver here), three revert PRs
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}': 7,
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits': 2,
      'GET /repos/{owner}/{repo}/branches/{branch}': 3,
      'POST /repos/{owner}/{repo}/git/commits': 5,
      'POST /repos/{owner}/{repo}/git/refs': 3,
      'POST /repos/{owner}/{repo}/merges': 2,
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}': 2,
      'POST /repos/{owner}/{repo}/pulls': 3,
    });
  });
});
