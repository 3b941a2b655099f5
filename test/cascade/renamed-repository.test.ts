// SPEC §6 / S19: a repository is its GitHub id. After a rename the cascade
// still undoes everything; a name that now answers for another repository is
// never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascadeDone, claimTask, failJob, finishTask, newPbi, prNumber, startCascadeWorld, stepOf, type CascadeWorld } from './support.ts';

let renamed: CascadeWorld;
let taken: CascadeWorld;
beforeAll(async () => {
  [renamed, taken] = await Promise.all([startCascadeWorld('acme/before'), startCascadeWorld('acme/old-name')]);
});
afterAll(async () => {
  await Promise.all([renamed?.close(), taken?.close()]);
});

describe('the cascade and a renamed repository', { timeout: 300_000 }, () => {
  it('undoes every branch after the repository was renamed, with webhooks carrying the new name', async () => {
    const world = renamed;
    const { pbiId, task, branch, file } = await newPbi(world, ['O', 'P', 'X']);
    const jobO = await claimTask(world, task('O'), 10);
    const prO = prNumber((await finishTask(world, jobO, [{ [file('O')]: 'o\n' }], 'Change O')).pr_url);
    await claimTask(world, task('P'), 10);
    world.fake.commitToBranch(world.repo, branch('P'), { [file('P')]: 'p\n' }, 'P: work in progress');
    const jobX = await claimTask(world, task('X'), 10);

    const rename = world.fake.renameRepo('acme/before', 'after');
    expect(rename.id).toBe(world.fake.repoId('acme/after'));
    // what a pull_request webhook after the rename records: the new name (the product may still hold the old one)
    await world.app.db.prisma.pullRequest.updateMany({ where: { product_id: world.productId }, data: { repo: 'acme/after', head_repo: 'acme/after' } });

    await failJob(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    expect(stepOf(view, branch('O'))).toMatchObject({ action: 'close_pr', state: 'done', warning: null });
    expect(stepOf(view, branch('P'))).toMatchObject({ action: 'delete_branch', state: 'done', warning: null });
    expect(world.fake.pull('acme/after', prO).state).toBe('closed');
    expect(world.fake.comments('acme/after', prO)).toHaveLength(1);
    for (const code of ['O', 'P']) expect(world.fake.branchSha('acme/after', branch(code))).toBeNull();
  });

  it('touches nothing when the old name now answers for another repository', async () => {
    const world = taken;
    const { pbiId, task, branch, file } = await newPbi(world, ['P', 'X']);
    await claimTask(world, task('P'), 10);
    world.fake.commitToBranch(world.repo, branch('P'), { [file('P')]: 'p\n' }, 'P: work in progress');
    const jobX = await claimTask(world, task('X'), 10);
    // the product's repository moves away; someone creates a new one under the old name, with a branch of that name
    world.fake.renameRepo('acme/old-name', 'new-name', { redirectOldName: false });
    world.fake.createRepo('acme/old-name');
    world.fake.commitToBranch('acme/old-name', branch('P'), { 'theirs.txt': 'not ours\n' }, 'their work');
    world.fake.clearCalls();

    await failJob(world, jobX.id);
    const view = await cascadeDone(world, pbiId);
    for (const code of ['P', 'X']) {
      expect(stepOf(view, branch(code))).toMatchObject({ action: 'skip', state: 'skipped', warning: expect.stringContaining('not touched') });
    }
    expect(world.fake.branchSha('acme/old-name', branch('P'))).not.toBeNull();
    expect(world.fake.branchSha('acme/new-name', branch('P'))).not.toBeNull();
    // one read named the repository and showed it is not the product's: no other call to it
    const writes = world.fake.calls.filter((c) => c.method !== 'GET' && !c.path.includes('/access_tokens') && !c.path.includes('/check-runs'));
    expect(writes).toEqual([]);
  });
});
