// How a merged PR landed on its base, read from GitHub once because the revert
// needs it. The merge commit M tells most of it:
//   2 parents                      → MERGE,  parent = M's first parent
//   1 parent, and walking back from M the commits are copies of the PR's own
//   N commits (same message, same author name, email and date: what a rebase
//   keeps and a squash does not) → REBASE, parent = the commit below the Nth
//   1 parent, otherwise            → SQUASH, parent = M's parent
// A one-commit PR rebased or squashed reverts the same way; either answer is safe.
// Calls: GET git/commits/{M} (a merge commit: done); GET pulls/{n}/commits (one
// page per 100 commits); a rebase of N commits then N-1 more GET git/commits.
import type { MergeMethod } from '../../generated/prisma/client.ts';
import type { InstallationGitHub, Repo } from '../github/port.ts';

export interface MergeShape {
  method: MergeMethod;
  /** the base before the merge: M's first parent, or the commit the rebased ones sit on */
  parentSha: string;
}

export type MergeShapeResult = MergeShape | { method: null; reason: string };

interface CommitFacts {
  message: string;
  author: { name?: string; email?: string; date?: string } | null | undefined;
}

/** GitHub lists at most this many commits of a pull request. */
const listedCommitLimit = 250;

export async function readMergeShape(
  github: Pick<InstallationGitHub, 'readCommit' | 'listPullRequestCommits'>,
  repo: Repo,
  pull: { number: number; mergeCommitSha: string; commits?: number | null },
  options: { signal?: AbortSignal } = {},
): Promise<MergeShapeResult> {
  const getCommit = (sha: string) => github.readCommit(repo, sha, options);

  const merge = await getCommit(pull.mergeCommitSha);
  if (merge.parents.length >= 2) return { method: 'MERGE', parentSha: merge.parents[0]!.sha };
  if (merge.parents.length === 0) return { method: null, reason: `merge commit ${pull.mergeCommitSha} has no parent` };

  const prCommits = await github.listPullRequestCommits(repo, pull.number, options);
  if (prCommits.length === 0) return { method: 'SQUASH', parentSha: merge.parents[0]!.sha };
  if ((pull.commits ?? 0) > prCommits.length || prCommits.length >= listedCommitLimit) {
    // GitHub lists only the oldest 250: the newest, which the merge commit copies, are unknown
    return { method: null, reason: `PR #${pull.number} has more commits than GitHub lists (${listedCommitLimit})` };
  }

  let copy: { sha: string; parents: { sha: string }[] } & CommitFacts = merge;
  for (let i = prCommits.length - 1; i >= 0; i--) {
    if (!sameCommitFacts(copy, prCommits[i]!.commit) || copy.parents.length !== 1) {
      return { method: 'SQUASH', parentSha: merge.parents[0]!.sha };
    }
    if (i > 0) copy = await getCommit(copy.parents[0]!.sha);
  }
  return { method: 'REBASE', parentSha: copy.parents[0]!.sha };
}

/** What a rebase keeps of a commit: its message and its author, to the second. */
export function sameCommitFacts(a: CommitFacts, b: CommitFacts): boolean {
  if (a.message !== b.message) return false;
  if (!a.author || !b.author) return false;
  const time = (value: string | undefined) => (value ? new Date(value).getTime() : Number.NaN);
  return a.author.name === b.author.name && a.author.email === b.author.email && time(a.author.date) === time(b.author.date);
}
