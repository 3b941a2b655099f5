// Durable background work: a job added in the caller's transaction commits
// (or rolls back) with the caller's own writes (graphile_worker.add_job).
import type { Prisma } from '../../generated/prisma/client.ts';

export type BackgroundTask =
  | 'ensure_story_pr'
  | 'refresh_story_check'
  | 'cascade_undo'
  | 'resolve_merge_method'
  | 'reconcile_products'
  | 'reconcile_product'
  | 'sweep_stale_claims'
  | 'prune_retention'
  | 'redeliver_failed_webhooks';

export interface EnqueueOptions {
  /** jobs of one queue run one at a time, in order */
  queueName?: string;
  /** a pending job with the same key is replaced rather than duplicated */
  jobKey?: string;
  /** 'preserve_run_at': a waiting job with the key keeps its time (e.g. a rate limit's retry-after) */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  runAt?: Date;
  maxAttempts?: number;
}

/** A job to add, as data: for statements that add their jobs themselves (graphile_worker.add_job per spec). */
export interface BackgroundJobSpec {
  task: BackgroundTask;
  payload: Record<string, string>;
  queueName?: string;
  jobKey?: string;
  maxAttempts?: number;
}

type Tx = Pick<Prisma.TransactionClient, '$executeRaw'>;

export async function enqueueBackground(tx: Tx, task: BackgroundTask, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
  await tx.$executeRaw`
    SELECT graphile_worker.add_job(
      ${task}::text,
      ${JSON.stringify(payload)}::json,
      queue_name => ${options.queueName ?? null}::text,
      run_at => ${options.runAt ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? 25}::int,
      job_key => ${options.jobKey ?? null}::text,
      job_key_mode => ${options.jobKeyMode ?? 'replace'}::text
    )`;
}
