// The opening of a PBI's cascade (src/services/cascade/start-cascade.ts), in the
// failing status call's transaction. Why hand-written: every queued, claimed or
// running sibling across the PBI is cancelled, traced and announced (S10) in one
// statement whatever their number, with the cascade's record of them, its
// opening traces and its durable undo job: one round trip and one short lock
// where Prisma would take a statement per sibling.
import type { Statement } from './run-statement.ts';

/**
 * $1 the PBI, $2 the failed job. The stories whose branch a step undoes: those
 * with a job, in the PBI's order; `handed_out` when the database knows the branch
 * was handed out (a job claimed now, done, or the failed one) or has a PR.
 */
export const cascadeBranchesStatement: Statement = {
  name: 'cascade-branches',
  text: `
    SELECT s.id, s.branch,
           (EXISTS (SELECT 1 FROM jobs j WHERE j.story_id = s.id AND (j.claimed_at IS NOT NULL OR j.status = 'DONE' OR j.id = $2::text))
            OR EXISTS (SELECT 1 FROM pull_requests p WHERE p.product_id = s.product_id AND p.head_ref = s.branch)) AS handed_out
      FROM stories s
     WHERE s.pbi_id = $1::text
       AND EXISTS (SELECT 1 FROM jobs j WHERE j.story_id = s.id)
     ORDER BY s.position`,
};

/**
 * $1 the cascade, $2 the PBI, $3 the failed job, $4 the cancel reason, $5 the
 * number of branches to undo. Cancels, traces and announces each sibling, links
 * the failed job, records the cancelled ids and the opening traces, and adds the
 * undo job. Always answers one row (`cancelled_ids`). The caller gives the
 * event's encoding (`jobStatusEvent` over the cancelled row `c`), the CTEs that
 * publish `events` (ending in `announced`) and the undo job (add_job over $1).
 */
export const cancelSiblingsStatement = (sql: { jobStatusEvent: string; publishChanges: string; addUndoJob: string }): Statement => ({
  name: 'cascade-cancel-siblings',
  text: `
    WITH cancelled AS (
      UPDATE jobs SET status = 'CANCELLED', finished_at = now(), updated_at = now(), cascade_id = $1::text, error = $4::text
      WHERE pbi_id = $2::text AND status IN ('QUEUED', 'CLAIMED', 'RUNNING') AND id <> $3::text
      RETURNING *
    ), traced AS (
      INSERT INTO trace_entries (job_id, level, message)
      SELECT id, 'WARN'::"TraceLevel", $4::text FROM cancelled
      RETURNING id
    ), events AS (
      SELECT 'claude_job_status' AS type, c.user_id, ${sql.jobStatusEvent} AS event FROM cancelled c
    ), ${sql.publishChanges}, failed_job AS (
      UPDATE jobs SET cascade_id = $1::text, updated_at = now() WHERE id = $3::text RETURNING id
    ), recorded AS (
      UPDATE cascades SET cancelled_job_ids = (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM cancelled)
      WHERE id = $1::text RETURNING cancelled_job_ids
    ), opened AS (
      INSERT INTO trace_entries (cascade_id, job_id, level, message)
      SELECT $1::text, NULL, 'INFO'::"TraceLevel",
             format('opened after job %s failed: %s sibling job(s) cancelled, %s branch(es) to undo', $3::text, count(*), $5::int)
        FROM cancelled
      UNION ALL
      SELECT NULL, $3::text, 'WARN'::"TraceLevel",
             format('PBI fail-cascade %s opened: %s sibling job(s) cancelled', $1::text, count(*))
        FROM cancelled
      RETURNING id
    ), queued AS (
      SELECT ${sql.addUndoJob}
    )
    SELECT recorded.cancelled_job_ids AS cancelled_ids,
           (SELECT count(*)::int FROM traced) AS traced, (SELECT count(*)::int FROM announced) AS announced,
           (SELECT count(*)::int FROM failed_job) AS linked, (SELECT count(*)::int FROM opened) AS opened, (SELECT count(*)::int FROM queued) AS queued
      FROM recorded`,
});
