// Setting a PBI's or product's budget (SPEC §11) in one statement each: the
// new budget, a `budget_exceeded` event when it puts the spending at or over
// it (a crossing, as when the spending grows past it: once per crossing), and
// a wake-up (NOTIFY scrum4me_jobs_queued, payload the user id) for the users
// with queued jobs there when it stops being exceeded, so waiting claimers
// take them at once.
import type { Statement } from './run-statement.ts';

type Scope = 'pbi' | 'product';

const table: Record<Scope, string> = { pbi: 'pbis', product: 'products' };
/** the queued jobs of the PBI or product: jobs (pbi_id, status) and jobs_queued_product_idx */
const queuedIn: Record<Scope, string> = { pbi: 'j.pbi_id = u.id', product: 'j.product_id = u.id' };

const exceeded = (budget: string, spent: string) => `(${budget} IS NOT NULL AND ${spent} >= ${budget})`;

/**
 * $1 id, $2 the budget (numeric text, null: none). Answers the new budget and
 * spending as text, or no row for an unknown id. The event CTEs come from the
 * caller (publishChangesSql over `events`).
 */
export const setBudgetStatement = (scope: Scope, publishChanges: string): Statement => ({
  name: `set-${scope}-budget`,
  text: `
    WITH previous AS (
      SELECT id, budget_usd FROM ${table[scope]} WHERE id = $1 FOR NO KEY UPDATE
    ), u AS (
      UPDATE ${table[scope]} t SET budget_usd = $2::numeric FROM previous WHERE t.id = previous.id
      RETURNING t.id, t.budget_usd, t.usage_cost_usd, previous.budget_usd AS old_budget
    ), events AS (
      SELECT 'budget_exceeded' AS type, NULL::text AS user_id,
             json_build_object('type', 'budget_exceeded', '${scope}_id', u.id, 'budget_usd', u.budget_usd::text, 'spent_usd', u.usage_cost_usd::text) AS event
        FROM u WHERE ${exceeded('u.budget_usd', 'u.usage_cost_usd')} AND NOT ${exceeded('u.old_budget', 'u.usage_cost_usd')}
    ), ${publishChanges}, woken AS (
      SELECT pg_notify('scrum4me_jobs_queued', waiting.user_id)
        FROM (SELECT DISTINCT j.user_id FROM jobs j, u
               WHERE ${queuedIn[scope]} AND j.status = 'QUEUED'
                 AND ${exceeded('u.old_budget', 'u.usage_cost_usd')} AND NOT ${exceeded('u.budget_usd', 'u.usage_cost_usd')}) waiting
    )
    SELECT u.id, u.budget_usd::text AS budget_usd, u.usage_cost_usd::text AS spent_usd,
           (SELECT count(*) FROM announced) AS announced, (SELECT count(*) FROM woken) AS woken
      FROM u`,
});

/**
 * The product's max_active_jobs ($2, null: none) and its stripes rebuilt from
 * its active jobs ($1 the product; reset_product_slot_stripes, migration
 * 20261203151326). Run with the jobs table locked against writers (LOCK TABLE
 * jobs IN SHARE MODE): a claim or status change committing during the count
 * would be lost to it. Wakes the product's waiting users when the limit is
 * raised or removed with slots free.
 */
export const setActiveLimitStatement: Statement = {
  name: 'set-product-active-limit',
  text: `
    WITH previous AS (
      SELECT id, max_active_jobs FROM products WHERE id = $1 FOR NO KEY UPDATE
    ), u AS (
      UPDATE products t SET max_active_jobs = $2::int FROM previous WHERE t.id = previous.id
      RETURNING t.id, t.max_active_jobs, previous.max_active_jobs AS old_max
    ), slots AS (
      SELECT u.*, reset_product_slot_stripes(u.id, u.max_active_jobs) AS active FROM u
    ), woken AS (
      SELECT notify_product_waiters(s.id) AS users FROM slots s
       WHERE s.old_max IS NOT NULL AND (s.max_active_jobs IS NULL OR (s.max_active_jobs > s.old_max AND s.active < s.max_active_jobs))
    )
    SELECT s.id, COALESCE((SELECT sum(users) FROM woken), 0) AS woken FROM slots s`,
};

/**
 * Before setActiveLimitStatement: the jobs table locked against
 * writers for the rest of the transaction, waiting at most $1 (a lock_timeout,
 * e.g. '5s'; SET LOCAL as a function, so it takes a parameter). Lock order: the
 * table first, then the product row (claims and status calls hold jobs rows
 * before the product's).
 */
export const lockJobsForActiveCountSql = {
  lockTimeout: `SELECT set_config('lock_timeout', $1::text, true)`,
  lockJobs: 'LOCK TABLE jobs IN SHARE MODE',
};
