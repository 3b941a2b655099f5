// A claimed or running job with no status call for the claim timeout goes back
// to the queue. SKIP LOCKED makes it safe on several replicas at once and never
// races a status call that holds the row; the old token is then refused
// (PERMISSION_DENIED: it no longer holds the claim) instead of overwriting.
import type { PrismaClient } from '../../db/client.ts';
import type { Logger } from '../../logger.ts';
import { publishJobStatus, signalJobsQueued, type JobEventRow } from './job-events.ts';
import { addTrace } from './trace.ts';
import { pruneChangeEvents } from '../events/event-hub.ts';

export async function requeueStaleClaims(prisma: PrismaClient, timeoutSeconds: number): Promise<string[]> {
  return prisma.$transaction(async (tx) => {
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
    return rows.map((r) => r.id);
  });
}

/** Runs the sweep every so often in this process; returns a stop function. */
export function startStaleClaimSweeper(prisma: PrismaClient, timeoutSeconds: number, log: Logger): () => void {
  const everyMs = Math.min(60_000, Math.max(1000, (timeoutSeconds * 1000) / 4));
  const timer = setInterval(() => {
    requeueStaleClaims(prisma, timeoutSeconds)
      .then((ids) => {
        if (ids.length > 0) log.warn({ jobs: ids }, 'requeued stale claims');
      })
      .catch((err: unknown) => log.warn({ err }, 'stale claim sweep failed'));
    // the event backlog is bounded: SSE clients resume within the last 24 hours
    pruneChangeEvents(prisma).catch((err: unknown) => log.warn({ err }, 'event backlog pruning failed'));
    // GitHub redelivers for a few days at most: older delivery ids need not be kept
    prisma.webhookDelivery
      .deleteMany({ where: { received_at: { lt: new Date(Date.now() - 14 * 24 * 3600_000) } } })
      .catch((err: unknown) => log.warn({ err }, 'webhook delivery pruning failed'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
