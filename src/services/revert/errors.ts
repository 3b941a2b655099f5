// The ways a revert can be impossible before or apart from a merge conflict.

export type RevertImpossibleReason =
  /** The revert branch would be the base branch itself. */
  | 'revert_branch_is_base'
  /** The base branch does not exist (any more). */
  | 'base_branch_missing'
  /** A rebase merge needs the commit before the first rebased one (`parentSha`). */
  | 'rebase_parent_missing'
  /** The merge commit has no parent: nothing to revert to. */
  | 'root_commit'
  /** GitHub said the revert branch already contained the temporary revert commit. */
  | 'unexpected_merge_result';

export class RevertImpossible extends Error {
  constructor(
    readonly reason: RevertImpossibleReason,
    detail: string,
  ) {
    super(`revert impossible (${reason}): ${detail}`);
    this.name = 'RevertImpossible';
  }
}
