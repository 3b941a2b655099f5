// The status call's one-statement path (SPEC §3: "row lock or conditional
// update"): `running` of any job and `done` of an idea job, which need neither
// GitHub nor side records of their own. Why hand-written: one statement is one
// round trip and one short row lock for the hottest call of the API, where a
// Prisma transaction would be one round trip per step with the lock held in
// between. It locks the row, writes the transition when the status rules allow
// it (job-status-conditions.ts: the same constants decideStatusReport uses),
// stores and announces the S10 event, queues the story's check-run refresh for
// task jobs, records reported usage with its cost and the totals it moves
// (job-usage.ts), and answers the S11/S12 probes. It always answers the locked
// row's snapshot (no row: no such job), so when it changed nothing the caller
// asks decideStatusReport why.
import { publishChangesSql } from './change-events.ts';
import { clockAssignmentsSql, hasActiveSiblingsSql, hasQueuedJobsSql, oneStatementReportSql } from './job-status-conditions.ts';
import { isoSql, jobStatusEventSql } from './job-status-event.ts';
import {
  previousUsageColumnsSql,
  priceTableInForceSql,
  usageAssignmentsSql,
  usageChangeColumnsSql,
  usageTotalsSql,
  type UsageChangeRow,
  type UsageParams,
} from './job-usage.ts';
import type { Statement } from './run-statement.ts';

/** A job's fields a status answer shows, as this statement returns them (ISO times). */
export interface ReportedJobFields {
  branch: string | null;
  pushed_at: string | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** The written job's columns (when the transition applied). */
export interface QuickStatusRow extends UsageChangeRow, ReportedJobFields {
  id: string;
  status: string;
  from_status: string;
  has_queued: boolean;
  has_active_siblings: boolean;
}

/** The answer: the locked row's snapshot always, and the written job's columns (null when it did not apply). */
export type QuickStatusResultRow = {
  snapshot_user_id: string;
  snapshot_status: string;
  snapshot_token_id: string | null;
  snapshot_kind: string;
  snapshot_story_branch: string | null;
  applied: boolean;
} & { [K in keyof QuickStatusRow]: QuickStatusRow[K] | null };

const usage: UsageParams = { reported: '$13', model: '$8', input: '$9', output: '$10', cacheRead: '$11', cacheWrite: '$12', tableId: '$14', position: '$15' };

/**
 * $1 job id, $2 user id, $3 token id, $4 'RUNNING' | 'DONE', $5 branch, $6 summary, $7 error,
 * $8 model id, $9-$12 token counts, $13 boolean: usage reported, $14 price table, $15 its entry.
 * `queueCheckRefresh`: the check-refresh job as an SQL expression of a story id (queueCheckRefreshSql).
 */
export const quickStatusStatement = (queueCheckRefresh: (storyId: string) => string): Statement => ({
  name: 'quick-status-update',
  text: `
  WITH previous AS (
    SELECT j.id, j.user_id, j.status, j.claimed_by_token_id, j.kind,
           (SELECT s.branch FROM stories s WHERE s.id = j.story_id) AS story_branch, ${previousUsageColumnsSql('j')}
      FROM jobs j
     WHERE j.id = $1 FOR UPDATE
  ), job AS (
    UPDATE jobs j
       SET status = $4::text::"JobStatus", heartbeat_at = now(), updated_at = now(),
           ${clockAssignmentsSql('j', '$4::text')},
           summary = COALESCE($6::text, j.summary),
           error = COALESCE($7::text, j.error),
           ${usageAssignmentsSql('j', usage)}
      FROM previous
     WHERE j.id = previous.id
       AND ${oneStatementReportSql({ job: 'j', storyBranch: 'previous.story_branch', userId: '$2::text', tokenId: '$3::text', to: '$4::text', branch: '$5::text' })}
       AND ${priceTableInForceSql(usage)}
    RETURNING j.*, previous.status AS from_status, previous.old_input_tokens, previous.old_output_tokens,
              previous.old_cache_read_tokens, previous.old_cache_write_tokens, previous.old_cost_usd, previous.old_usage_at
  ), check_refresh AS (
    SELECT ${queueCheckRefresh('job.story_id')} FROM job
     WHERE job.kind = 'TASK_IMPLEMENTATION' AND job.story_id IS NOT NULL
  ), ${usageTotalsSql('job', 'check_refresh')}, events AS (
    SELECT 'claude_job_status' AS type, job.user_id, ${jobStatusEventSql('job')} AS event FROM job
    UNION ALL
    SELECT type, user_id, event FROM budget_events
  ), ${publishChangesSql('events')}
  SELECT previous.user_id AS snapshot_user_id, previous.status::text AS snapshot_status, previous.claimed_by_token_id AS snapshot_token_id,
         previous.kind::text AS snapshot_kind, previous.story_branch AS snapshot_story_branch,
         job.id IS NOT NULL AS applied,
         job.id, job.status::text AS status, job.from_status::text AS from_status, job.branch,
         ${isoSql('job.pushed_at')} AS pushed_at, job.pr_url, job.verify_result::text AS verify_result,
         job.summary, job.error, ${isoSql('job.started_at')} AS started_at, ${isoSql('job.finished_at')} AS finished_at,
         $4::text <> 'RUNNING' AND ${hasQueuedJobsSql('job.user_id')} AS has_queued,
         ${hasActiveSiblingsSql('job.story_id', 'job.id')} AS has_active_siblings,
         (SELECT count(*) FROM announced) AS announced,
         (SELECT count(*) FROM check_refresh) AS check_refreshes,
         ${usageChangeColumnsSql('job')}
    FROM previous LEFT JOIN job ON true`,
});
