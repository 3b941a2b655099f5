// A claimed or running job with no status call for the claim timeout goes back
// to the queue (src/db/sql/requeue-stale-claims.ts). SKIP LOCKED makes it safe
// on several replicas at once and never races a status call that holds the row;
// the old token is then refused (PERMISSION_DENIED: it no longer holds the
// claim) instead of overwriting.
// Run by the every-minute `sweep_stale_claims` job (background/schedule.ts).
import type { PrismaClient } from '../../db/client.ts';
import { requeueStaleClaimsSql } from '../../db/sql/requeue-stale-claims.ts';
import type { Metrics } from '../../metrics.ts';
import { publishJobStatus, signalJobsQueued, type JobEventRow } from './job-events.ts';
import { addTrace } from './trace.ts';

/** Requeues stale claims; each one counts as a job transition (claimed/running → queued) when `metrics` is given. */
export async function requeueStaleClaims(prisma: PrismaClient, timeoutSeconds: number, metrics?: Pick<Metrics, 'jobTransitions'>): Promise<string[]> {
  const requeued = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<(JobEventRow & { previous: string })[]>(requeueStaleClaimsSql, timeoutSeconds);
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
