// Keeps our record of a story's pull request true to what GitHub says, in the
// caller's transaction: the row is locked, the order rule decides (pull-state.ts),
// PRs on a story branch of the product's own repository are adopted, and the
// story's done jobs learn the PR's URL. Anything else is not ours and is left alone.
// The PR's base repository is news of the product's repository: a product matched
// by id learns a new name from it (repository-identity.ts), before the PR row is
// locked (the product row first, always).
// Plain SQL on a pg transaction: every webhook delivery comes through here.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/queryable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
import { adoptRepository, identityChange, isProductRepository, pgSql, type ProductIdentity, type RepositoryNews } from '../products/repository-identity.ts';
import { decidePullUpdate, type PullSnapshot, type PullSource } from './pull-state.ts';

export type ProductRef = ProductIdentity;

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
export function foreignPullReason(product: Pick<ProductRef, 'repo' | 'github_repo_id'>, pull: Pick<PullSnapshot, 'baseRepo' | 'baseRepoId' | 'headRepo' | 'headRepoId' | 'headRef'>): string | null {
  if (!isProductRepository(product, { id: pull.baseRepoId, fullName: pull.baseRepo })) return `PR targets ${pull.baseRepo}, not ${product.repo}`;
  // a fork's head (or a deleted fork's: no repo) is never a story branch
  if (pull.headRepoId !== pull.baseRepoId) return `head ${pull.headRepo ?? '(deleted fork)'}:${pull.headRef} is not in ${product.repo}`;
  return null;
}

/**
 * The product as it is after the PR's base repository told its name: only when
 * that repository is the product's (by id; by name while the product does not
 * know its id). A webhook's payload is news of that time; a reconcile's read is fresh.
 */
export async function learnRepositoryFromPull(sql: Queryable, product: ProductRef, pull: PullSnapshot, source: PullSource): Promise<ProductRef> {
  if (!isProductRepository(product, { id: pull.baseRepoId, fullName: pull.baseRepo })) return product;
  const news: RepositoryNews = {
    id: pull.baseRepoId,
    fullName: pull.baseRepo,
    updatedAt: pull.baseRepoUpdatedAt,
    source: source.kind === 'reconcile' ? 'read' : 'payload',
  };
  if (!identityChange(product, news)) return product;
  return (await adoptRepository(pgSql(sql), product.id, news)).product;
}

export async function recordPullRequest(sql: Queryable, productAsFound: ProductRef, pull: PullSnapshot, source: PullSource): Promise<RecordOutcome> {
  const product = await learnRepositoryFromPull(sql, productAsFound, pull, source);
  let held = await lockPullRequest(sql, product.id, pull.number);
  const foreign = foreignPullReason(product, pull);
  const story = foreign === null && !held?.story_id ? await storyOnBranch(sql, product.id, pull.headRef) : null;

  if (!held) {
    if (foreign) return { kind: 'not_ours', reason: foreign };
    if (!story) return { kind: 'not_ours', reason: `head ${pull.headRef} is not a story branch of ${product.repo}` };
    const created = await insertPullRequest(sql, { ...githubFields(product, pull), product_id: product.id, story_id: story.id, number: pull.number });
    if (created) {
      await shareUrlWithStoryJobs(sql, created);
      return { kind: 'created', record: created };
    }
    // inserted meanwhile by someone else (ensureStoryPullRequest, another replica): update that row
    held = (await lockPullRequest(sql, product.id, pull.number))!;
  }

  const decision = decidePullUpdate(held, pull, source);
  if (decision.kind === 'ignore') {
    // repository ids never change: any word of GitHub, late or not, may fill the ones a record lacks
    const ids = missingRepositoryIds(held, pull);
    const record = Object.keys(ids).length > 0 ? await updatePullRequest(sql, held.id, ids) : held;
    return { kind: 'stale', record, reason: decision.reason };
  }
  const fields = githubFields(product, pull);
  const changes: Partial<PullRequest> = {};
  for (const [key, value] of Object.entries(fields) as [keyof typeof fields, unknown][]) {
    if (!sameValue(held[key], value)) Object.assign(changes, { [key]: value });
  }
  if (story && !held.story_id) changes.story_id = story.id;
  if (Object.keys(changes).length === 0) return { kind: 'unchanged', record: held };
  const record = await updatePullRequest(sql, held.id, changes);
  if (changes.story_id || changes.state) await shareUrlWithStoryJobs(sql, record);
  return { kind: 'updated', record, previous: held };
}

// The row as the Prisma model has it: TIMESTAMP(3) columns hold UTC, BIGINT comes as text.
const pullColumns = `id, product_id, story_id, repo, number, github_id::text AS github_id, title, body, html_url,
  head_ref, head_sha, head_repo, repo_id::text AS repo_id, head_repo_id::text AS head_repo_id, base_ref, state::text AS state, merged_at AT TIME ZONE 'UTC' AS merged_at,
  closed_at AT TIME ZONE 'UTC' AS closed_at, merge_commit_sha, merge_method::text AS merge_method, merge_parent_sha,
  created_by_app, github_updated_at AT TIME ZONE 'UTC' AS github_updated_at, created_at AT TIME ZONE 'UTC' AS created_at,
  updated_at AT TIME ZONE 'UTC' AS updated_at`;

type PullRow = Omit<PullRequest, 'github_id' | 'repo_id' | 'head_repo_id'> & { github_id: string | null; repo_id: string | null; head_repo_id: string | null };
const bigintOf = (text: string | null) => (text === null ? null : BigInt(text));
const pullRequestOf = (row: PullRow): PullRequest => ({
  ...row,
  github_id: bigintOf(row.github_id),
  repo_id: bigintOf(row.repo_id),
  head_repo_id: bigintOf(row.head_repo_id),
});

/** A value as pg should send it: Dates in UTC (the columns have no zone), bigints as text. */
const sqlValue = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value);

/** The row, locked for the rest of the transaction: concurrent deliveries for one PR apply in turn. */
async function lockPullRequest(sql: Queryable, productId: string, number: number): Promise<PullRequest | null> {
  const { rows } = await sql.query<PullRow>({
    name: 'lock-pull-request',
    text: `SELECT ${pullColumns} FROM pull_requests WHERE product_id = $1 AND number = $2 FOR UPDATE`,
    values: [productId, number],
  });
  return rows[0] ? pullRequestOf(rows[0]) : null;
}

async function storyOnBranch(sql: Queryable, productId: string, branch: string): Promise<{ id: string } | null> {
  const { rows } = await sql.query<{ id: string }>({
    name: 'story-on-branch',
    text: 'SELECT id FROM stories WHERE product_id = $1 AND branch = $2',
    values: [productId, branch],
  });
  return rows[0] ?? null;
}

type NewPull = ReturnType<typeof githubFields> & Pick<PullRequest, 'product_id' | 'story_id' | 'number'>;

/** Inserts the record, or returns null when a row for the PR exists already. */
async function insertPullRequest(sql: Queryable, fields: NewPull): Promise<PullRequest | null> {
  const columns = Object.keys(fields);
  const { rows } = await sql.query<PullRow>(
    `INSERT INTO pull_requests (id, ${columns.join(', ')}, updated_at)
     VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')}, now())
     ON CONFLICT (product_id, number) DO NOTHING
     RETURNING ${pullColumns}`,
    // ids are opaque text; Prisma's cuid() is not available outside its client
    [randomUUID(), ...Object.values(fields).map(sqlValue)],
  );
  return rows[0] ? pullRequestOf(rows[0]) : null;
}

async function updatePullRequest(sql: Queryable, id: string, changes: Partial<PullRequest>): Promise<PullRequest> {
  const entries = Object.entries(changes);
  const { rows } = await sql.query<PullRow>(
    `UPDATE pull_requests SET ${entries.map(([column], i) => `${column} = $${i + 2}`).join(', ')}, updated_at = now()
     WHERE id = $1 RETURNING ${pullColumns}`,
    [id, ...entries.map(([, value]) => sqlValue(value))],
  );
  return pullRequestOf(rows[0]!);
}

/** The columns GitHub's word sets; the repository's name is the product's (as of now), its ids the PR's. */
function githubFields(product: ProductRef, pull: PullSnapshot) {
  return {
    repo: product.repo,
    repo_id: BigInt(pull.baseRepoId),
    head_repo_id: pull.headRepoId === null ? null : BigInt(pull.headRepoId),
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

/** The repository ids the PR tells that the record does not hold (a row written without them, e.g. by the story-PR opener). */
function missingRepositoryIds(held: PullRequest, pull: PullSnapshot): Partial<PullRequest> {
  const ids: Partial<PullRequest> = {};
  if (held.repo_id === null) ids.repo_id = BigInt(pull.baseRepoId);
  if (held.head_repo_id === null && pull.headRepoId !== null) ids.head_repo_id = BigInt(pull.headRepoId);
  return ids;
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
async function shareUrlWithStoryJobs(sql: Queryable, record: PullRequest): Promise<void> {
  if (!record.story_id || record.state === 'CLOSED') return;
  await sql.query({
    name: 'share-pr-url-with-story-jobs',
    text: `UPDATE jobs SET pr_url = $1, updated_at = now()
            WHERE story_id = $2 AND status = 'DONE' AND pushed_at IS NOT NULL AND pr_url IS NULL`,
    values: [record.html_url, record.story_id],
  });
}
