// The branch name of a revert PR (S16).
export function revertBranchName(originalBranch: string, failedJobId: string): string {
  return `revert/${originalBranch}-${failedJobId}`;
}
