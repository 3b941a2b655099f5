import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { octokitRevertPort } from '../../../src/services/github/revert-git.ts';
import { createRevertCommit, RevertImpossible, type RevertInput } from '../../../src/services/revert/index.ts';
import { startFakeGitHub, type FakeGitHub, type MergeMethod } from '../../support/fake-github/index.ts';
import { branchesStartingWith, gitRevert } from './git-revert-oracle.ts';
import { FEATURE_LINES, lines, mergedPullRequest, octokitFor, ROUTE, routeCounts, type MergedScenario } from './scenario.ts';

let fake: FakeGitHub;

beforeAll(async () => {
  fake = await startFakeGitHub();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.clearCalls();
  fake.faults.clear();
});

const REVERT_BRANCH = 'revert/feature/login-job42';
const MESSAGE = 'Revert "Login"\n\nThis reverts pull request #1.';

function inputFor(scenario: MergedScenario): RevertInput {
  return {
    owner: scenario.owner,
    repo: scenario.repo,
    baseBranch: 'main',
    revertBranch: REVERT_BRANCH,
    merge: scenario.merge,
    message: MESSAGE,
  };
}

function revert(scenario: MergedScenario, baseUrl = fake.url) {
  return createRevertCommit(octokitRevertPort(octokitFor(baseUrl)), inputFor(scenario));
}

/** The reads every path starts with: M and P for merge/squash, only P when P is given (rebase). */
function reads(method: MergeMethod): Record<string, number> {
  return { [ROUTE.getCommit]: method === 'rebase' ? 1 : 2, [ROUTE.getBranch]: 1 };
}

function withWrites(method: MergeMethod, writes: Record<string, number>): Record<string, number> {
  const counts = { ...reads(method) };
  for (const [route, count] of Object.entries(writes)) counts[route] = (counts[route] ?? 0) + count;
  return counts;
}

describe.each<MergeMethod>(['merge', 'squash', 'rebase'])('revert of a %s merge', (method) => {
  it('gives the tree real git revert gives, as one commit on the moved-on base, in 5 writes', async () => {
    const scenario = mergedPullRequest(fake, method);
    const baseTip = fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n', 'd.txt': 'd\n' }, 'chore: unrelated work');
    fake.clearCalls();

    const result = await revert(scenario);

    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    expect(expected.kind).toBe('clean');
    if (result.kind !== 'created' || expected.kind !== 'clean') throw new Error(`unexpected ${result.kind}`);
    expect(result.treeSha).toBe(expected.treeSha);
    const commit = fake.readCommit(scenario.fullName, result.commitSha);
    expect(commit.parents).toEqual([baseTip]);
    expect(commit.message).toBe(MESSAGE);
    expect(fake.branchSha(scenario.fullName, REVERT_BRANCH)).toBe(result.commitSha);
    expect(fake.branchSha(scenario.fullName, 'main')).toBe(baseTip);
    expect(routeCounts(fake.callRoutes())).toEqual(
      withWrites(method, { [ROUTE.createCommit]: 2, [ROUTE.createRef]: 1, [ROUTE.merge]: 1, [ROUTE.updateRef]: 1 }),
    );
  });

  it('takes the fast path when the base is still the merge: one commit with the pre-merge tree, 2 writes', async () => {
    const scenario = mergedPullRequest(fake, method);
    fake.clearCalls();

    const result = await revert(scenario);

    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    if (result.kind !== 'created' || expected.kind !== 'clean') throw new Error(`unexpected ${result.kind}`);
    expect(result.treeSha).toBe(expected.treeSha);
    expect(fake.readCommit(scenario.fullName, result.commitSha).parents).toEqual([scenario.outcome.mergeCommitSha]);
    expect(routeCounts(fake.callRoutes())).toEqual(withWrites(method, { [ROUTE.createCommit]: 1, [ROUTE.createRef]: 1 }));
  });

  it('reports a conflict when the base changed the same lines later, and leaves no branch', async () => {
    const scenario = mergedPullRequest(fake, method);
    fake.commitToBranch(scenario.fullName, 'main', { 'a.txt': lines({ ...FEATURE_LINES, 2: 'two (rewritten later)' }) }, 'fix: reword two');
    fake.clearCalls();

    const result = await revert(scenario);

    expect(gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs).kind).toBe('conflict');
    expect(result).toEqual({ kind: 'conflict' });
    expect(branchesStartingWith(fake.gitDir(scenario.fullName), 'revert/')).toEqual([]);
    expect(routeCounts(fake.callRoutes())).toEqual(
      withWrites(method, { [ROUTE.createCommit]: 1, [ROUTE.createRef]: 1, [ROUTE.merge]: 1, [ROUTE.deleteRef]: 1 }),
    );
  });

  it('reports already reverted when the base undid the change and moved on, and leaves no branch', async () => {
    const scenario = mergedPullRequest(fake, method);
    fake.commitToBranch(scenario.fullName, 'main', { 'a.txt': lines(), 'dir/new.txt': null }, 'Revert login by hand');
    fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc3\n' }, 'chore: more work');
    fake.clearCalls();

    const result = await revert(scenario);

    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    if (expected.kind !== 'clean') throw new Error('git revert conflicted');
    expect(expected.treeSha).toBe(expected.baseTreeSha);
    expect(result).toEqual({ kind: 'already_reverted' });
    expect(branchesStartingWith(fake.gitDir(scenario.fullName), 'revert/')).toEqual([]);
    expect(routeCounts(fake.callRoutes())).toEqual(
      withWrites(method, { [ROUTE.createCommit]: 1, [ROUTE.createRef]: 1, [ROUTE.merge]: 1, [ROUTE.deleteRef]: 1 }),
    );
  });

  it('reports already reverted without writing when the base has exactly the pre-merge tree', async () => {
    const scenario = mergedPullRequest(fake, method);
    fake.commitToBranch(scenario.fullName, 'main', { 'a.txt': lines(), 'dir/new.txt': null }, 'Revert login by hand');
    fake.clearCalls();

    const result = await revert(scenario);

    expect(result).toEqual({ kind: 'already_reverted' });
    expect(routeCounts(fake.callRoutes())).toEqual(reads(method));
  });
});

describe('revert resumed after an earlier attempt', () => {
  it('reuses the finished revert an earlier attempt left, without writing again', async () => {
    const scenario = mergedPullRequest(fake, 'merge');
    fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n' }, 'chore: unrelated work');
    const first = await revert(scenario);
    fake.clearCalls();

    const second = await revert(scenario);

    if (first.kind !== 'created') throw new Error(first.kind);
    expect(second).toEqual({ ...first, reused: true });
    expect(fake.branchSha(scenario.fullName, REVERT_BRANCH)).toBe(first.commitSha);
    // The temporary commit is made before the branch turns out to exist; it stays unreachable.
    expect(routeCounts(fake.callRoutes())).toEqual(withWrites('merge', { [ROUTE.createCommit]: 1, [ROUTE.createRef]: 1, [ROUTE.getBranch]: 1 }));
  });

  it('redoes the revert on the current base when the branch holds a revert of an older base', async () => {
    const scenario = mergedPullRequest(fake, 'squash');
    fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n' }, 'chore: unrelated work');
    const first = await revert(scenario);
    const baseTip = fake.commitToBranch(scenario.fullName, 'main', { 'd.txt': 'd\n' }, 'chore: later work');
    fake.clearCalls();

    const second = await revert(scenario);

    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    if (second.kind !== 'created' || expected.kind !== 'clean' || first.kind !== 'created') throw new Error('unexpected');
    expect(second.reused).toBe(false);
    expect(second.commitSha).not.toBe(first.commitSha);
    expect(second.treeSha).toBe(expected.treeSha);
    expect(fake.readCommit(scenario.fullName, second.commitSha).parents).toEqual([baseTip]);
    expect(routeCounts(fake.callRoutes())).toEqual(
      withWrites('squash', {
        [ROUTE.createCommit]: 2,
        [ROUTE.createRef]: 1,
        [ROUTE.getBranch]: 1,
        [ROUTE.updateRef]: 2,
        [ROUTE.merge]: 1,
      }),
    );
  });

  it('resets a branch left pointing at the base by a crash right after it was created', async () => {
    const scenario = mergedPullRequest(fake, 'rebase');
    const baseTip = fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n' }, 'chore: unrelated work');
    await octokitFor(fake.url).rest.git.createRef({ owner: scenario.owner, repo: scenario.repo, ref: `refs/heads/${REVERT_BRANCH}`, sha: baseTip });

    const result = await revert(scenario);

    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    if (result.kind !== 'created' || expected.kind !== 'clean') throw new Error('unexpected');
    expect(result).toMatchObject({ treeSha: expected.treeSha, reused: false });
    expect(fake.readCommit(scenario.fullName, result.commitSha).parents).toEqual([baseTip]);
  });

  it('deletes the branch when GitHub fails mid-way (merge done, answer lost), and the retry finishes', async () => {
    const scenario = mergedPullRequest(fake, 'merge');
    fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n' }, 'chore: unrelated work');
    fake.faults.inject({ route: ROUTE.merge, status: 502, afterEffect: true });

    await expect(revert(scenario)).rejects.toMatchObject({ status: 502 });
    expect(fake.branchSha(scenario.fullName, REVERT_BRANCH)).toBeNull();

    const retried = await revert(scenario);
    const expected = gitRevert(fake.gitDir(scenario.fullName), 'main', scenario.revertArgs);
    if (retried.kind !== 'created' || expected.kind !== 'clean') throw new Error('unexpected');
    expect(retried.treeSha).toBe(expected.treeSha);
  });
});

describe('revert input and environment', () => {
  it('works against GitHub Enterprise Server paths (/api/v3)', async () => {
    const scenario = mergedPullRequest(fake, 'merge');
    fake.commitToBranch(scenario.fullName, 'main', { 'c.txt': 'c\nc2\n' }, 'chore: unrelated work');
    fake.clearCalls();

    const result = await revert(scenario, fake.enterpriseUrl);

    expect(result.kind).toBe('created');
    expect(fake.calls.every((call) => call.enterprise)).toBe(true);
  });

  it('refuses a rebase merge without the commit before the rebased ones', async () => {
    const scenario = mergedPullRequest(fake, 'rebase');
    const input = { ...inputFor(scenario), merge: { method: 'rebase' as const, mergeCommitSha: scenario.outcome.mergeCommitSha } };

    await expect(createRevertCommit(octokitRevertPort(octokitFor(fake.url)), input)).rejects.toMatchObject({
      reason: 'rebase_parent_missing',
    });
  });

  it('refuses a missing base branch and a revert branch that is the base', async () => {
    const scenario = mergedPullRequest(fake, 'merge');
    const port = octokitRevertPort(octokitFor(fake.url));

    await expect(createRevertCommit(port, { ...inputFor(scenario), baseBranch: 'gone' })).rejects.toBeInstanceOf(RevertImpossible);
    await expect(createRevertCommit(port, { ...inputFor(scenario), revertBranch: 'main' })).rejects.toMatchObject({
      reason: 'revert_branch_is_base',
    });
    expect(fake.branchSha(scenario.fullName, 'main')).toBe(scenario.outcome.mergeCommitSha);
  });
});
