// The sweep of stale claims (src/services/jobs/requeue-stale.ts). Why
// hand-written: FOR UPDATE SKIP LOCKED (Prisma cannot say it) makes the sweep
// safe on several replicas at once and never waits for, or races, a status call
// that holds a job's row; the batch is bounded so one sweep stays short.

/**
 * $1 the claim timeout in seconds. Requeues up to 500 claimed or running jobs
 * with no status call for that long, oldest heartbeat first; returns each as
 * the status event needs it, with `previous` its status before.
 */
export const requeueStaleClaimsSql = `
      UPDATE jobs SET status = 'QUEUED', claimed_by_token_id = NULL, claimed_at = NULL, started_at = NULL,
             heartbeat_at = NULL, updated_at = now()
      FROM (
        SELECT id, status::text AS previous FROM jobs
        WHERE status IN ('CLAIMED', 'RUNNING') AND heartbeat_at < now() - make_interval(secs => $1::float8)
        ORDER BY heartbeat_at
        LIMIT 500
        FOR UPDATE SKIP LOCKED
      ) stale
      WHERE jobs.id = stale.id
      RETURNING jobs.id, jobs.task_id, jobs.user_id, jobs.product_id, jobs.status::text AS status, jobs.branch,
                jobs.pushed_at, jobs.pr_url, jobs.verify_result::text AS verify_result, jobs.summary, jobs.error, stale.previous`;
