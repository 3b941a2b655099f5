// Durable background work: a job added in the caller's transaction commits
// (or rolls back) with the caller's own writes (graphile_worker.add_job, written
// once in src/db/sql/background-jobs.ts).
import { addJobStatementSql, sqlLiteral, type AddJobSql } from '../../db/sql/background-jobs.ts';
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

const defaultMaxAttempts = 25;

type Tx = Pick<Prisma.TransactionClient, '$executeRawUnsafe'>;

export async function enqueueBackground(tx: Tx, task: BackgroundTask, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
  await tx.$executeRawUnsafe(
    addJobStatementSql,
    task,
    JSON.stringify(payload),
    options.queueName ?? null,
    options.runAt ?? null,
    options.maxAttempts ?? defaultMaxAttempts,
    options.jobKey ?? null,
    options.jobKeyMode ?? 'replace',
  );
}

/** Adds a job given as data, in the caller's transaction. */
export async function enqueueJob(tx: Tx, job: BackgroundJobSpec): Promise<void> {
  await enqueueBackground(tx, job.task, job.payload, {
    ...(job.queueName !== undefined && { queueName: job.queueName }),
    ...(job.jobKey !== undefined && { jobKey: job.jobKey }),
    ...(job.maxAttempts !== undefined && { maxAttempts: job.maxAttempts }),
  });
}

/**
 * A job given as data, as add_job's SQL arguments, for a statement that knows a
 * value of it only in SQL (a story id it reads): `bind.marker`, wherever it
 * stands in the spec's strings, becomes the SQL expression `bind.sql` (text).
 */
export function jobSpecSql(job: BackgroundJobSpec, bind?: { marker: string; sql: string }): AddJobSql {
  const text = (value: string): string => {
    if (!bind) return sqlLiteral(value);
    const pieces: string[] = [];
    value.split(bind.marker).forEach((literal, index) => {
      if (index > 0) pieces.push(bind.sql);
      if (literal !== '') pieces.push(sqlLiteral(literal));
    });
    return pieces.length === 0 ? sqlLiteral('') : pieces.join(' || ');
  };
  return {
    task: sqlLiteral(job.task),
    payload: `json_build_object(${Object.entries(job.payload).flatMap(([key, value]) => [sqlLiteral(key), text(value)]).join(', ')})`,
    queueName: job.queueName === undefined ? undefined : text(job.queueName),
    maxAttempts: String(job.maxAttempts ?? defaultMaxAttempts),
    jobKey: job.jobKey === undefined ? undefined : text(job.jobKey),
  };
}
