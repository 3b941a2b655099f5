// SPEC §6 "act on fresh state": each undo step reads GitHub right before it acts
// and decides then; after a lost answer it re-reads before it writes again.
// The tests run side by side, each in a world of its own (worldBeside): they wait on
// Probot's pacing, which is per installation. The metrics test counts across the app,
// so it runs after them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requeueStaleClaims } from '../../src/services/jobs/requeue-stale.ts';
import { callsTo, cascadeDone, claimTask, failJob, finishTask, holdUndoOnce, newPbi, prNumber, startCascadeWorld, stepOf, until, worldBeside, type CascadeWorld } from './support.ts';

let shared: CascadeWorld;
beforeAll(async () => {
  shared = await startCascadeWorld('acme/fresh');
});
afterAll(async () => {
  await shared?.close();
});

const closes = (world: CascadeWorld, number: number, from = 0) =>
  callsTo(world, 'PATCH', `/repos/${world.repo}/pulls/${number}`)
    .filter((c) => world.fake.calls.indexOf(c) >= from)
    .filter((c) => (c.requestBody as { state?: string } | undefined)?.state === 'closed');

describe.concurrent('cascade steps act on GitHub as it is when they run', { timeout: 300_000 }, () => {
  it('closes, with a comment, a PR a person opened on a story branch after the cascade started, then deletes the branch', async () => {
    const world = await worldBeside(shared, 'fresh');
    const { pbiId, task, branch, file } = await newPbi(world, ['A', 'X']);
    await claimTask(world, task('A'), 10);
    world.fake.commitToBranch(world.repo, branch('A'), { [file('A')]: 'a\n' }, 'A: work in progress');
    const jobX = await claimTask(world, task('X'), 10);
    const hold = holdUndoOnce(world);
    expect((await failJob(world, jobX.id)).body.cascade).not.toBeNull();
    await hold.held();
    // between the plan and the step: someone opens a PR on the agent's branch (no webhook reached us)
    const pr = world.fake.openPull(world.repo, { head: branch('A'), title: 'Finish story A by hand' });

    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, branch('A'))).toMatchObject({ action: 'close_pr', state: 'done', pull_number: pr });
    expect(world.fake.pull(world.repo, pr).state).toBe('closed');
    expect(closes(world, pr)).toHaveLength(1);
    expect(world.fake.comments(world.repo, pr).map((c) => c.body)).toEqual([expect.stringContaining(`Closed by the Scrum4Me PBI fail-cascade: task job \`${jobX.id}\``)]);
    expect(world.fake.branchSha(world.repo, branch('A'))).toBeNull();
  });

  it('reverts a PR opened and merged after the cascade started, instead of only deleting its branch', async () => {
    const world = await worldBeside(shared, 'fresh');
    const { pbiId, task, branch, file } = await newPbi(world, ['M', 'X']);
    await claimTask(world, task('M'), 10);
    world.fake.commitToBranch(world.repo, branch('M'), { [file('M')]: 'm\n' }, 'M: the change');
    const jobX = await claimTask(world, task('X'), 10);
    const hold = holdUndoOnce(world);
    await failJob(world, jobX.id);
    await hold.held();
    const pr = world.fake.openPull(world.repo, { head: branch('M'), title: 'Ship story M anyway' });
    const merge = world.fake.mergePull(world.repo, pr, { method: 'merge' });

    const view = await cascadeDone(world, pbiId);
    const step = stepOf(view, branch('M'));
    expect(step).toMatchObject({ action: 'revert_pr', state: 'done', pull_number: pr, revert_pull_number: expect.any(Number) });
    const revert = world.fake.pull(world.repo, step.revert_pull_number as number);
    expect(revert).toMatchObject({ title: 'Revert "Ship story M anyway"', state: 'open', base: { ref: 'main' } });
    expect(world.fake.comments(world.repo, pr).map((c) => c.body)).toEqual([expect.stringContaining(String(revert.html_url))]);
    // the fresh read updated our record of the PR
    const record = await world.app.db.prisma.pullRequest.findFirstOrThrow({ where: { product_id: world.productId, number: pr } });
    expect(record).toMatchObject({ state: 'MERGED', merge_commit_sha: merge.mergeCommitSha, merge_method: 'MERGE' });
  });

  it('undoes the branch an agent pushed to before its claim timed out and its job was requeued', async () => {
    const world = await worldBeside(shared, 'fresh');
    const { pbiId, task, branch, file } = await newPbi(world, ['R', 'X']);
    const jobR = await claimTask(world, task('R'), 10);
    world.fake.commitToBranch(world.repo, branch('R'), { [file('R')]: 'r\n' }, 'R: pushed, then the agent went silent');
    const jobX = await claimTask(world, task('X'), 10);
    // R's agent stops calling: the sweep puts its job back in the queue (claimed_at cleared)
    await world.app.db.prisma.job.update({ where: { id: jobR.id }, data: { heartbeat_at: new Date(Date.now() - 3_600_000) } });
    expect(await requeueStaleClaims(world.app.db.prisma, 600)).toContain(jobR.id);
    expect(await world.app.db.prisma.job.findUniqueOrThrow({ where: { id: jobR.id } })).toMatchObject({ status: 'QUEUED', claimed_at: null });

    await failJob(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, branch('R'))).toMatchObject({ action: 'delete_branch', state: 'done' });
    expect(world.fake.branchSha(world.repo, branch('R'))).toBeNull();
    expect((await world.app.db.prisma.job.findUniqueOrThrow({ where: { id: jobR.id } })).status).toBe('CANCELLED');
  });

  it('after a close whose answer was lost, reads the PR and does not close it again: one close, one comment', async () => {
    const world = await worldBeside(shared, 'fresh');
    const { pbiId, task, branch, file } = await newPbi(world, ['B', 'X']);
    const jobB = await claimTask(world, task('B'), 10);
    const prB = prNumber((await finishTask(world, jobB, [{ [file('B')]: 'b\n' }], 'Change B')).pr_url);
    const jobX = await claimTask(world, task('X'), 10);
    const from = world.fake.calls.length;
    world.fake.faults.inject({ method: 'PATCH', path: `/repos/${world.repo}/pulls/${prB}`, times: 1, status: 502, afterEffect: true });
    await failJob(world, jobX.id);

    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, branch('B'))).toMatchObject({ action: 'close_pr', state: 'done', pull_number: prB });
    expect(closes(world, prB, from)).toHaveLength(1);
    expect(world.fake.comments(world.repo, prB)).toHaveLength(1);
    expect(world.fake.pull(world.repo, prB).state).toBe('closed');
    expect(world.fake.branchSha(world.repo, branch('B'))).toBeNull();
  });

});

describe('cascade metrics', { timeout: 300_000 }, () => {
  it("counts the cascade's cancellations in scrum4me_job_transitions_total, by the status each job had", async () => {
    const world = await worldBeside(shared, 'fresh');
    const { pbiId, task } = await newPbi(world, ['Q', 'C', 'U', 'X']);
    const transitions = async () => {
      const { values } = await world.app.services.metrics.jobTransitions.get();
      return Object.fromEntries(values.filter((v) => v.labels.to === 'cancelled').map((v) => [v.labels.from, v.value]));
    };
    const before = await transitions();
    expect((await world.app.call('POST', '/api/v1/admin/jobs', { body: { user: world.agentUser, task_ids: [task('Q')], priority: -5 } })).status).toBe(201);
    await claimTask(world, task('C'), 10);
    const jobU = await claimTask(world, task('U'), 10);
    expect((await world.app.call('POST', `/api/v1/jobs/${jobU.id}/status`, { token: world.agentToken, body: { status: 'running' } })).status).toBe(200);
    const jobX = await claimTask(world, task('X'), 10);
    expect((await failJob(world, jobX.id)).body.cascade.cancelled_job_ids).toHaveLength(3);

    await cascadeDone(world, pbiId);
    const delta = (from: string, now: Record<string, number>) => (now[from] ?? 0) - (before[from] ?? 0);
    const after = await until('the cancellations to be counted', async () => {
      const now = await transitions();
      return delta('queued', now) + delta('claimed', now) + delta('running', now) >= 3 ? now : undefined;
    });
    expect({ queued: delta('queued', after), claimed: delta('claimed', after), running: delta('running', after) }).toEqual({ queued: 1, claimed: 1, running: 1 });
    // and on GET /metrics
    const metrics = await world.app.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toMatch(/scrum4me_job_transitions_total\{from="running",to="cancelled"\} \d+/);
  });
});
