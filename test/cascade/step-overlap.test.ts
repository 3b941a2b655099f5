// SPEC §6: two processes never run one cascade step at once, and each of a
// step's effects (comment, close, delete, revert PR) happens at most once even
// when two runs of the cascade overlap, or one loses its database connection.
// The two tests run side by side, each in a world of its own (worldBeside: its own
// installation, so its own Probot pacing, which is what they mostly waited on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCascade } from '../../src/services/cascade/run-cascade.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { callsTo, cascadeDone, claimTask, failJob, finishTask, holdUndoOnce, newPbi, prNumber, recordMerge, startCascadeWorld, until, worldBeside, type CascadeWorld } from './support.ts';

let shared: CascadeWorld;
/** a second replica on the same database: its own pool, its own service handles */
let other: TestApp;
beforeAll(async () => {
  shared = await startCascadeWorld('acme/overlap');
  other = await startTestApp({ reuseDatabaseUrl: shared.app.db.url, env: { GHE_HOST: shared.fake.host, GHE_PROTOCOL: 'http' } });
});
afterAll(async () => {
  await other?.close();
  await shared?.close();
});

/** A PBI with an open PR (O), a merged one (M), a pushed branch without PR (P) and the failing task (X), failed with the undo held. */
async function failedPbi(world: CascadeWorld) {
  const { pbiId, task, branch, file } = await newPbi(world, ['O', 'M', 'P', 'X']);
  const jobO = await claimTask(world, task('O'), 10);
  const prO = prNumber((await finishTask(world, jobO, [{ [file('O')]: 'o\n' }], 'Change O')).pr_url);
  const jobM = await claimTask(world, task('M'), 10);
  const prM = prNumber((await finishTask(world, jobM, [{ [file('M')]: 'm\n' }], 'Change M')).pr_url);
  const merge = world.fake.mergePull(world.repo, prM, { method: 'squash' });
  await recordMerge(world, prM, merge.mergeCommitSha);
  await claimTask(world, task('P'), 10);
  world.fake.commitToBranch(world.repo, branch('P'), { [file('P')]: 'p\n' }, 'P: work in progress');
  const jobX = await claimTask(world, task('X'), 10);
  const from = world.fake.calls.length;
  const hold = holdUndoOnce(world);
  const failed = await failJob(world, jobX.id);
  await hold.held();
  return { pbiId, cascadeId: failed.body.cascade.id as string, prO, prM, branch, from };
}

/** Every effect of the undo on GitHub, counted from the call log after `from` (answered calls only). */
function effects(world: CascadeWorld, pbi: Awaited<ReturnType<typeof failedPbi>>) {
  const after = (calls: ReturnType<typeof callsTo>) => calls.filter((c) => world.fake.calls.indexOf(c) >= pbi.from && c.status > 0 && c.status < 500);
  const repo = `/repos/${world.repo}`;
  return {
    closeO: after(callsTo(world, 'PATCH', `${repo}/pulls/${pbi.prO}`)).filter((c) => (c.requestBody as { state?: string })?.state === 'closed').length,
    commentO: after(callsTo(world, 'POST', `${repo}/issues/${pbi.prO}/comments`)).length,
    commentM: after(callsTo(world, 'POST', `${repo}/issues/${pbi.prM}/comments`)).length,
    revertPulls: after(callsTo(world, 'POST', `${repo}/pulls`)).length,
    deleteO: after(callsTo(world, 'DELETE', `${repo}/git/refs/heads/${pbi.branch('O')}`)).length,
    deleteP: after(callsTo(world, 'DELETE', `${repo}/git/refs/heads/${pbi.branch('P')}`)).length,
  };
}

const once = { closeO: 1, commentO: 1, commentM: 1, revertPulls: 1, deleteO: 1, deleteP: 1 };

describe.concurrent('overlapping runs of one cascade', { timeout: 300_000 }, () => {
  it('two runs at once (two replicas) split the steps: no effect twice', async () => {
    const world = await worldBeside(shared, 'overlap');
    const pbi = await failedPbi(world);
    world.fake.latencyMs = 40; // long enough for the runs to meet on every step
    try {
      const runs = await Promise.allSettled([
        runCascade(world.app.services, pbi.cascadeId, { attempt: 1, maxAttempts: 12 }),
        runCascade(other.services, pbi.cascadeId, { attempt: 1, maxAttempts: 12 }),
      ]);
      // a run that met a step the other held says so (the queue runs it again later)
      for (const run of runs) if (run.status === 'rejected') expect((run.reason as Error).name).toBe('CascadeStepsBusy');
    } finally {
      world.fake.latencyMs = 0;
    }
    const view = await cascadeDone(world, pbi.pbiId);
    expect(view.cascades[0].steps.map((s: { state: string }) => s.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(effects(world, pbi)).toEqual(once);
    expect(world.fake.comments(world.repo, pbi.prO)).toHaveLength(1);
    expect(world.fake.comments(world.repo, pbi.prM)).toHaveLength(1);
  });

  it('a run whose lock connection is terminated mid-step stops before its next write; the run that takes over does each effect once', async () => {
    const world = await worldBeside(shared, 'overlap');
    const pbi = await failedPbi(world);
    // the first run's read of O's PRs is slow: its lock is taken from it meanwhile
    world.fake.faults.inject({ method: 'GET', path: `/repos/${world.repo}/pulls`, times: 1, delayMs: 1500 });
    const first = runCascade(world.app.services, pbi.cascadeId, { attempt: 1, maxAttempts: 12 });
    // a step lock of this cascade (the other test's cascade holds its own)
    const lockHolder = await until('the first run to hold a step lock', async () => {
      const rows = await world.app.db.prisma.$queryRaw<{ pid: number }[]>`
        SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = hashtext('scrum4me:cascade-step')::oid
           AND objid IN (SELECT hashtext(id)::oid FROM cascade_steps WHERE cascade_id = ${pbi.cascadeId})`;
      return rows[0]?.pid;
    });
    await until('the slow read to be under way', async () => world.fake.calls.some((c) => c.method === 'GET' && c.path === `/repos/${world.repo}/pulls` && c.faulted && c.finishedAt === 0));
    await world.app.db.prisma.$queryRaw`SELECT pg_terminate_backend(${lockHolder}::int)`;
    const second = runCascade(other.services, pbi.cascadeId, { attempt: 1, maxAttempts: 12 });
    const [firstRun, secondRun] = await Promise.allSettled([first, second]);
    expect(firstRun.status).toBe('rejected'); // it lost its lock (and its connection): the queue would retry it
    // (the queue's own retry of the held undo may be running too: then one of them leaves the other's steps)
    if (secondRun.status === 'rejected') expect((secondRun.reason as Error).name).toBe('CascadeStepsBusy');

    const view = await cascadeDone(world, pbi.pbiId);
    expect(view.cascades[0].steps.map((s: { state: string }) => s.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(effects(world, pbi)).toEqual(once);
    const trace = await world.app.db.prisma.traceEntry.findMany({ where: { cascade_id: pbi.cascadeId } });
    expect(trace.map((t) => t.message).join('\n')).toContain('lost the lock of cascade step');
  });
});
