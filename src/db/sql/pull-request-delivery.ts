// A pull_request delivery in two statements: one read (the product of the
// repository, whether the delivery was seen, our PR record with its row
// version, the story on the head branch) and one write that applies the
// decision only if the record is still the version it was taken on (xmin: every
// update of a row makes a new version with the writer's transaction id), with
// the delivery row, the jobs' PR URL and the background jobs the change queues
// in the same statement. Why hand-written: the delivery was 7 round trips
// (product, BEGIN, delivery row, PR lock, write, check refresh, COMMIT) and on
// this VM a round trip costs more than the work (BENCHMARKS.md, session 3).
// The decision stays in TypeScript (pull-state.ts); the statements only carry it out.
// record-pull-request.ts and pull-request-delivery.ts run them.
import type { PullRequest } from '../../generated/prisma/client.ts';
import { addJobSql } from './background-jobs.ts';
import { productOfRepositorySql } from './repository-identity.ts';
import type { Statement } from './run-statement.ts';
import { deliverySeenSql, insertDeliverySql } from './webhook-deliveries.ts';

/**
 * How each column of our PR record is read so that pg gives what Prisma's model
 * has: TIMESTAMP(3) columns hold UTC (`utc`), BIGINT and enums come as text
 * (`text`; BIGINT turned back into bigint by pullRequestOf). The keys are the
 * model's fields, checked by the compiler: a column added to the schema does not
 * compile until it is read here, so hand-read rows never lack a field.
 */
const pullColumnReads = {
  id: 'plain', product_id: 'plain', story_id: 'plain', repo: 'plain', number: 'plain', github_id: 'bigint', title: 'plain',
  body: 'plain', html_url: 'plain', head_ref: 'plain', head_sha: 'plain', head_repo: 'plain', repo_id: 'bigint',
  head_repo_id: 'bigint', base_ref: 'plain', state: 'text', merged_at: 'utc', closed_at: 'utc', merge_commit_sha: 'plain',
  merge_method: 'text', merge_parent_sha: 'plain', created_by_app: 'plain', github_updated_at: 'utc', created_at: 'utc',
  updated_at: 'utc',
} as const satisfies Record<keyof PullRequest, 'plain' | 'text' | 'bigint' | 'utc'>;
type PullColumn = keyof typeof pullColumnReads;
const pullColumns = Object.keys(pullColumnReads) as PullColumn[];

/** Our PR record's columns as pullColumnReads reads them; `prefix` names the columns apart from others. */
export const pullRequestColumns = (alias: string, prefix = '') =>
  pullColumns
    .map((column) => {
      const read = pullColumnReads[column];
      const expression = read === 'utc' ? `${alias}.${column} AT TIME ZONE 'UTC'` : read === 'plain' ? `${alias}.${column}` : `${alias}.${column}::text`;
      return `${expression} AS ${prefix}${column}`;
    })
    .join(', ');

type BigintColumn = { [C in PullColumn]: (typeof pullColumnReads)[C] extends 'bigint' ? C : never }[PullColumn];
export type PullRow = Omit<PullRequest, BigintColumn> & Record<BigintColumn, string | null>;

/** A row of pullRequestColumns (its `prefix` stripped) as the Prisma model. */
export const pullRequestOf = (row: PullRow): PullRequest => {
  const record: Record<string, unknown> = {};
  for (const column of pullColumns) {
    const value = row[column];
    record[column] = pullColumnReads[column] === 'bigint' && value !== null ? BigInt(value as string) : value;
  }
  return record as PullRequest;
};

/**
 * $1 repository id, $2 lower-cased names, $3 delivery id, $4 PR number, $5 head branch.
 * No row: no product has the repository. `pr_*` columns are null when we hold no record.
 */
export const pullDeliveryReadStatement: Statement = {
  name: 'pull-delivery-read',
  text: `
    WITH product AS (${productOfRepositorySql})
    SELECT product.id AS product_id, product.repo AS product_repo, product.github_repo_id AS product_github_repo_id,
           product.repo_updated_at AS product_repo_updated_at,
           ${deliverySeenSql('$3')} AS seen,
           (SELECT s.id FROM stories s WHERE s.product_id = product.id AND s.branch = $5) AS branch_story_id,
           pr.xmin::text AS pr_version, ${pullRequestColumns('pr', 'pr_')}
      FROM product
      LEFT JOIN pull_requests pr ON pr.product_id = product.id AND pr.number = $4`,
};

/** Our record of the PR with its row version, locked until the transaction ends ($1 product, $2 number). */
export const lockPullRequestStatement: Statement = {
  name: 'lock-pull-request',
  text: `SELECT pr.xmin::text AS pr_version, ${pullRequestColumns('pr', 'pr_')} FROM pull_requests pr WHERE pr.product_id = $1 AND pr.number = $2 FOR UPDATE`,
};

/** The product's story on a branch ($1 product, $2 branch): a PR on it is the story's. */
export const storyOnBranchStatement: Statement = {
  name: 'story-on-branch',
  text: 'SELECT id FROM stories WHERE product_id = $1 AND branch = $2',
};

/** The columns GitHub's word sets, in the order of the statements' field parameters. */
export const pullFieldColumns = [
  'repo', 'repo_id', 'head_repo_id', 'github_id', 'title', 'body', 'html_url', 'head_ref', 'head_sha', 'head_repo', 'base_ref',
  'state', 'merged_at', 'closed_at', 'merge_commit_sha', 'github_updated_at',
] as const;
const fieldTypes: Record<(typeof pullFieldColumns)[number], string> = {
  repo: 'text', repo_id: 'bigint', head_repo_id: 'bigint', github_id: 'bigint', title: 'text', body: 'text', html_url: 'text',
  head_ref: 'text', head_sha: 'text', head_repo: 'text', base_ref: 'text', state: '"PullRequestState"', merged_at: 'timestamp(3)',
  closed_at: 'timestamp(3)', merge_commit_sha: 'text', github_updated_at: 'timestamp(3)',
};
const fieldParam = (column: (typeof pullFieldColumns)[number], first: number) => `$${first + pullFieldColumns.indexOf(column)}::${fieldTypes[column]}`;

/**
 * The tail both writes share, after a CTE `written` holding the written record:
 * the story's done jobs with pushed work learn the PR's URL ($share), then, in
 * the `withJobs` variant, the background jobs are added ($jobs: a JSON array of
 * {identifier, payload, queue_name, job_key, max_attempts}). Job rows first, job
 * keys last: the lock order of the status calls (update-status.ts), which queue
 * the same keys. Without jobs the statement names no graphile_worker object.
 */
const afterWrite = (share: string, jobs: string, withJobs: boolean) => `
  shared AS (
    UPDATE jobs j SET pr_url = w.html_url, updated_at = now()
      FROM written w
     WHERE ${share}::boolean AND w.story_id IS NOT NULL AND j.story_id = w.story_id
       AND j.status = 'DONE' AND j.pushed_at IS NOT NULL AND j.pr_url IS NULL
    RETURNING j.id
  ), queued AS (${
    withJobs
      ? `
    SELECT ${addJobSql({ task: 's.identifier', payload: 's.payload', queueName: 's.queue_name', maxAttempts: 's.max_attempts', jobKey: 's.job_key' })}
      FROM json_to_recordset(${jobs}::json) AS s(identifier text, payload json, queue_name text, job_key text, max_attempts int)
     WHERE EXISTS (SELECT 1 FROM written) AND (SELECT count(*) FROM shared) >= 0`
      : `
    SELECT 1 WHERE ${jobs}::json IS NULL AND (SELECT count(*) FROM shared) < 0`
  }
  )`;

/**
 * updatePullRequestStatements: updates the record if it is still version $2, and records the delivery ($3;
 * null: no delivery, the caller's transaction holds the lock). Nothing is
 * written when the version moved on (guarded = 0: read again and decide again)
 * or the delivery was recorded already (recorded = 0).
 * $1 id, $2 version, $3 delivery id, $4 event, $5 action, $6 share, $7 jobs, $8 story, $9… fields.
 */
const updatePullRequestSql = (withJobs: boolean) => `
    WITH guard AS (
      SELECT id FROM pull_requests WHERE id = $1 AND xmin::text = $2 FOR UPDATE
    ), delivery AS (${insertDeliverySql('$3', '$4', '$5', 'FROM guard WHERE $3::text IS NOT NULL')}
    ), written AS (
      UPDATE pull_requests p
         SET story_id = $8::text, ${pullFieldColumns.map((column) => `${column} = ${fieldParam(column, 9)}`).join(', ')}, updated_at = now()
        FROM guard
       WHERE p.id = guard.id AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM delivery))
      RETURNING ${pullRequestColumns('p')}
    ), ${afterWrite('$6', '$7', withJobs)}
    SELECT (SELECT count(*)::int FROM guard) AS guarded, (SELECT count(*)::int FROM delivery) AS recorded,
           (SELECT count(*)::int FROM queued) AS queued, w.*
      FROM (SELECT 1) one LEFT JOIN written w ON true`;

/** updatePullRequestSql with the jobs added, and without (no jobs asked for: $7 is then ignored). */
export const updatePullRequestStatements: Record<'withJobs' | 'withoutJobs', Statement> = {
  withJobs: { name: 'pull-delivery-update-jobs', text: updatePullRequestSql(true) },
  withoutJobs: { name: 'pull-delivery-update', text: updatePullRequestSql(false) },
};

/**
 * insertPullRequestStatements: inserts the record unless one exists for the PR (inserted = 0: read again),
 * and records the delivery ($2; null: none). A copy of the same delivery
 * recorded meanwhile by another replica leaves recorded = 0 with the record
 * written: GitHub's word on a PR we held no record of, true either way.
 * $1 id, $2 delivery id, $3 event, $4 action, $5 share, $6 jobs, $7 product, $8 story, $9 number, $10… fields.
 */
const insertPullRequestSql = (withJobs: boolean) => `
    WITH written AS (
      INSERT INTO pull_requests (id, product_id, story_id, number, ${pullFieldColumns.join(', ')}, updated_at)
      VALUES ($1::text, $7::text, $8::text, $9::int, ${pullFieldColumns.map((column) => fieldParam(column, 10)).join(', ')}, now())
      ON CONFLICT (product_id, number) DO NOTHING
      RETURNING ${pullRequestColumns('pull_requests')}
    ), delivery AS (${insertDeliverySql('$2', '$3', '$4', 'FROM written WHERE $2::text IS NOT NULL')}
    ), ${afterWrite('$5', '$6', withJobs)}
    SELECT (SELECT count(*)::int FROM written) AS guarded, (SELECT count(*)::int FROM delivery) AS recorded,
           (SELECT count(*)::int FROM queued) AS queued, w.*
      FROM (SELECT 1) one LEFT JOIN written w ON true`;

/** insertPullRequestSql with the jobs added, and without. */
export const insertPullRequestStatements: Record<'withJobs' | 'withoutJobs', Statement> = {
  withJobs: { name: 'pull-delivery-insert-jobs', text: insertPullRequestSql(true) },
  withoutJobs: { name: 'pull-delivery-insert', text: insertPullRequestSql(false) },
};

/**
 * Records a delivery that changes no record (not ours, stale, unchanged), if
 * what it was decided on still holds: our record still version $5 ($4 its id),
 * or still no record of the PR ($4 null; $6 product, $7 number).
 * $1 delivery id, $2 event, $3 action.
 */
export const recordPullDeliveryStatement: Statement = {
  name: 'pull-delivery-record',
  text: `
    WITH held AS (
      SELECT id FROM pull_requests WHERE id = $4::text AND xmin::text = $5::text FOR UPDATE
    ), guard AS (
      SELECT 1 FROM held
      UNION ALL
      SELECT 1 WHERE $4::text IS NULL AND NOT EXISTS (SELECT 1 FROM pull_requests WHERE product_id = $6::text AND number = $7::int)
    ), delivery AS (${insertDeliverySql('$1', '$2', '$3', 'FROM guard')}
    )
    SELECT (SELECT count(*)::int FROM guard) AS guarded, (SELECT count(*)::int FROM delivery) AS recorded`,
};
