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

type Tx = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

export async function publishJobStatus(tx: Tx, job: JobEventRow): Promise<void> {
  await publishChange(tx, jobStatusEvent(job));
}

export async function signalJobsQueued(tx: Tx, userId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${jobsQueuedChannel}, ${userId})`;
}
