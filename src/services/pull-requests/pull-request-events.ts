// `pull_request` webhooks (opened, reopened, edited, synchronize, closed): the
// delivery is recorded and the PR record updated in one transaction; a merged
// PR's merge method is left for the caller to resolve after answering GitHub.
import type { Queryable } from '../../db/queryable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import { findProductOfRepository, pgSql } from '../products/repository-identity.ts';
import { onceForDeliverySql, type Delivery } from './deliveries.ts';
import { snapshotOf, type GitHubPull } from './pull-state.ts';
import { recordPullRequest } from './record-pull-request.ts';

/** A story PR that changed, seen inside the delivery's transaction. */
export interface PullRequestChange {
  record: PullRequest;
  /** null for a PR we had no record of */
  previous: PullRequest | null;
}

/**
 * Runs in the delivery's transaction after a story PR's record changed, e.g. to
 * queue the story's check run for a new head sha (graphile-worker's add_job is
 * transactional). Throwing rolls the delivery back.
 */
export type PullRequestChangeHook = (sql: Queryable, change: PullRequestChange) => Promise<void>;

export type PullEventOutcome =
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'stale'; reason: string; record: PullRequest }
  | { kind: 'created' | 'updated' | 'unchanged'; record: PullRequest; needsMergeMethod: boolean };

export async function applyPullRequestEvent(
  services: Pick<AppServices, 'pool'>,
  delivery: Delivery,
  event: { pull: GitHubPull; repository: { id: number; full_name: string } },
  options: { afterChange?: PullRequestChangeHook | undefined } = {},
): Promise<PullEventOutcome> {
  const { pool } = services;
  // by id; by name only for a product that does not know its id yet (record-pull-request.ts then teaches it)
  const product = await findProductOfRepository(pgSql(pool), { id: event.repository.id, names: [event.repository.full_name] });
  if (!product) return { kind: 'ignored', reason: `no product for ${event.repository.full_name}` };
  const pull = snapshotOf(event.pull);
  const done = await onceForDeliverySql(pool, delivery, async (sql) => {
    const outcome = await recordPullRequest(sql, product, pull, { kind: 'webhook', action: delivery.action ?? '' });
    if (options.afterChange && (outcome.kind === 'created' || outcome.kind === 'updated') && outcome.record.story_id) {
      await options.afterChange(sql, { record: outcome.record, previous: outcome.kind === 'updated' ? outcome.previous : null });
    }
    return outcome;
  });
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
