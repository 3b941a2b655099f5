// Queues the read of a merged PR's merge method (resolve-merge-method.ts) as a
// durable background job, in the webhook delivery's own transaction: it commits
// with the merge it follows, survives a crash, and runs once across replicas
// (one job key per PR), after GitHub has had its answer.
import type { Queryable } from '../../db/queryable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';

export const mergeMethodTask = 'resolve_merge_method';
export const mergeMethodJobKey = (pullRequestId: string) => `merge-method:${pullRequestId}`;
/** transient GitHub trouble is retried with graphile-worker's backoff (about 2 hours in all) */
export const mergeMethodMaxAttempts = 8;

/** A merged PR whose merge method is still unknown. */
export const needsMergeMethod = (record: Pick<PullRequest, 'state' | 'merge_method' | 'merge_commit_sha'>) =>
  record.state === 'MERGED' && record.merge_method === null && record.merge_commit_sha !== null;

/** Adds the lookup job (a waiting one for the same PR is replaced, never doubled). */
export async function queueMergeMethodLookup(sql: Queryable, pullRequestId: string): Promise<void> {
  await sql.query({
    name: 'queue-merge-method',
    text: `SELECT graphile_worker.add_job($1::text, json_build_object('pull_request_id', $2::text), job_key => $3::text, max_attempts => $4::int)`,
    values: [mergeMethodTask, pullRequestId, mergeMethodJobKey(pullRequestId), mergeMethodMaxAttempts],
  });
}
