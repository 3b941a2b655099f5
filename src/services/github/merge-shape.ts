// How a merged PR landed on its base, read from GitHub once, because the
// revert needs it: a merge commit (2 parents), a squash (1 commit with the
// PR's changes) or a rebase (the PR's N commits replayed; P is N commits back).
//   GET git/commits/{merge sha}; for one parent also GET pulls/{n}/commits,
//   and for a rebase of N commits, N-1 more GET git/commits.
import type { MergeMethod } from '../../generated/prisma/client.ts';
import type { Octokit } from './access.ts';

export interface MergeShape {
  method: MergeMethod;
  /** the base before the merge: first parent (merge, squash) or the commit before the rebased ones */
  parentSha: string;
}

export async function readMergeShape(octokit: Octokit, repo: { owner: string; repo: string }, pullNumber: number, mergeCommitSha: string): Promise<MergeShape> {
  const merge = (await octokit.rest.git.getCommit({ ...repo, commit_sha: mergeCommitSha })).data;
  if (merge.parents.length >= 2) return { method: 'MERGE', parentSha: merge.parents[0]!.sha };
  const prCommits = (await octokit.rest.pulls.listCommits({ ...repo, pull_number: pullNumber, per_page: 100 })).data;
  const last = prCommits.at(-1);
  const replayed = prCommits.length > 1 && last !== undefined && last.commit.message === merge.message && last.sha !== merge.sha;
  if (!replayed) return { method: 'SQUASH', parentSha: merge.parents[0]!.sha };
  // rebase: walk back over the N replayed commits
  let parentSha = merge.parents[0]!.sha;
  for (let i = 1; i < prCommits.length; i++) {
    parentSha = (await octokit.rest.git.getCommit({ ...repo, commit_sha: parentSha })).data.parents[0]!.sha;
  }
  return { method: 'REBASE', parentSha };
}
