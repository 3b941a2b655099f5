// One revert commit on top of the base branch as it is now, built through the Git Data API without a clone (SPEC §9, S16).
import { RevertImpossible } from './errors.ts';
import { judgeExistingRevertBranch, type RevertExpectation } from './existing-revert-branch.ts';
import type { BranchHead, CommitSummary, RepoCoordinates, RevertGitPort } from './revert-git-port.ts';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface RevertInput {
  owner: string;
  repo: string;
  baseBranch: string;
  /** Created by this function and written only by it (`revert/<original branch>-<failed job id>`). */
  revertBranch: string;
  merge: {
    method: MergeMethod;
    /** merge: the merge commit M; squash: the squash commit; rebase: the last rebased commit. */
    mergeCommitSha: string;
    /**
     * The commit whose tree the base had before the merge. Required for rebase (the parent
     * of the first rebased commit); for merge and squash M's first parent, read when omitted.
     */
    parentSha?: string;
  };
  /** The revert commit's message. */
  message: string;
}

export type RevertResult =
  /** The revert branch points at the revert commit (single parent: the base tip). */
  | { kind: 'created'; commitSha: string; treeSha: string; reused: boolean }
  /** The base already has the change undone; no branch is left. */
  | { kind: 'already_reverted' }
  /** The revert conflicts with later work on the base; no branch is left. */
  | { kind: 'conflict' };

/**
 * M = the merged commit, P = the commit before it (its tree is what to go back to),
 * B = the base tip now.
 *
 * - B's tree is P's tree: already reverted (no writes).
 * - B is M: the revert is commit(P.tree, parent B).
 * - otherwise: C = commit(P.tree, parent M) is the revert of M on top of M; the revert
 *   branch is created at B and C merged into it by GitHub (`POST /merges`, merge base M:
 *   the same three-way merge `git revert` does). 409 = conflict; merge tree = B's tree =
 *   already reverted; both delete the branch. Else commit(merge tree, parent B) and
 *   force the branch to it.
 *
 * Calls per path are listed in docs/revert.md. Throws RevertImpossible for bad input and
 * GitHub's errors for the rest, after deleting a revert branch it may have left behind.
 */
export async function createRevertCommit(github: RevertGitPort, input: RevertInput): Promise<RevertResult> {
  if (input.revertBranch === input.baseBranch) {
    throw new RevertImpossible('revert_branch_is_base', `${input.revertBranch} is the base branch`);
  }
  const repo: RepoCoordinates = { owner: input.owner, repo: input.repo };
  const [before, base] = await Promise.all([
    commitBeforeMerge(github, repo, input.merge),
    github.getBranchHead(repo, input.baseBranch),
  ]);
  if (!base) throw new RevertImpossible('base_branch_missing', `${input.owner}/${input.repo}@${input.baseBranch}`);

  // Both sides of the three-way merge would carry P's tree, so the result is B's tree.
  if (base.treeSha === before.treeSha) return { kind: 'already_reverted' };

  const expectation: RevertExpectation = { baseSha: base.sha, baseTreeSha: base.treeSha, message: input.message };
  try {
    if (base.sha === input.merge.mergeCommitSha) {
      return await revertOnTopOfMerge(github, repo, input, base, before, expectation);
    }
    return await revertThroughServerMerge(github, repo, input, base, before, expectation);
  } catch (error) {
    // Leave nothing half-made; a later attempt starts clean (and would reset the branch anyway).
    await github.deleteRef(repo, input.revertBranch).catch(() => undefined);
    throw error;
  }
}

/** P: from `parentSha` (1 call), or as M's first parent (2 calls). */
async function commitBeforeMerge(
  github: RevertGitPort,
  repo: RepoCoordinates,
  merge: RevertInput['merge'],
): Promise<CommitSummary> {
  if (merge.parentSha) return github.getCommit(repo, merge.parentSha);
  if (merge.method === 'rebase') {
    throw new RevertImpossible('rebase_parent_missing', `no parentSha for rebased ${merge.mergeCommitSha}`);
  }
  const merged = await github.getCommit(repo, merge.mergeCommitSha);
  const first = merged.parents[0];
  if (!first) throw new RevertImpossible('root_commit', `${merge.mergeCommitSha} has no parent`);
  return github.getCommit(repo, first);
}

async function revertOnTopOfMerge(
  github: RevertGitPort,
  repo: RepoCoordinates,
  input: RevertInput,
  base: BranchHead,
  before: CommitSummary,
  expectation: RevertExpectation,
): Promise<RevertResult> {
  const revert = await github.createCommit(repo, { message: input.message, treeSha: before.treeSha, parents: [base.sha] });
  const reusable = await claimRevertBranch(github, repo, input.revertBranch, revert.sha, {
    ...expectation,
    treeSha: before.treeSha,
  });
  if (reusable) return { kind: 'created', commitSha: reusable.sha, treeSha: reusable.treeSha, reused: true };
  return { kind: 'created', commitSha: revert.sha, treeSha: revert.treeSha, reused: false };
}

async function revertThroughServerMerge(
  github: RevertGitPort,
  repo: RepoCoordinates,
  input: RevertInput,
  base: BranchHead,
  before: CommitSummary,
  expectation: RevertExpectation,
): Promise<RevertResult> {
  const merged = input.merge.mergeCommitSha;
  const undo = await github.createCommit(repo, {
    message: `Undo ${merged} (temporary commit for a server-side revert)`,
    treeSha: before.treeSha,
    parents: [merged],
  });
  // The revert branch itself is the merge's temporary target: it starts at B.
  const reusable = await claimRevertBranch(github, repo, input.revertBranch, base.sha, expectation);
  if (reusable) return { kind: 'created', commitSha: reusable.sha, treeSha: reusable.treeSha, reused: true };

  const outcome = await github.mergeBranches(repo, {
    base: input.revertBranch,
    head: undo.sha,
    message: `Temporary merge for the revert of ${merged}`,
  });
  if (outcome.kind === 'conflict') {
    await github.deleteRef(repo, input.revertBranch);
    return { kind: 'conflict' };
  }
  if (outcome.kind === 'nothing') {
    throw new RevertImpossible('unexpected_merge_result', `${input.revertBranch} already contained ${undo.sha}`);
  }
  if (outcome.commit.treeSha === base.treeSha) {
    await github.deleteRef(repo, input.revertBranch);
    return { kind: 'already_reverted' };
  }
  const revert = await github.createCommit(repo, {
    message: input.message,
    treeSha: outcome.commit.treeSha,
    parents: [base.sha],
  });
  await github.updateRef(repo, input.revertBranch, revert.sha, { force: true });
  return { kind: 'created', commitSha: revert.sha, treeSha: revert.treeSha, reused: false };
}

/**
 * Points the revert branch at `sha`: creates it, or, when an earlier attempt left it
 * behind, either returns its tip as the finished revert to reuse or forces it to `sha`.
 */
async function claimRevertBranch(
  github: RevertGitPort,
  repo: RepoCoordinates,
  branch: string,
  sha: string,
  expectation: RevertExpectation,
): Promise<BranchHead | null> {
  if ((await github.createRef(repo, branch, sha)) === 'created') return null;
  const existing = await github.getBranchHead(repo, branch);
  if (existing === null) {
    // Deleted between our two calls: take the name again once, else let the caller retry.
    if ((await github.createRef(repo, branch, sha)) === 'created') return null;
    throw new Error(`revert branch ${branch} keeps changing under the revert`);
  }
  if (judgeExistingRevertBranch(existing, expectation) === 'reuse') return existing;
  await github.updateRef(repo, branch, sha, { force: true });
  return null;
}
