// The status rules of src/services/jobs/status-rules.ts as SQL, for the
// one-statement status path (job-status-quick.ts) and the full path's probes.
// Why SQL: the fast path decides and writes in one statement, so its WHERE must
// say what decideStatusReport says; both are made from the same constants, and
// test/services/status-decision.test.ts checks that they agree row for row.
import type { JobStatus } from '../../generated/prisma/client.ts';
import { activeStatuses, gatedKinds, queuedStatus, reportableStatuses, startedStatus } from '../../services/jobs/status-rules.ts';

/** Enum values as SQL literals (they are identifiers of our own schema, never input). */
const literals = (values: readonly string[]) =>
  values
    .map((value) => {
      if (!/^[A-Z_]+$/.test(value)) throw new Error(`not an enum value: ${value}`);
      return `'${value}'`;
    })
    .join(', ');
const literal = (value: JobStatus) => literals([value]);

export interface ReportExpressions {
  /** the `jobs` row (alias) */
  job: string;
  /** text: the branch of the job's story, null when it has none */
  storyBranch: string;
  /** text: the caller's user id and token id */
  userId: string;
  tokenId: string;
  /** text: the status reported, upper case ('RUNNING' | 'DONE') */
  to: string;
  /** text: the branch reported, null when none */
  branch: string;
}

/**
 * True exactly when decideStatusReport gives a transition on the one-statement
 * path: the caller's job (not found otherwise), its claiming token (S2), a
 * reportable status (S1, S3), the story's branch if one is reported, and a
 * transition that needs neither GitHub nor side records.
 */
export const oneStatementReportSql = (e: ReportExpressions) => `(
       ${e.job}.user_id = ${e.userId} AND ${e.job}.claimed_by_token_id = ${e.tokenId}
       AND ${e.job}.status IN (${literals(reportableStatuses)})
       AND (${e.branch} IS NULL OR ${e.branch} IS NOT DISTINCT FROM ${e.storyBranch})
       AND (${e.to} = ${literal(startedStatus)} OR (${e.to} = 'DONE' AND ${e.job}.kind NOT IN (${literals(gatedKinds)}))))`;

/** S8: the SET list of the clock columns for a transition to `to` (text), as clockColumnOf says. */
export const clockAssignmentsSql = (j: string, to: string) =>
  `started_at = CASE WHEN ${to} = ${literal(startedStatus)} THEN now() ELSE ${j}.started_at END,
           finished_at = CASE WHEN ${to} = ${literal(startedStatus)} THEN ${j}.finished_at ELSE now() END`;

/** S12: whether the user has a job to claim next (EXISTS stops at the first; a count would read them all). */
export const hasQueuedJobsSql = (userId: string) =>
  `EXISTS (SELECT 1 FROM jobs q WHERE q.user_id = ${userId} AND q.status = ${literal(queuedStatus)})`;

/** S11: whether another job of the story still needs its worktree. */
export const hasActiveSiblingsSql = (storyId: string, jobId: string) =>
  `(${storyId} IS NOT NULL AND EXISTS (SELECT 1 FROM jobs s WHERE s.story_id = ${storyId}
                                         AND s.status IN (${literals(activeStatuses)}) AND s.id <> ${jobId}))`;
