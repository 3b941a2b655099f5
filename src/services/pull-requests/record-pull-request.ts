// Keeps our record of a story's pull request true to what GitHub says, in the
// caller's transaction: the row is locked, the order rule decides (pull-state.ts),
// PRs on a story branch of the product's own repository are adopted, and the
// story's done jobs learn the PR's URL. Anything else is not ours and is left alone.
// The PR's base repository is news of the product's repository: a product matched
// by id learns a new name from it (repository-identity.ts), before the PR row is
// locked (the product row first, always).
// The decision is planPullWrite (pure); writePull carries it out in one
// statement (src/db/sql/pull-request-delivery.ts), which a webhook delivery
// also runs without a transaction (pull-request-delivery.ts).
import type { Queryable } from '../../db/queryable.ts';
import { newRowId } from '../../db/row-id.ts';
import {
  insertPullRequestStatements,
  lockPullRequestStatement,
  pullFieldColumns,
  pullRequestOf,
  recordPullDeliveryStatement,
  storyOnBranchStatement,
  updatePullRequestStatements,
  type PullRow,
} from '../../db/sql/pull-request-delivery.ts';
import { runStatement } from '../../db/sql/run-statement.ts';
import type { PullRequest } from '../../generated/prisma/client.ts';
import type { BackgroundJobSpec } from '../background/enqueue.ts';
import { adoptRepository, identityChange, isProductRepository, pgSql, type ProductIdentity, type RepositoryNews } from '../products/repository-identity.ts';
import type { Delivery } from './deliveries.ts';
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
  const news = repositoryNewsOf(product, pull, source);
  return news ? (await adoptRepository(pgSql(sql), product.id, news)).product : product;
}

/** The news the PR's base repository is for the product, or null when it changes nothing (then learnRepositoryFromPull writes nothing). */
export function repositoryNewsOf(product: ProductRef, pull: PullSnapshot, source: PullSource): RepositoryNews | null {
  if (!isProductRepository(product, { id: pull.baseRepoId, fullName: pull.baseRepo })) return null;
  const news: RepositoryNews = {
    id: pull.baseRepoId,
    fullName: pull.baseRepo,
    updatedAt: pull.baseRepoUpdatedAt,
    source: source.kind === 'reconcile' ? 'read' : 'payload',
  };
  return identityChange(product, news) ? news : null;
}

/** Our record of a PR and the row version it was read at (xmin, as text). */
export interface HeldPullRequest {
  record: PullRequest;
  version: string;
}

/** A story PR record that changed, as it is (or, before the write, will be) stored. */
export interface PullRequestChange {
  record: PullRequest;
  /** null for a PR we had no record of */
  previous: PullRequest | null;
}

/** The background jobs a change queues, added in the statement that writes it. */
export type ChangeJobs = (change: PullRequestChange) => BackgroundJobSpec[];

/** What GitHub's word does to our record, decided on what we hold. */
export type PullPlan =
  | { kind: 'not_ours'; reason: string; held: HeldPullRequest | null; productId: string; number: number }
  | { kind: 'unchanged'; held: HeldPullRequest }
  | { kind: 'stale'; reason: string; held: HeldPullRequest; record: PullRequest; writes: boolean }
  | { kind: 'created'; record: PullRequest; share: boolean }
  | { kind: 'updated'; held: HeldPullRequest; record: PullRequest; share: boolean };

/**
 * The decision: `held` our record (locked, or read with its version), `branchStory`
 * the product's story on the PR's head branch. `record` in a plan is the row as
 * it will be written (created_at/updated_at: the statement's).
 */
export function planPullWrite(product: ProductRef, held: HeldPullRequest | null, branchStory: { id: string } | null, pull: PullSnapshot, source: PullSource): PullPlan {
  const foreign = foreignPullReason(product, pull);
  const story = foreign === null && !held?.record.story_id ? branchStory : null;
  if (!held) {
    const notOurs = { kind: 'not_ours', held, productId: product.id, number: pull.number } as const;
    if (foreign) return { ...notOurs, reason: foreign };
    if (!story) return { ...notOurs, reason: `head ${pull.headRef} is not a story branch of ${product.repo}` };
    const now = new Date();
    const record: PullRequest = {
      id: newRowId(), // Prisma's generator: the row's id does not tell who wrote it
      product_id: product.id,
      story_id: story.id,
      number: pull.number,
      ...githubFields(product, pull),
      merge_method: null,
      merge_parent_sha: null,
      created_by_app: false,
      created_at: now,
      updated_at: now,
    };
    return { kind: 'created', record, share: shares(record) };
  }
  const decision = decidePullUpdate(held.record, pull, source);
  if (decision.kind === 'ignore') {
    // repository ids never change: any word of GitHub, late or not, may fill the ones a record lacks
    const ids = missingRepositoryIds(held.record, pull);
    const writes = Object.keys(ids).length > 0;
    return { kind: 'stale', reason: decision.reason, held, record: { ...held.record, ...ids }, writes };
  }
  const fields = githubFields(product, pull);
  const changes: Partial<PullRequest> = {};
  for (const [key, value] of Object.entries(fields) as [keyof typeof fields, unknown][]) {
    if (!sameValue(held.record[key], value)) Object.assign(changes, { [key]: value });
  }
  if (story && !held.record.story_id) changes.story_id = story.id;
  if (Object.keys(changes).length === 0) return { kind: 'unchanged', held };
  const record = { ...held.record, ...changes };
  return { kind: 'updated', held, record, share: Boolean(changes.story_id || changes.state) && shares(record) };
}

/**
 * Done jobs of the story that pushed work and have no PR URL yet get the PR's
 * (an adopted PR), when the PR is new to the story or comes back; later jobs
 * get it from ensureStoryPullRequest.
 */
const shares = (record: PullRequest) => record.story_id !== null && record.state !== 'CLOSED';

export type WriteResult =
  | { kind: 'written'; record: PullRequest | null }
  /** the record is not the version the plan was made on (or a row appeared): read again */
  | { kind: 'conflict' }
  /** the delivery was recorded already: nothing written */
  | { kind: 'duplicate' };

/**
 * Carries a plan out in one statement, with the delivery's row when `delivery`
 * is given (the statement then also checks the record is still the version the
 * plan was made on) and the background jobs `jobs` asks for a change.
 */
export async function writePull(sql: Queryable, plan: PullPlan, options: { delivery?: Delivery | null; jobs?: ChangeJobs | undefined } = {}): Promise<WriteResult> {
  const delivery = options.delivery ?? null;
  const deliveryValues = [delivery?.id ?? null, delivery?.event ?? null, delivery?.action ?? null];
  if (plan.kind === 'not_ours' || plan.kind === 'unchanged' || (plan.kind === 'stale' && !plan.writes)) {
    if (!delivery) return { kind: 'written', record: null };
    const held = plan.held;
    const { rows } = await sql.query<{ guarded: number; recorded: number }>({
      name: recordPullDeliveryStatement.name,
      text: recordPullDeliveryStatement.text,
      values: [...deliveryValues, held?.record.id ?? null, held?.version ?? null, held?.record.product_id ?? (plan.kind === 'not_ours' ? plan.productId : null), held?.record.number ?? (plan.kind === 'not_ours' ? plan.number : null)],
    });
    return verdict(rows[0]!, null);
  }
  const change: PullRequestChange | null = plan.kind === 'stale' ? null : { record: plan.record, previous: plan.kind === 'updated' ? plan.held.record : null };
  const jobs = change && plan.record.story_id && options.jobs ? options.jobs(change).map(jobRecord) : [];
  const variant = jobs.length > 0 ? 'withJobs' : 'withoutJobs';
  const jobsJson = JSON.stringify(jobs);
  const fields = pullFieldColumns.map((column) => sqlValue(plan.record[column]));
  const share = plan.kind !== 'stale' && plan.share;
  const statement = plan.kind === 'created' ? insertPullRequestStatements[variant] : updatePullRequestStatements[variant];
  const values =
    plan.kind === 'created'
      ? [plan.record.id, ...deliveryValues, share, jobsJson, plan.record.product_id, plan.record.story_id, plan.record.number, ...fields]
      : [plan.held.record.id, plan.held.version, ...deliveryValues, share, jobsJson, plan.record.story_id, ...fields];
  const { rows } = await sql.query<WriteRow>({ name: statement.name, text: statement.text, values });
  const row = rows[0]!;
  return verdict(row, row.id ? pullRequestOf(row as unknown as PullRow) : null, delivery !== null);
}

type WriteRow = { guarded: number; recorded: number; queued: number; id: string | null };

function verdict(row: { guarded: number; recorded: number }, record: PullRequest | null, withDelivery = true): WriteResult {
  if (row.guarded === 0) return { kind: 'conflict' };
  if (withDelivery && row.recorded === 0) return record ? { kind: 'written', record } : { kind: 'duplicate' };
  return { kind: 'written', record };
}

const jobRecord = (job: BackgroundJobSpec) => ({
  identifier: job.task,
  payload: job.payload,
  queue_name: job.queueName ?? null,
  job_key: job.jobKey ?? null,
  max_attempts: job.maxAttempts ?? null,
});

/** In the caller's transaction: the record locked, decided on, written (the reconcile's and the cascade's way; a delivery's fallback). */
export async function recordPullRequest(sql: Queryable, productAsFound: ProductRef, pull: PullSnapshot, source: PullSource, jobs?: ChangeJobs): Promise<RecordOutcome> {
  const product = await learnRepositoryFromPull(sql, productAsFound, pull, source);
  for (let attempt = 0; ; attempt++) {
    const held = await lockPullRequest(sql, product.id, pull.number);
    const story = held?.record.story_id ? null : await storyOnBranch(sql, product.id, pull.headRef);
    const plan = planPullWrite(product, held, story, pull, source);
    const written = await writePull(sql, plan, { jobs });
    // a conflict under the lock: the record was inserted meanwhile by someone else
    // (ensureStoryPullRequest, another replica): decide again on that row
    if (written.kind === 'conflict' && attempt === 0) continue;
    if (written.kind !== 'written') throw new Error(`recording PR #${pull.number}: ${written.kind} under the row lock`);
    return outcomeOf(plan, written.record);
  }
}

/** The outcome of a plan once written (`record`: as the statement returned it, when it wrote one). */
export function outcomeOf(plan: PullPlan, record: PullRequest | null): RecordOutcome {
  switch (plan.kind) {
    case 'not_ours':
      return { kind: 'not_ours', reason: plan.reason };
    case 'unchanged':
      return { kind: 'unchanged', record: plan.held.record };
    case 'stale':
      return { kind: 'stale', record: record ?? plan.held.record, reason: plan.reason };
    case 'created':
      return { kind: 'created', record: record ?? plan.record };
    case 'updated':
      return { kind: 'updated', record: record ?? plan.record, previous: plan.held.record };
  }
}

/** The `pr_`-prefixed columns of a row as our held record, or null when they are empty (no record). */
export function heldOf(row: object): HeldPullRequest | null {
  const entries = Object.entries(row).filter(([key]) => key.startsWith('pr_'));
  const unprefixed = Object.fromEntries(entries.map(([key, value]) => [key.slice(3), value])) as PullRow & { version: string };
  if (unprefixed.id === null || unprefixed.id === undefined) return null;
  return { record: pullRequestOf(unprefixed), version: unprefixed.version };
}

/** A value as pg should send it: Dates in UTC (the columns have no zone), bigints as text. */
const sqlValue = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value);

/** The row, locked for the rest of the transaction: concurrent deliveries for one PR apply in turn. */
async function lockPullRequest(sql: Queryable, productId: string, number: number): Promise<HeldPullRequest | null> {
  const [row] = await runStatement<object>(sql, lockPullRequestStatement, [productId, number]);
  return row ? heldOf(row) : null;
}

async function storyOnBranch(sql: Queryable, productId: string, branch: string): Promise<{ id: string } | null> {
  const [story] = await runStatement<{ id: string }>(sql, storyOnBranchStatement, [productId, branch]);
  return story ?? null;
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
