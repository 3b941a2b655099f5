// A claimed or running job with no status call for the claim timeout goes back
// to the queue. SKIP LOCKED makes it safe on several replicas at once and never
// races a status call that holds the row; the old token is then refused
// (PERMISSION_DENIED: it no longer holds the claim) instead of overwriting.
// Run by the every-minute `sweep_stale_claims` job (background/schedule.ts).
import type { PrismaClient } from '../../db/client.ts';
import type { Metrics } from '../../metrics.ts';
import { publishJobStatus, signalJobsQueued, type JobEventRow } from './job-events.ts';
import { addTrace } from './trace.ts';

/** Requeues stale claims; each one counts as a job transition (claimed/running → queued) when `metrics` is given. */
export async function requeueStaleClaims(prisma: PrismaClient, timeoutSeconds: number, metrics?: Pick<Metrics, 'jobTransitions'>): Promise<string[]> {
  const requeued = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<(JobEventRow & { previous: string })[]>`
      UPDATE jobs SET status = 'QUEUED', claimed_by_token_id = NULL, claimed_at = NULL, started_at = NULL,
             heartbeat_at = NULL, updated_at = now()
      FROM (
        SELECT id, status::text AS previous FROM jobs
        WHERE status IN ('CLAIMED', 'RUNNING') AND heartbeat_at < now() - make_interval(secs => ${timeoutSeconds})
        ORDER BY heartbeat_at
        LIMIT 500
        FOR UPDATE SKIP LOCKED
      ) stale
      WHERE jobs.id = stale.id
      RETURNING jobs.id, jobs.task_id, jobs.user_id, jobs.product_id, jobs.status::text AS status, jobs.branch,
                jobs.pushed_at, jobs.pr_url, jobs.verify_result::text AS verify_result, jobs.summary, jobs.error, stale.previous`;
    for (const row of rows) {
      await addTrace(tx, {
        job_id: row.id,
        level: 'WARN',
        message: `requeued: ${row.previous.toLowerCase()} with no status call for ${timeoutSeconds} s (claim timeout)`,
      });
      await publishJobStatus(tx, row);
    }
    for (const userId of new Set(rows.map((r) => r.user_id))) await signalJobsQueued(tx, userId);
    return rows;
  });
  // counted after the commit: a rolled-back sweep moved nothing
  for (const row of requeued) metrics?.jobTransitions.inc({ from: row.previous.toLowerCase(), to: 'queued' });
  return requeued.map((r) => r.id);
}
