// The status call's fast path: one statement for the calls that need neither
// GitHub nor side records of their own — `running` of any job, and `done` of
// an idea job. It is a conditional update (SPEC §3: "row lock or conditional
// update") that also stores and announces the change event (S10), queues the
// story's check-run refresh for task jobs, records reported usage with its
// cost and the totals it moves (src/db/sql/job-usage.ts), and counts what
// S11/S12 need.
// When it changes no row, the caller takes the full path, which explains why
// (S1–S3) or handles what this statement does not (a task's `done`, usage
// without a model id, a price table replaced since this process read it).
import type { Queryable } from '../../db/queryable.ts';
import {
  previousUsageColumnsSql,
  priceTableInForceSql,
  usageAssignmentsSql,
  usageChangeColumnsSql,
  usageTotalsSql,
  type UsageChangeRow,
  type UsageParams,
} from '../../db/sql/job-usage.ts';
import type { PriceChoice } from '../prices/price-book.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { queueCheckRefreshSql } from '../checks/queue-check-refresh.ts';
import { publishChangesSql } from '../events/publish.ts';
import { isoSql, jobStatusEventSql } from './job-events.ts';
import type { StatusInput } from './update-status.ts';

export interface QuickStatusRow extends UsageChangeRow {
  id: string;
  status: string;
  from_status: string;
  branch: string | null;
  pushed_at: string | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  has_queued: boolean;
  has_active_siblings: boolean;
}

const usage: UsageParams = { reported: '$13', model: '$8', input: '$9', output: '$10', cacheRead: '$11', cacheWrite: '$12', tableId: '$14', position: '$15' };

const quickStatusStatement = `
  WITH previous AS (
    SELECT id, status, ${previousUsageColumnsSql('jobs')} FROM jobs WHERE id = $1 FOR UPDATE
  ), job AS (
    UPDATE jobs j
       SET status = $4::text::"JobStatus", heartbeat_at = now(), updated_at = now(),
           started_at = CASE WHEN $4::text = 'RUNNING' THEN now() ELSE j.started_at END,
           finished_at = CASE WHEN $4::text = 'RUNNING' THEN j.finished_at ELSE now() END,
           summary = COALESCE($6::text, j.summary),
           error = COALESCE($7::text, j.error),
           ${usageAssignmentsSql('j', usage)}
      FROM previous
     WHERE j.id = previous.id AND j.user_id = $2 AND j.claimed_by_token_id = $3
       AND j.status IN ('CLAIMED', 'RUNNING')
       AND ($4::text = 'RUNNING' OR j.kind <> 'TASK_IMPLEMENTATION')
       AND ($5::text IS NULL OR $5::text IS NOT DISTINCT FROM (SELECT s.branch FROM stories s WHERE s.id = j.story_id))
       AND ${priceTableInForceSql(usage)}
    RETURNING j.*, previous.status AS from_status, previous.old_input_tokens, previous.old_output_tokens,
              previous.old_cache_read_tokens, previous.old_cache_write_tokens, previous.old_cost_usd, previous.old_usage_at
  ), check_refresh AS (
    SELECT ${queueCheckRefreshSql('job.story_id')} FROM job
     WHERE job.kind = 'TASK_IMPLEMENTATION' AND job.story_id IS NOT NULL
  ), ${usageTotalsSql('job', 'check_refresh')}, events AS (
    SELECT 'claude_job_status' AS type, job.user_id, ${jobStatusEventSql('job')} AS event FROM job
    UNION ALL
    SELECT type, user_id, event FROM budget_events
  ), ${publishChangesSql('events')}
  SELECT job.id, job.status::text AS status, job.from_status::text AS from_status, job.branch,
         ${isoSql('job.pushed_at')} AS pushed_at, job.pr_url, job.verify_result::text AS verify_result,
         job.summary, job.error, ${isoSql('job.started_at')} AS started_at, ${isoSql('job.finished_at')} AS finished_at,
         -- S11/S12 only ask whether there are any: EXISTS stops at the first
         $4::text <> 'RUNNING' AND EXISTS (SELECT 1 FROM jobs q WHERE q.user_id = job.user_id AND q.status = 'QUEUED') AS has_queued,
         job.story_id IS NOT NULL AND EXISTS (SELECT 1 FROM jobs s WHERE s.story_id = job.story_id
                                                AND s.status IN ('QUEUED', 'CLAIMED', 'RUNNING') AND s.id <> job.id) AS has_active_siblings,
         (SELECT count(*) FROM announced) AS announced,
         (SELECT count(*) FROM check_refresh) AS check_refreshes,
         ${usageChangeColumnsSql('job')}
    FROM job`;

/** The one-statement status change, or null when it did not apply (the full path decides). */
export async function quickStatusUpdate(
  pool: Queryable,
  auth: AuthContext,
  jobId: string,
  input: StatusInput & { status: 'running' | 'done' },
  /** the price of the reported model from the table this process knows; null: the call reports no usage */
  price: PriceChoice | null = null,
): Promise<QuickStatusRow | null> {
  // named: each connection plans it once
  const { rows } = await pool.query<QuickStatusRow>({ name: 'quick-status-update', text: quickStatusStatement, values: [
    jobId,
    auth.userId,
    auth.tokenId,
    input.status === 'running' ? 'RUNNING' : 'DONE',
    input.branch ?? null,
    input.summary ?? null,
    input.error ?? null,
    input.model_id ?? null,
    input.input_tokens ?? null,
    input.output_tokens ?? null,
    input.cache_read_tokens ?? null,
    input.cache_write_tokens ?? null,
    price !== null,
    price?.tableId ?? null,
    price?.position ?? null,
  ] });
  return rows[0] ?? null;
}
