// Pure decisions of the status call (seed: checkVerifyGate, resolveNextAction,
// worktree cleanup, and who may report what: decideStatusReport), kept free of
// I/O so they can be table-tested. Both status paths decide with these: the
// full path in TypeScript, the one-statement path through SQL conditions made
// from the same constants (src/db/sql/job-status-conditions.ts), and with
// decideStatusReport again when its statement changed nothing.
import type { JobKind, JobStatus, VerifyRequired, VerifyResult } from '../../generated/prisma/client.ts';
import { DomainError, jobNotFound, permissionDenied, validationFailed } from '../errors.ts';

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

/** S11: a story's jobs that still need its worktree. */
export const activeStatuses: JobStatus[] = ['QUEUED', 'CLAIMED', 'RUNNING'];
/** S12: the jobs an agent could claim next. */
export const queuedStatus: JobStatus = 'QUEUED';
/** S1: the statuses a job is reported from (the rest are terminal, or not claimed yet). */
export const reportableStatuses: JobStatus[] = ['CLAIMED', 'RUNNING'];
/** S4/S6: the kinds whose `done` passes the verify gate and the push check on GitHub (the full path). */
export const gatedKinds: JobKind[] = ['TASK_IMPLEMENTATION'];
/** S8: the status that starts the clock (started_at); every other transition stops it (finished_at). */
export const startedStatus: JobStatus = 'RUNNING';

export type ReportedStatus = 'running' | 'done' | 'failed';

export const statusOfReport = (reported: ReportedStatus): JobStatus =>
  reported === 'running' ? 'RUNNING' : reported === 'done' ? 'DONE' : 'FAILED';

/** S8: the time column a transition to `to` sets. */
export const clockColumnOf = (to: JobStatus): 'started_at' | 'finished_at' => (to === startedStatus ? 'started_at' : 'finished_at');

/** What decideStatusReport reads of the job (a row, or the one-statement path's snapshot of it). */
export interface StatusSnapshot {
  user_id: string;
  status: JobStatus;
  claimed_by_token_id: string | null;
  kind: JobKind;
  /** the branch of the job's story; null for jobs without a story (ideas) */
  story_branch: string | null;
}

export type StatusDecision =
  | { kind: 'rejected'; error: DomainError }
  | {
      kind: 'transition';
      from: JobStatus;
      to: JobStatus;
      /** one statement: nothing but the job to write; the transaction: GitHub first (S4, S6) or side records (S5, S13) */
      path: 'one-statement' | 'transaction';
    };

/**
 * S1–S3, in the seed's order; the first that holds refuses:
 *   no job, or another user's job       → JOB_NOT_FOUND (404, the same answer for both)
 *   claimed by another token (S2)       → PERMISSION_DENIED
 *   CANCELLED (S3)                      → JOB_CANCELLED
 *   not CLAIMED or RUNNING (S1)         → JOB_TERMINAL
 * null: this token may act on the job (report, verify, fetch a git token).
 */
export function reportRefusal(
  jobId: string,
  job: Pick<StatusSnapshot, 'user_id' | 'status' | 'claimed_by_token_id'> | null,
  auth: { userId: string; tokenId: string },
): DomainError | null {
  if (!job || job.user_id !== auth.userId) return jobNotFound(jobId);
  if (job.claimed_by_token_id !== auth.tokenId) return permissionDenied(`job ${jobId} is not claimed by this token`);
  if (job.status === 'CANCELLED') {
    return new DomainError('JOB_CANCELLED', 'the job was cancelled by the PBI fail-cascade; discard your local changes and claim the next job');
  }
  if (!reportableStatuses.includes(job.status)) return new DomainError('JOB_TERMINAL', `Job is already in terminal state: ${job.status.toLowerCase()}`);
  return null;
}

/**
 * A status report: reportRefusal's refusals first, then
 *   a branch that is not the story's    → VALIDATION_FAILED
 *   otherwise the transition to the reported status, by:
 *     running                           → one statement
 *     done of an ungated kind (ideas)   → one statement
 *     done of a gated kind (tasks)      → transaction (verify gate, push check)
 *     failed                            → transaction (idea state, cascade)
 */
export function decideStatusReport(
  jobId: string,
  job: StatusSnapshot | null,
  auth: { userId: string; tokenId: string },
  report: { status: ReportedStatus; branch?: string | undefined },
): StatusDecision {
  const refusal = reportRefusal(jobId, job, auth);
  if (refusal || !job) return { kind: 'rejected', error: refusal ?? jobNotFound(jobId) };
  if (report.branch !== undefined && report.branch !== job.story_branch) {
    const expected = job.story_branch;
    return {
      kind: 'rejected',
      error: validationFailed(`branch must be the story's branch ${expected ?? '(none: idea jobs have no branch)'}`, [
        { path: 'branch', message: `expected ${expected ?? 'no branch'}` },
      ]),
    };
  }
  const to = statusOfReport(report.status);
  const oneStatement = to === startedStatus || (to === 'DONE' && !gatedKinds.includes(job.kind));
  return { kind: 'transition', from: job.status, to, path: oneStatement ? 'one-statement' : 'transaction' };
}

/** S6: the outcome of checking the reported branch on GitHub. */
export type PushCheck =
  | { kind: 'pushed'; aheadBy: number }
  | { kind: 'no_changes' }
  | { kind: 'failed'; reason: string; detail: string };

export function pushFailedMessage(reason: string, detail: string): string {
  return `push failed (${reason}): ${detail.slice(0, 200)}`;
}
