// Pure decisions of the status call (seed: checkVerifyGate, resolveNextAction,
// worktree cleanup), kept free of I/O so they can be table-tested.
import type { JobStatus, VerifyRequired, VerifyResult } from '../../generated/prisma/client.ts';

export const summaryMinLength = 20;

export type GateDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * S4, the verify gate on `done` for task jobs:
 *   no verify result              → reject (verify first)
 *   EMPTY                         → allowed only for verify_only tasks
 *   ALIGNED                       → allowed
 *   PARTIAL / DIVERGENT, required:
 *     ANY                         → allowed
 *     ALIGNED                     → reject
 *     ALIGNED_OR_PARTIAL          → needs a summary of ≥ 20 characters explaining the drift
 */
export function checkVerifyGate(
  verifyResult: VerifyResult | null,
  verifyOnly: boolean,
  verifyRequired: VerifyRequired,
  summary: string | undefined,
): GateDecision {
  if (verifyResult === null) {
    return { allowed: false, reason: 'verify the job first (POST /api/v1/jobs/{id}/verify) before marking it done' };
  }
  if (verifyResult === 'EMPTY') {
    return verifyOnly
      ? { allowed: true }
      : {
          allowed: false,
          reason: 'verify found no changes (empty); change the implementation, or mark the task verify_only',
        };
  }
  if (verifyResult === 'ALIGNED' || verifyRequired === 'ANY') return { allowed: true };
  const found = verifyResult.toLowerCase();
  if (verifyRequired === 'ALIGNED') {
    return {
      allowed: false,
      reason: `the task requires aligned but verify gave ${found}; cover every plan path, or relax verify_required to aligned_or_partial or any`,
    };
  }
  if (!summary || summary.trim().length < summaryMinLength) {
    return {
      allowed: false,
      reason: `verify gave ${found}: give a summary of at least ${summaryMinLength} characters explaining why the implementation differs from the plan, or relax verify_required to any`,
    };
  }
  return { allowed: true };
}

export type NextAction = 'idle' | 'wait_for_job_again' | 'queue_empty';

/** S12 */
export function resolveNextAction(reported: 'running' | 'done' | 'failed', queuedJobsOfUser: number): NextAction {
  if (reported === 'running') return 'idle';
  return queuedJobsOfUser > 0 ? 'wait_for_job_again' : 'queue_empty';
}

/** S11: keep the worktree while siblings of the story still need it. */
export function worktreeAdvice(activeSiblingsInStory: number): 'keep' | 'remove' {
  return activeSiblingsInStory > 0 ? 'keep' : 'remove';
}

export const activeStatuses: JobStatus[] = ['QUEUED', 'CLAIMED', 'RUNNING'];
export const reportableStatuses: JobStatus[] = ['CLAIMED', 'RUNNING'];

/** S6: the outcome of checking the reported branch on GitHub. */
export type PushCheck =
  | { kind: 'pushed'; aheadBy: number }
  | { kind: 'no_changes' }
  | { kind: 'failed'; reason: string; detail: string };

export function pushFailedMessage(reason: string, detail: string): string {
  return `push failed (${reason}): ${detail.slice(0, 200)}`;
}
