// Queues the read of a merged PR's merge method (resolve-merge-method.ts) as a
// durable background job, in the webhook delivery's own transaction: it commits
// with the merge it follows, survives a crash, and runs once across replicas
// (one job key per PR), after GitHub has had its answer.
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { BackgroundJobSpec } from '../background/enqueue.ts';

export const mergeMethodTask = 'resolve_merge_method';
export const mergeMethodJobKey = (pullRequestId: string) => `merge-method:${pullRequestId}`;
/** transient GitHub trouble is retried with graphile-worker's backoff (about 2 hours in all) */
export const mergeMethodMaxAttempts = 8;

/** A merged PR whose merge method is still unknown. */
export const needsMergeMethod = (record: Pick<PullRequest, 'state' | 'merge_method' | 'merge_commit_sha'>) =>
  record.state === 'MERGED' && record.merge_method === null && record.merge_commit_sha !== null;

/** The lookup job as data, for statements that add their jobs from a list (the pull_request delivery). */
export const mergeMethodJob = (pullRequestId: string): BackgroundJobSpec => ({
  task: mergeMethodTask,
  payload: { pull_request_id: pullRequestId },
  jobKey: mergeMethodJobKey(pullRequestId),
  maxAttempts: mergeMethodMaxAttempts,
});
