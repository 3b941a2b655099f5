// Keeps our record of a story's pull request true to what GitHub says, in the
// caller's transaction: the row is locked, the order rule decides (pull-state.ts),
// PRs on a story branch of the product's own repository are adopted, and the
// story's done jobs learn the PR's URL. Anything else is not ours and is left alone.
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { Tx } from './deliveries.ts';
import { decidePullUpdate, type PullSnapshot, type PullSource } from './pull-state.ts';

export interface ProductRef {
  id: string;
  /** "owner/name" */
  repo: string;
  github_repo_id: bigint | null;
}

export type RecordOutcome =
  | { kind: 'created' | 'unchanged'; record: PullRequest }
  | { kind: 'updated'; record: PullRequest; previous: PullRequest }
  | { kind: 'stale'; record: PullRequest; reason: string }
  | { kind: 'not_ours'; reason: string };

/**
 * Why a PR cannot be a story PR of the product, or null when its head may be a
 * story branch. Repositories are compared by GitHub id (names change on rename),
 * by name only where we do not know the product's id.
 */
export function foreignPullReason(product: ProductRef, pull: Pick<PullSnapshot, 'baseRepo' | 'baseRepoId' | 'headRepo' | 'headRepoId' | 'headRef'>): string | null {
  const isProductRepo =
    product.github_repo_id !== null ? BigInt(pull.baseRepoId) === product.github_repo_id : pull.baseRepo.toLowerCase() === product.repo.toLowerCase();
  if (!isProductRepo) return `PR targets ${pull.baseRepo}, not ${product.repo}`;
  // a fork's head (or a deleted fork's: no repo) is never a story branch
  if (pull.headRepoId !== pull.baseRepoId) return `head ${pull.headRepo ?? '(deleted fork)'}:${pull.headRef} is not in ${product.repo}`;
  return null;
}

export async function recordPullRequest(tx: Tx, product: ProductRef, pull: PullSnapshot, source: PullSource): Promise<RecordOutcome> {
  let held = await lockPullRequest(tx, product.id, pull.number);
  const foreign = foreignPullReason(product, pull);
  const story =
    foreign === null && !held?.story_id
      ? await tx.story.findUnique({ where: { product_id_branch: { product_id: product.id, branch: pull.headRef } }, select: { id: true } })
      : null;

  if (!held) {
    if (foreign) return { kind: 'not_ours', reason: foreign };
    if (!story) return { kind: 'not_ours', reason: `head ${pull.headRef} is not a story branch of ${product.repo}` };
    const created = await tx.pullRequest.createManyAndReturn({
      data: [{ ...githubFields(pull), product_id: product.id, story_id: story.id, repo: product.repo, number: pull.number }],
      skipDuplicates: true,
    });
    if (created[0]) {
      await shareUrlWithStoryJobs(tx, created[0]);
      return { kind: 'created', record: created[0] };
    }
    // inserted meanwhile by someone else (ensureStoryPullRequest, another replica): update that row
    held = (await lockPullRequest(tx, product.id, pull.number))!;
  }

  const decision = decidePullUpdate(held, pull, source);
  if (decision.kind === 'ignore') return { kind: 'stale', record: held, reason: decision.reason };
  const fields = githubFields(pull);
  const changes: Partial<PullRequest> = {};
  for (const [key, value] of Object.entries(fields) as [keyof typeof fields, unknown][]) {
    if (!sameValue(held[key], value)) Object.assign(changes, { [key]: value });
  }
  if (story && !held.story_id) changes.story_id = story.id;
  if (Object.keys(changes).length === 0) return { kind: 'unchanged', record: held };
  const record = await tx.pullRequest.update({ where: { id: held.id }, data: changes });
  if (changes.story_id || changes.state) await shareUrlWithStoryJobs(tx, record);
  return { kind: 'updated', record, previous: held };
}

/** The row, locked for the rest of the transaction: concurrent deliveries for one PR apply in turn. */
async function lockPullRequest(tx: Tx, productId: string, number: number): Promise<PullRequest | null> {
  // one round trip for lock and read: $queryRaw maps the columns' types as the model does
  const rows = await tx.$queryRaw<PullRequest[]>`
    SELECT * FROM pull_requests WHERE product_id = ${productId} AND number = ${number} FOR UPDATE`;
  return rows[0] ?? null;
}

function githubFields(pull: PullSnapshot) {
  return {
    github_id: pull.githubId,
    title: pull.title,
    body: pull.body,
    html_url: pull.htmlUrl,
    head_ref: pull.headRef,
    head_sha: pull.headSha,
    head_repo: pull.headRepo,
    base_ref: pull.baseRef,
    state: pull.state,
    merged_at: pull.mergedAt,
    closed_at: pull.closedAt,
    merge_commit_sha: pull.mergeCommitSha,
    github_updated_at: pull.updatedAt,
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

/**
 * Done jobs of the story that pushed work and have no PR URL yet get this one
 * (an adopted PR), when the PR is new to the story or comes back; later jobs
 * get it from ensureStoryPullRequest.
 */
async function shareUrlWithStoryJobs(tx: Tx, record: PullRequest): Promise<void> {
  if (!record.story_id || record.state === 'CLOSED') return;
  await tx.job.updateMany({
    where: { story_id: record.story_id, status: 'DONE', pushed_at: { not: null }, pr_url: null },
    data: { pr_url: record.html_url },
  });
}
