// What undoing a story branch means, decided right before the step acts, from
// GitHub's answer of that moment (SPEC §6 "act on fresh state"), never from
// the plan made when the cascade opened.
import type { CascadeStepAction } from '../../generated/prisma/client.ts';

export type DecidedAction = Exclude<CascadeStepAction, 'SKIP'>;

/** A decision, saved in the step's progress before its first effect. */
export interface StepDecision {
  action: DecidedAction;
  /** the PR acted on; null for a branch without one */
  pull: number | null;
}

export interface FreshPullState {
  number: number;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
}

/**
 * | decided earlier       | GitHub now (PRs of the branch, own repository) | decision                   |
 * |-----------------------|------------------------------------------------|----------------------------|
 * | REVERT_PR n           | anything                                       | REVERT_PR n (resume)       |
 * | CLOSE_PR n            | n merged                                       | REVERT_PR n                |
 * | CLOSE_PR n            | n open or closed                               | CLOSE_PR n (closed: no close call) |
 * | none or DELETE_BRANCH | newest open                                    | CLOSE_PR newest            |
 * | none or DELETE_BRANCH | newest merged                                  | REVERT_PR newest           |
 * | none or DELETE_BRANCH | newest closed unmerged, or no PR               | DELETE_BRANCH              |
 *
 * A close or revert once begun is seen through on that PR: after a close whose
 * answer was lost, GitHub shows the PR closed, and the step must still comment
 * and delete the branch rather than take it for a PR a person closed.
 */
export function decideStep(pulls: readonly FreshPullState[], earlier: StepDecision | undefined): StepDecision {
  if (earlier?.action === 'REVERT_PR' && earlier.pull !== null) return earlier;
  if (earlier?.action === 'CLOSE_PR' && earlier.pull !== null) {
    const same = pulls.find((pull) => pull.number === earlier.pull);
    return same?.state === 'MERGED' ? { action: 'REVERT_PR', pull: same.number } : earlier;
  }
  const newest = pulls[0];
  if (!newest) return { action: 'DELETE_BRANCH', pull: null };
  if (newest.state === 'OPEN') return { action: 'CLOSE_PR', pull: newest.number };
  if (newest.state === 'MERGED') return { action: 'REVERT_PR', pull: newest.number };
  // closed without merging: nothing was merged, only the branch may remain
  return { action: 'DELETE_BRANCH', pull: newest.number };
}

export const sameDecision = (a: StepDecision | undefined, b: StepDecision) => a?.action === b.action && a.pull === b.pull;
