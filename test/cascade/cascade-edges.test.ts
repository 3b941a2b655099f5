// Edges of the fail-cascade. Each test has a world of its own (a repository under an owner
// of its own, so an installation of its own, with its product and agent) on one app and one
// fake GitHub, and the tests run side by side: Probot paces writes per installation (1 s
// apart, 3 s for comments and PRs), and that waiting, not work, was most of their time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secondaryRateLimit } from '../support/fake-github/index.ts';
import { runCascade } from '../../src/services/cascade/run-cascade.ts';
import { cascadeDone, claimTask, failJob as fail, finishTask, newPbi, prNumber, recordMerge, startCascadeWorld, stepOf, worldBeside, type CascadeWorld } from './support.ts';

let shared: CascadeWorld;
beforeAll(async () => {
  shared = await startCascadeWorld('acme/edges');
});
afterAll(async () => {
  await shared?.close();
});

/** A test's own world on the shared app and fake GitHub. */
const ownWorld = () => worldBeside(shared, 'edges');

describe.concurrent('cascade edges', { timeout: 300_000 }, () => {
  it('reverts a PR merged between our last look and the close, instead of closing it', async () => {
    const world = await ownWorld();
    const { n, pbiId, stories, task, file } = await newPbi(world, ['Q', 'X']);
    const jobQ = await claimTask(world, task('Q'), 10);
    const prQ = prNumber((await finishTask(world, jobQ, [{ [file('Q')]: 'q\n' }], 'Quick change to the cart')).pr_url);
    // a human merges; the webhook has not arrived: our record still says open
    const merge = world.fake.mergePull(world.repo, prQ, { method: 'squash' });
    const jobX = await claimTask(world, task('X'), 10);
    expect((await fail(world, jobX.id)).body.cascade).not.toBeNull();
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, stories.Q!.branch)).toMatchObject({ action: 'revert_pr', state: 'done' });
    const revert = world.fake.pull(world.repo, stepOf(view, stories.Q!.branch).revert_pull_number as number);
    expect(revert.title).toBe(`Revert "Q${n}: Story Q${n}"`);
    const record = await world.app.db.prisma.pullRequest.findFirstOrThrow({ where: { number: prQ, product_id: world.productId } });
    expect(record).toMatchObject({ state: 'MERGED', merge_commit_sha: merge.mergeCommitSha, merge_method: 'SQUASH' });
  });

  it('leaves nothing half-made on a revert conflict and asks for a manual revert', async () => {
    const world = await ownWorld();
    const { pbiId, stories, task } = await newPbi(world, ['K', 'X']);
    const jobK = await claimTask(world, task('K'), 10);
    const prK = prNumber((await finishTask(world, jobK, [{ 'src/app.txt': 'one\nK changed two\nthree\n' }], 'Change line two of the app')).pr_url);
    const merge = world.fake.mergePull(world.repo, prK, { method: 'merge' });
    await recordMerge(world, prK, merge.mergeCommitSha);
    world.fake.commitToBranch(world.repo, 'main', { 'src/app.txt': 'one\nsomeone rewrote two\nthree\n' }, 'Later change to the same line');
    const jobX = await claimTask(world, task('X'), 10);
    await fail(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, stories.K!.branch)).toMatchObject({ action: 'revert_pr', state: 'failed', revert_pr_url: null, warning: expect.stringContaining('manual revert needed') });
    expect(world.fake.branchSha(world.repo, `revert/${stories.K!.branch}-${jobX.id}`)).toBeNull();
    expect(world.fake.comments(world.repo, prK).map((c) => c.body).join('\n')).toContain('A manual revert is needed');
    const failedJob = await world.app.call('GET', `/api/v1/jobs/${jobX.id}`, { token: world.agentToken });
    expect(failedJob.body.error).toContain('manual revert needed');
  });

  it('never deletes a protected branch: its PR is closed and commented, the branch kept', async () => {
    const world = await ownWorld();
    const { pbiId, stories, task } = await newPbi(world, ['R', 'X']);
    const jobR = await claimTask(world, task('R'), 10);
    const prR = prNumber((await finishTask(world, jobR, [{ 'r.txt': 'r\n' }], 'Protected branch work')).pr_url);
    world.fake.protectBranch(world.repo, stories.R!.branch);
    const jobX = await claimTask(world, task('X'), 10);
    const from = world.fake.calls.length;
    await fail(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, stories.R!.branch)).toMatchObject({ action: 'close_pr', state: 'done', warning: expect.stringContaining('protected') });
    expect(world.fake.branchSha(world.repo, stories.R!.branch)).not.toBeNull();
    expect(world.fake.pull(world.repo, prR).state).toBe('closed');
    expect(world.fake.calls.slice(from).some((c) => c.method === 'DELETE' && c.path.includes(stories.R!.branch))).toBe(false);
  });

  it('never touches a PR on a story branch whose head is in another repository (S19), and says so', async () => {
    const world = await ownWorld();
    const { pbiId, stories, task, file } = await newPbi(world, ['S', 'X']);
    await claimTask(world, task('S'), 10);
    world.fake.commitToBranch(world.repo, stories.S!.branch, { [file('S')]: 's\n' }, 'S: our own work');
    // a same-owner fork's PR into the product's repository, on a branch of the same name, as GitHub lists it
    const fork = `${world.repo}-fork`;
    world.fake.createRepo(fork);
    world.fake.commitToBranch(fork, stories.S!.branch, { 'fork.txt': 'theirs\n' }, 'the fork\'s work');
    const forkPull = world.fake.pull(fork, world.fake.openPull(fork, { head: stories.S!.branch, title: 'From the fork' }));
    const forkBase = forkPull.base!;
    const base = { ...forkBase, repo: { ...forkBase.repo, id: world.fake.repoId(world.repo), name: world.repo.split('/')[1], full_name: world.repo } };
    const foreign = { ...forkPull, number: 9999, base };
    const jobX = await claimTask(world, task('X'), 10);
    const from = world.fake.calls.length;
    // S is the first step: the first PR list the undo reads is S's
    world.fake.faults.inject({ method: 'GET', path: `/repos/${world.repo}/pulls`, times: 1, status: 200, body: [foreign] });
    await fail(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, stories.S!.branch)).toMatchObject({ action: 'delete_branch', state: 'done', pull_number: null, warning: expect.stringContaining(`PR #9999 from ${fork}`) });
    expect(world.fake.calls.slice(from).some((c) => c.path.startsWith(`/repos/${world.repo}/`) && c.path.includes('/9999'))).toBe(false);
    expect(world.fake.calls.slice(from).some((c) => c.path.startsWith(`/repos/${fork}`))).toBe(false);
    // the branch in the product's repository is ours: undone
    expect(world.fake.branchSha(world.repo, stories.S!.branch)).toBeNull();
    expect(world.fake.branchSha(fork, stories.S!.branch)).not.toBeNull();
  });

  it('opens one cascade for two failures at once; the other agent is told its job was cancelled', async () => {
    const world = await ownWorld();
    const { pbiId, task } = await newPbi(world, ['M', 'N']);
    const jobM = await claimTask(world, task('M'), 10);
    const jobN = await claimTask(world, task('N'), 10);
    const [m, n] = await Promise.all([fail(world, jobM.id, 'M broke'), fail(world, jobN.id, 'N broke')]);
    const answers = [m, n].map((r) => r.status).sort();
    expect(answers).toEqual([200, 409]);
    const loser = [m, n].find((r) => r.status === 409)!;
    expect(loser.body.error.code).toBe('JOB_CANCELLED');
    const winner = [m, n].find((r) => r.status === 200)!;
    expect(winner.body.cascade.cancelled_job_ids).toEqual([winner === m ? jobN.id : jobM.id]);
    const view = await cascadeDone(world, pbiId);
    expect(view.cascades).toHaveLength(1);
  });

  it('treats a later failure as a no-op while the cascade is open, and starts anew after reopen', async () => {
    const world = await ownWorld();
    const { pbiId, task } = await newPbi(world, ['U', 'V', 'W']);
    const jobU = await claimTask(world, task('U'), 10);
    const first = await fail(world, jobU.id);
    const cascadeId = first.body.cascade.id;
    // nothing to cancel: the undo is queued all the same, and finishes
    expect(first.body.cascade.cancelled_job_ids).toEqual([]);
    await cascadeDone(world, pbiId);
    // a job of the PBI cannot even be queued while the cascade is open
    const refused = await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: world.agentUser, task_ids: [task('V')] } });
    expect(refused.status).toBe(409);
    // one that was queued before (created directly, as an older replica might have) fails: no-op
    await world.app.db.prisma.job.create({
      data: { kind: 'TASK_IMPLEMENTATION', status: 'QUEUED', priority: 50, user: { connect: { name: world.agentUser } }, product: { connect: { id: world.productId } }, pbi: { connect: { id: pbiId } }, task: { connect: { id: task('V') } } },
    });
    const lateJob = await world.app.call('POST', '/api/v1/jobs/claim', { token: world.agentToken, body: { wait_seconds: 0 } });
    const second = await fail(world, lateJob.body.job.id);
    expect(second.status).toBe(200);
    expect(second.body.cascade).toBeNull();
    const trace = await world.app.db.prisma.traceEntry.findMany({ where: { cascade_id: cascadeId } });
    expect(trace.map((t) => t.message).join('\n')).toContain('nothing more to do');
    expect((await world.app.call('POST', `/api/v1/admin/pbis/${pbiId}/reopen`)).body.reopened_cascade_id).toBe(cascadeId);
    const jobW = await claimTask(world, task('W'), 10);
    const third = await fail(world, jobW.id);
    expect(third.body.cascade.id).not.toBe(cascadeId);
    const view = await cascadeDone(world, pbiId, 1);
    expect(view.cascades).toHaveLength(2);
  });

  it('survives GitHub faults: a 502, a lost answer and a secondary rate limit, with no step done twice', async () => {
    const world = await ownWorld();
    const { pbiId, stories, task, file } = await newPbi(world, ['A', 'B', 'X']);
    const jobA = await claimTask(world, task('A'), 10);
    const prA = prNumber((await finishTask(world, jobA, [{ [file('A')]: 'a\n' }], 'Faulty world A')).pr_url);
    const jobB = await claimTask(world, task('B'), 10);
    const prB = prNumber((await finishTask(world, jobB, [{ [file('B')]: 'b\n' }], 'Faulty world B')).pr_url);
    const jobX = await claimTask(world, task('X'), 10);
    world.fake.faults.inject({ method: 'POST', path: `/repos/${world.repo}/issues/${prA}/comments`, times: 1, status: 502, afterEffect: true });
    world.fake.faults.inject({ method: 'PATCH', path: `/repos/${world.repo}/pulls/${prB}`, times: 1, ...secondaryRateLimit(1) });
    world.fake.faults.inject({ method: 'DELETE', path: `/repos/${world.repo}/git/refs/heads/${stories.X!.branch}`, times: 1, status: 500 });
    const failed = await fail(world, jobX.id);
    expect(failed.status).toBe(200);
    const view = await cascadeDone(world, pbiId);
    for (const code of ['A', 'B']) expect(stepOf(view, stories[code]!.branch)).toMatchObject({ action: 'close_pr', state: 'done' });
    expect(stepOf(view, stories.X!.branch)).toMatchObject({ action: 'delete_branch', state: 'done' });
    // the comment whose answer was lost is not written a second time
    expect(world.fake.comments(world.repo, prA)).toHaveLength(1);
    expect(world.fake.comments(world.repo, prB)).toHaveLength(1);
    expect(world.fake.pull(world.repo, prB).state).toBe('closed');
    expect(world.fake.branchSha(world.repo, stories.X!.branch)).toBeNull();
  });

  it('never throws with GitHub down: the status call answers, and the cascade ends with warnings', async () => {
    const world = await ownWorld();
    const { pbiId, stories, task, file } = await newPbi(world, ['D', 'X']);
    const jobD = await claimTask(world, task('D'), 10);
    await finishTask(world, jobD, [{ [file('D')]: 'd\n' }], 'Work before the outage');
    const jobX = await claimTask(world, task('X'), 10);
    world.fake.faults.inject({ method: 'GET', path: `/repos/${world.repo}`, times: 1000, status: 503 });
    const failed = await fail(world, jobX.id);
    expect(failed.status).toBe(200);
    expect(failed.body.cascade).not.toBeNull();
    // the queue's last attempt: give up on GitHub and record why
    await runCascade(world.app.services, failed.body.cascade.id, { attempt: 12, maxAttempts: 12 });
    world.fake.faults.clear((fault) => fault.path === `/repos/${world.repo}`);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, stories.D!.branch)).toMatchObject({ state: 'failed', warning: expect.stringContaining('GitHub kept failing') });
    const failedJob = await world.app.call('GET', `/api/v1/jobs/${jobX.id}`, { token: world.agentToken });
    expect(failedJob.body.error).toContain('by hand');
  });
});
