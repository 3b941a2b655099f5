// The no-clone revert of a merged pull request (SPEC S16, §9).
export { createRevertCommit, type MergeMethod, type RevertInput, type RevertResult } from './create-revert-commit.ts';
export { judgeExistingRevertBranch, type RevertExpectation } from './existing-revert-branch.ts';
export { RevertImpossible, type RevertImpossibleReason } from './errors.ts';
export type {
  BranchHead,
  CommitSummary,
  MergeBranchesOutcome,
  NewCommit,
  RepoCoordinates,
  RevertGitPort,
} from './revert-git-port.ts';
