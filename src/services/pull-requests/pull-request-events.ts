// `pull_request` webhooks (opened, reopened, edited, synchronize, closed): the
// delivery is recorded and the PR record updated at once (two statements, or one
// transaction: pull-request-delivery.ts); a merged PR's merge method is left for
// the caller to resolve after answering GitHub.
import type { Queryable } from '../../db/queryable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import type { BackgroundJobSpec } from '../background/enqueue.ts';
import type { Delivery } from './deliveries.ts';
import { recordPullRequestDelivery } from './pull-request-delivery.ts';
import { snapshotOf, type GitHubPull } from './pull-state.ts';
import type { PullRequestChange } from './record-pull-request.ts';

/** A story PR that changed. */
export type { PullRequestChange };

/**
 * Runs in the delivery's transaction after a story PR's record changed, e.g. to
 * queue the story's check run for a new head sha (graphile-worker's add_job is
 * transactional). Throwing rolls the delivery back.
 */
export type PullRequestChangeHook = (sql: Queryable, change: PullRequestChange) => Promise<void>;

/**
 * The background jobs to add when a story PR's record changes (e.g. the story's
 * check run for a new head sha), written in the same statement as the change:
 * the delivery needs no transaction of its own. `change.record` is the record as
 * it is being written.
 */
export type PullRequestChangeJobs = (change: PullRequestChange) => BackgroundJobSpec[];

export type PullEventOutcome =
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'stale'; reason: string; record: PullRequest }
  | { kind: 'created' | 'updated' | 'unchanged'; record: PullRequest; needsMergeMethod: boolean };

export async function applyPullRequestEvent(
  services: Pick<AppServices, 'pool'>,
  delivery: Delivery,
  event: { pull: GitHubPull; repository: { id: number; full_name: string } },
  // afterChange (a function in the delivery's transaction) takes the locking path; jobsAfterChange does not
  options: { afterChange?: PullRequestChangeHook | undefined; jobsAfterChange?: PullRequestChangeJobs | undefined } = {},
): Promise<PullEventOutcome> {
  // by id; by name only for a product that does not know its id yet (record-pull-request.ts then teaches it)
  const done = await recordPullRequestDelivery(services.pool, delivery, event.repository, snapshotOf(event.pull), {
    jobs: options.jobsAfterChange,
    afterChange: options.afterChange,
  });
  if ('kind' in done) return { kind: 'ignored', reason: `no product for ${event.repository.full_name}` };
  if (done.duplicate) return { kind: 'duplicate' };
  const outcome = done.result;
  switch (outcome.kind) {
    case 'not_ours':
      return { kind: 'ignored', reason: outcome.reason };
    case 'stale':
      return outcome;
    default:
      return {
        kind: outcome.kind,
        record: outcome.record,
        needsMergeMethod: outcome.record.state === 'MERGED' && outcome.record.merge_method === null && outcome.record.merge_commit_sha !== null,
      };
  }
}
