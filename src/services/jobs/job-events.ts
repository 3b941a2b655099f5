// The S10 event of a job, built from its row, and the wake-up signal for claimers.
import type { Prisma } from '../../generated/prisma/client.ts';
import { iso, lower, lowerOrNull } from '../present.ts';
import { publishChange, type JobStatusEvent } from '../events/publish.ts';

/** Claimers LISTEN here; the payload is the user id whose queue grew. */
export const jobsQueuedChannel = 'scrum4me_jobs_queued';

export interface JobEventRow {
  id: string;
  task_id: string | null;
  user_id: string;
  product_id: string;
  status: string;
  branch: string | null;
  pushed_at: Date | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
}

export function jobStatusEvent(job: JobEventRow): JobStatusEvent {
  return {
    type: 'claude_job_status',
    job_id: job.id,
    task_id: job.task_id,
    user_id: job.user_id,
    product_id: job.product_id,
    status: lower(job.status),
    branch: job.branch,
    pushed_at: iso(job.pushed_at),
    pr_url: job.pr_url,
    verify_result: lowerOrNull(job.verify_result),
    summary: job.summary,
    error: job.error,
  };
}

/** A TIMESTAMP(3) column (UTC) as `Date.toISOString()` writes it. */
export const isoSql = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** jobStatusEvent() in SQL, for a `jobs` row named `j`: the same fields, values and formats. */
export const jobStatusEventSql = (j: string) => `json_build_object(
    'type', 'claude_job_status', 'job_id', ${j}.id, 'task_id', ${j}.task_id, 'user_id', ${j}.user_id,
    'product_id', ${j}.product_id, 'status', lower(${j}.status::text), 'branch', ${j}.branch,
    'pushed_at', ${isoSql(`${j}.pushed_at`)}, 'pr_url', ${j}.pr_url, 'verify_result', lower(${j}.verify_result::text),
    'summary', ${j}.summary, 'error', ${j}.error)`;

type Tx = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

export async function publishJobStatus(tx: Tx, job: JobEventRow): Promise<void> {
  await publishChange(tx, jobStatusEvent(job));
}

export async function signalJobsQueued(tx: Tx, userId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${jobsQueuedChannel}, ${userId})`;
}
