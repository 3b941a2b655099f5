// The claim (SPEC §4, §11) in one statement: the user's best queued job whose
// PBI and product are under their budgets and whose product is under its
// max_active_jobs, claimed, its change event stored and announced (S10), and
// the job returned as agents see it.
//
// Jobs: FOR UPDATE SKIP LOCKED lets concurrent claimers (on any replica) pass
// each other's candidate rows instead of waiting or double-claiming.
//
// What the claim may not hand out comes as two short lists, read once per claim
// (the ARRAY sub-selects: products over budget or with no stripe with room,
// PBIs over budget; partial indexes keep them to those with a budget or a
// limit), checked per job by claim_passes_over (migration 20261203163525, which
// says why it is a function), so the candidate scan is the claim index alone in
// claim order. Joined to its product and PBI per row instead, the planner chose
// (after ANALYZE, with a few thousand jobs queued for the user) to read and sort
// all of them: 6,000+ buffers a claim, claims at 150/s instead of 1,000+/s
// (bench/support/experiments/claim-limits.ts, test/services/claim-plan.test.ts).
//
// Budgets: read from the statement's snapshot, no lock. The spending moves in
// the status statements (src/db/sql/job-usage.ts) under the PBI and product
// row locks, so once the call that crosses a budget commits, every claim that
// starts after it skips the PBI's (or product's) queued jobs. A claim already
// running then may still hand out one job: the budget is over-spent by at most
// the jobs already claimed or running when it was reached (one per agent).
//
// max_active_jobs, exact under concurrency, without queueing claimers on one
// row: the limit is split into stripes (product_slot_stripes, up to 16, each
// with a share of the limit as its capacity; migration 20261203151326). The
// candidate's product must have a stripe with room in the snapshot. Once the
// candidate is locked, `free_slot` takes one such stripe that no concurrent
// claim holds (FOR UPDATE SKIP LOCKED, which READ COMMITTED re-checks on the
// stripe's newest version), the claim counts its job there and remembers the
// stripe in jobs.slot_stripe, and a trigger on jobs frees the slot at the
// commit that ends the job's activity. So claimers of one product take
// different stripes and pass each other, and the stripes' sum never passes the
// limit. When concurrent claims hold every stripe with room, `busy_slot` waits
// for the one with the most room (a busy product is not a full one: no
// lower-priority job instead, no empty answer); if it has none left once the
// lock is ours, nothing is claimed (`candidate` is set, the job is not) and
// claim.ts tries again with a new snapshot, in which the product has room or
// is full and skipped.
// No deadlock: a claim never waits for a job row (SKIP LOCKED), holds at most
// one stripe, and waits for none once it holds one; the trigger that frees
// slots takes the product's advisory lock first, so two transactions freeing
// several slots of one product never take stripes in opposite orders. The
// stripe is locked only after the candidate scan: locking stripes while the
// scan still walks past other claimers' jobs let one claim hold several, and
// with 16 claimers every stripe was held.
// The alternatives: one counter per product (every claim of the product waited
// for the row lock of the one before it: claims at 77-87 % of those without a
// limit, BENCHMARKS.md), or counting the product's active jobs in the claim
// (the snapshot cannot see a concurrent claim, and the count grows with the
// jobs). Products without a limit lock nothing.
//
// One statement also keeps the NOTIFY's commit lock short (BENCHMARKS.md).
import type { Statement } from './run-statement.ts';

/**
 * The claim itself, as CTEs ending in `claimed` (the claimed job's row, or
 * none): $1 token id, $2 user id, $3 kinds (text[]). Shared by the statement
 * below and the benchmark's bare claim (bench/claims.ts), so the two never drift.
 */
export const claimCtes = `
  candidate AS (
    SELECT j.id, j.product_id
      FROM jobs j
     WHERE j.user_id = $2 AND j.status = 'QUEUED' AND j.kind = ANY($3::"JobKind"[])
       AND NOT claim_passes_over(j.product_id, j.pbi_id,
             ARRAY(SELECT p.id FROM products p
                    WHERE (p.budget_usd IS NOT NULL OR p.max_active_jobs IS NOT NULL)
                      AND ((p.budget_usd IS NOT NULL AND p.usage_cost_usd >= p.budget_usd)
                           OR (p.max_active_jobs IS NOT NULL
                               AND NOT EXISTS (SELECT 1 FROM product_slot_stripes f WHERE f.product_id = p.id AND f.active < f.capacity)))),
             ARRAY(SELECT b.id FROM pbis b WHERE b.budget_usd IS NOT NULL AND b.usage_cost_usd >= b.budget_usd))
     ORDER BY j.priority DESC, j.created_at ASC
     LIMIT 1
     FOR UPDATE OF j SKIP LOCKED
  ), limited AS (
    SELECT c.id, c.product_id FROM candidate c JOIN products p ON p.id = c.product_id WHERE p.max_active_jobs IS NOT NULL
  ), free_slot AS (
    SELECT s.product_id, s.stripe
      FROM product_slot_stripes s
      JOIN limited c ON s.product_id = c.product_id
     WHERE s.active < s.capacity
     ORDER BY s.stripe
     LIMIT 1
     FOR UPDATE OF s SKIP LOCKED
  ), busy_slot AS (
    SELECT s.product_id, s.stripe
      FROM product_slot_stripes s
      JOIN limited c ON s.product_id = c.product_id
     WHERE NOT EXISTS (SELECT 1 FROM free_slot)
       AND s.stripe = (SELECT f.stripe FROM product_slot_stripes f
                        WHERE f.product_id = c.product_id AND f.active < f.capacity
                        ORDER BY f.capacity - f.active DESC, f.stripe
                        LIMIT 1)
       AND s.active < s.capacity
     FOR UPDATE OF s
  ), slot AS (
    SELECT product_id, stripe FROM free_slot UNION ALL SELECT product_id, stripe FROM busy_slot
  ), taken AS (
    UPDATE product_slot_stripes s SET active = s.active + 1
      FROM slot
     WHERE s.product_id = slot.product_id AND s.stripe = slot.stripe AND s.active < s.capacity
    RETURNING s.stripe
  ), claimed AS (
    UPDATE jobs SET status = 'CLAIMED', claimed_by_token_id = $1, claimed_at = now(), heartbeat_at = now(), updated_at = now(),
                    slot_stripe = (SELECT stripe FROM taken)
      FROM candidate
     WHERE jobs.id = candidate.id AND (NOT EXISTS (SELECT 1 FROM limited) OR EXISTS (SELECT 1 FROM taken))
    RETURNING jobs.*
  )`;

/** $1 token id, $2 user id, $3 kinds (text[]); the event CTEs come from the caller (publishChangesSql over `events`). */
export const claimJobStatement = (eventSql: { jobStatusEvent: string; publishChanges: string; iso: (column: string) => string }): Statement => ({
  name: 'claim-next-job',
  text: `
  WITH ${claimCtes}, events AS (
    SELECT 'claude_job_status' AS type, c.user_id, ${eventSql.jobStatusEvent} AS event FROM claimed c
  ), ${eventSql.publishChanges}
  SELECT c.id, c.kind::text AS kind, c.status::text AS status, c.priority, ${eventSql.iso('c.claimed_at')} AS claimed_at,
         p.id AS product_id, p.name AS product_name, p.repo, p.base_branch,
         b.id AS pbi_id, b.code AS pbi_code, b.title AS pbi_title,
         s.id AS story_id, s.code AS story_code, s.title AS story_title, s.branch AS story_branch,
         t.id AS task_id, t.title AS task_title, t.plan, t.plan_paths, t.verify_only, t.verify_required::text AS verify_required,
         i.id AS idea_id, i.title AS idea_title, i.body AS idea_body,
         EXISTS (SELECT 1 FROM candidate) AS had_candidate,
         (SELECT count(*) FROM announced) AS announced
    FROM (SELECT 1) one
    LEFT JOIN claimed c ON true
    LEFT JOIN products p ON p.id = c.product_id
    LEFT JOIN pbis b ON b.id = c.pbi_id
    LEFT JOIN stories s ON s.id = c.story_id
    LEFT JOIN tasks t ON t.id = c.task_id
    LEFT JOIN ideas i ON i.id = c.idea_id`,
});
