// Whether a revert branch left by an earlier attempt already holds the finished revert, or must be reset.
import type { BranchHead } from './revert-git-port.ts';

export interface RevertExpectation {
  /** The base tip the revert must sit on. */
  baseSha: string;
  baseTreeSha: string;
  message: string;
  /** The revert's tree when known beforehand (fast path); otherwise only a merge could tell. */
  treeSha?: string;
}

/**
 * | tip's parents  | message | tree                               | decision |
 * |----------------|---------|------------------------------------|----------|
 * | exactly [base] | ours    | known and equal, or unknown and ≠ base tree | reuse |
 * | anything else  |         |                                    | reset    |
 *
 * Reuse is safe because the branch name is unique to one revert (`revert/<branch>-<job>`)
 * and only this service writes to it: a single-parent commit on today's base with our
 * message can only be our finished revert, whose tree is a function of (base, reverted
 * commits). A tip on an older base, a left-over temporary merge, or the bare base tip
 * (crash right after the branch was created) is reset and the revert redone.
 */
export function judgeExistingRevertBranch(tip: BranchHead, expected: RevertExpectation): 'reuse' | 'reset' {
  const onBase = tip.parents.length === 1 && tip.parents[0] === expected.baseSha;
  const ours = tip.message.trimEnd() === expected.message.trimEnd();
  const treeFits = expected.treeSha === undefined ? tip.treeSha !== expected.baseTreeSha : tip.treeSha === expected.treeSha;
  return onBase && ours && treeFits ? 'reuse' : 'reset';
}
