// A pull_request delivery in two statements and no transaction: one read (the
// product, whether the delivery was seen, our record and its row version, the
// story on the head branch), the decision in TypeScript (planPullWrite), and one
// write that applies it only if the record is still that version, with the
// delivery row and the change's background jobs (src/db/sql/pull-request-delivery.ts).
// A record that moved on in between (another delivery for the PR) is read and
// decided again; after a few such turns, and whenever the product learns its
// repository's name or id from the payload (it writes the product: rare), the
// delivery takes the locking path: one transaction, the rows locked in order.
import type pg from 'pg';
import type { Queryable } from '../../db/queryable.ts';
import { pullDeliveryReadStatement } from '../../db/sql/pull-request-delivery.ts';
import { runStatement } from '../../db/sql/run-statement.ts';
import { findProductOfRepository, pgSql, type ProductIdentity } from '../products/repository-identity.ts';
import { onceForDeliverySql, type Delivery, type DeliveryResult } from './deliveries.ts';
import type { PullSnapshot, PullSource } from './pull-state.ts';
import {
  heldOf,
  outcomeOf,
  planPullWrite,
  recordPullRequest,
  repositoryNewsOf,
  writePull,
  type ChangeJobs,
  type PullRequestChange,
  type RecordOutcome,
} from './record-pull-request.ts';

/** optimistic turns before the locking path: each lost one means another delivery for the same PR just wrote */
const optimisticTurns = 3;

export type PullDeliveryResult = { kind: 'no_product' } | DeliveryResult<RecordOutcome>;

export interface PullDeliveryOptions {
  /** the background jobs a change of a story PR adds, in the statement that writes it */
  jobs?: ChangeJobs | undefined;
  /** runs in the delivery's transaction after a story PR changed (throwing rolls it back): takes the locking path */
  afterChange?: ((sql: Queryable, change: PullRequestChange) => Promise<void>) | undefined;
}

interface ReadRow {
  product_id: string;
  product_repo: string;
  product_github_repo_id: string | null;
  product_repo_updated_at: Date | null;
  seen: boolean;
  branch_story_id: string | null;
  [column: `pr_${string}`]: unknown;
}

/**
 * The delivery's effect on our record of the PR, recorded once. `repository` is
 * the payload's (the product is found by its id; by name only while a product
 * does not know its id).
 */
export async function recordPullRequestDelivery(
  pool: pg.Pool,
  delivery: Delivery,
  repository: { id: number; full_name: string },
  pull: PullSnapshot,
  options: PullDeliveryOptions = {},
): Promise<PullDeliveryResult> {
  if (options.afterChange) return recordLocked(pool, delivery, repository, pull, options);
  const source: PullSource = { kind: 'webhook', action: delivery.action ?? '' };
  for (let turn = 0; turn < optimisticTurns; turn++) {
    const [row] = await runStatement<ReadRow>(pool, pullDeliveryReadStatement, [
      String(repository.id),
      [repository.full_name.toLowerCase()],
      delivery.id,
      pull.number,
      pull.headRef,
    ]);
    if (!row) return { kind: 'no_product' };
    if (row.seen) return { duplicate: true };
    const product: ProductIdentity = {
      id: row.product_id,
      repo: row.product_repo,
      github_repo_id: row.product_github_repo_id === null ? null : BigInt(row.product_github_repo_id),
      repo_updated_at: row.product_repo_updated_at,
    };
    // the payload renames the product or teaches it its id: that write locks the product row first
    if (repositoryNewsOf(product, pull, source)) break;
    const plan = planPullWrite(product, heldOf(row), row.branch_story_id ? { id: row.branch_story_id } : null, pull, source);
    const written = await writePull(pool, plan, { delivery, jobs: options.jobs });
    if (written.kind === 'duplicate') return { duplicate: true };
    if (written.kind === 'written') return { duplicate: false, result: outcomeOf(plan, written.record) };
  }
  return recordLocked(pool, delivery, repository, pull, options);
}

/** The locking path: one transaction, the delivery row first (the unique row is the lock against a copy), then recordPullRequest. */
async function recordLocked(pool: pg.Pool, delivery: Delivery, repository: { id: number; full_name: string }, pull: PullSnapshot, options: PullDeliveryOptions): Promise<PullDeliveryResult> {
  const product = await findProductOfRepository(pgSql(pool), { id: repository.id, names: [repository.full_name] });
  if (!product) return { kind: 'no_product' };
  return onceForDeliverySql(pool, delivery, async (sql) => {
    const outcome = await recordPullRequest(sql, product, pull, { kind: 'webhook', action: delivery.action ?? '' }, options.jobs);
    if (options.afterChange && (outcome.kind === 'created' || outcome.kind === 'updated') && outcome.record.story_id) {
      await options.afterChange(sql, { record: outcome.record, previous: outcome.kind === 'updated' ? outcome.previous : null });
    }
    return outcome;
  });
}
