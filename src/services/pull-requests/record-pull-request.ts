// Keeps our record of a story's pull request true to what GitHub says, in the
// caller's transaction: the row is locked, the order rule decides (pull-state.ts),
// PRs on a story branch of the product's own repository are adopted, and the
// story's done jobs learn the PR's URL. Anything else is not ours and is left alone.
// Plain SQL on a pg transaction: every webhook delivery comes through here.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/queryable.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
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

export async function recordPullRequest(sql: Queryable, product: ProductRef, pull: PullSnapshot, source: PullSource): Promise<RecordOutcome> {
  let held = await lockPullRequest(sql, product.id, pull.number);
  const foreign = foreignPullReason(product, pull);
  const story = foreign === null && !held?.story_id ? await storyOnBranch(sql, product.id, pull.headRef) : null;

  if (!held) {
    if (foreign) return { kind: 'not_ours', reason: foreign };
    if (!story) return { kind: 'not_ours', reason: `head ${pull.headRef} is not a story branch of ${product.repo}` };
    const created = await insertPullRequest(sql, { ...githubFields(pull), product_id: product.id, story_id: story.id, repo: product.repo, number: pull.number });
    if (created) {
      await shareUrlWithStoryJobs(sql, created);
      return { kind: 'created', record: created };
    }
    // inserted meanwhile by someone else (ensureStoryPullRequest, another replica): update that row
    held = (await lockPullRequest(sql, product.id, pull.number))!;
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
  const record = await updatePullRequest(sql, held.id, changes);
  if (changes.story_id || changes.state) await shareUrlWithStoryJobs(sql, record);
  return { kind: 'updated', record, previous: held };
}

// The row as the Prisma model has it: TIMESTAMP(3) columns hold UTC, BIGINT comes as text.
const pullColumns = `id, product_id, story_id, repo, number, github_id::text AS github_id, title, body, html_url,
  head_ref, head_sha, head_repo, base_ref, state::text AS state, merged_at AT TIME ZONE 'UTC' AS merged_at,
  closed_at AT TIME ZONE 'UTC' AS closed_at, merge_commit_sha, merge_method::text AS merge_method, merge_parent_sha,
  created_by_app, github_updated_at AT TIME ZONE 'UTC' AS github_updated_at, created_at AT TIME ZONE 'UTC' AS created_at,
  updated_at AT TIME ZONE 'UTC' AS updated_at`;

type PullRow = Omit<PullRequest, 'github_id'> & { github_id: string | null };
const pullRequestOf = (row: PullRow): PullRequest => ({ ...row, github_id: row.github_id === null ? null : BigInt(row.github_id) });

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

type NewPull = ReturnType<typeof githubFields> & Pick<PullRequest, 'product_id' | 'story_id' | 'repo' | 'number'>;

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
async function shareUrlWithStoryJobs(sql: Queryable, record: PullRequest): Promise<void> {
  if (!record.story_id || record.state === 'CLOSED') return;
  await sql.query({
    name: 'share-pr-url-with-story-jobs',
    text: `UPDATE jobs SET pr_url = $1, updated_at = now()
            WHERE story_id = $2 AND status = 'DONE' AND pushed_at IS NOT NULL AND pr_url IS NULL`,
    values: [record.html_url, record.story_id],
  });
}
