// The PR a cascade step acts on, as GitHub just said, with our record of it
// brought up to date by the same code as webhooks and the reconcile
// (recordPullRequest, source `reconcile`: a fresh read is the truth as of now).
import type pg from 'pg';
import { withTransaction } from '../../db/transaction.ts';
import type { MergeMethod } from '../../generated/prisma/client.ts';
import { snapshotOf, type GitHubPull } from '../pull-requests/pull-state.ts';
import { recordPullRequest, type ProductRef } from '../pull-requests/record-pull-request.ts';

export interface StepPull {
  number: number;
  title: string;
  htmlUrl: string;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  mergeCommitSha: string | null;
  /** our record's id; null when we keep none (recordPullRequest said it is not ours) */
  recordId: string | null;
  /** how it was merged, when our record knows (a webhook's resolver, or an earlier step) */
  mergeMethod: MergeMethod | null;
  mergeParentSha: string | null;
}

export async function recordFreshPull(pool: pg.Pool, product: ProductRef, pull: GitHubPull): Promise<StepPull> {
  const snapshot = snapshotOf(pull);
  const outcome = await withTransaction(pool, (sql) => recordPullRequest(sql, product, snapshot, { kind: 'reconcile' }));
  const record = outcome.kind === 'not_ours' ? null : outcome.record;
  // the merge method only counts for the merge GitHub reports now
  const known = record !== null && record.merge_commit_sha !== null && record.merge_commit_sha === snapshot.mergeCommitSha;
  return {
    number: snapshot.number,
    title: snapshot.title,
    htmlUrl: snapshot.htmlUrl,
    state: snapshot.state,
    mergeCommitSha: snapshot.mergeCommitSha,
    recordId: record?.id ?? null,
    mergeMethod: known ? record.merge_method : null,
    mergeParentSha: known ? record.merge_parent_sha : null,
  };
}
