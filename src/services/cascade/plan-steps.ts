// What undoing a story branch means, from what we know of its pull request.
import type { CascadeStepAction, PullRequestState } from '../../generated/prisma/client.ts';

export function planStep(pr: { state: PullRequestState } | null): { action: CascadeStepAction } {
  if (!pr) return { action: 'DELETE_BRANCH' };
  if (pr.state === 'MERGED') return { action: 'REVERT_PR' };
  if (pr.state === 'OPEN') return { action: 'CLOSE_PR' };
  // closed without merging: nothing was merged, only the branch may remain
  return { action: 'DELETE_BRANCH' };
}

/** The branch name of a revert PR (S16). */
export function revertBranchName(originalBranch: string, failedJobId: string): string {
  return `revert/${originalBranch}-${failedJobId}`;
}
