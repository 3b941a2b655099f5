// The claim (SPEC §4, §11) in one statement: the user's best queued job whose
// PBI and product are under their budgets and whose product is under its
// max_active_jobs, claimed, its change event stored and announced (S10), and
// the job returned as agents see it.
//
// Jobs: FOR UPDATE SKIP LOCKED lets concurrent claimers (on any replica) pass
// each other's candidate rows instead of waiting or double-claiming.
//
// Budgets: read from the statement's snapshot, no lock. The spending moves in
// the status statements (src/db/sql/job-usage.ts) under the PBI and product
// row locks, so once the call that crosses a budget commits, every claim that
// starts after it skips the PBI's (or product's) queued jobs. A claim already
// running then may still hand out one job: the budget is over-spent by at most
// the jobs already claimed or running when it was reached (one per agent).
//
// max_active_jobs, exact under concurrency: products.active_jobs counts the
// product's claimed + running jobs. A snapshot read of it cannot make the
// limit exact (two claimers would both see the last free slot), so for a
// product with a limit the claim adds its job to the count in the statement
// (`slot`: UPDATE … WHERE active_jobs < max_active_jobs, which READ COMMITTED
// re-checks on the row's newest version after waiting for a concurrent
// claimer's lock). Claimers of one limited product therefore pass one at a
// time, and one that loses the last slot claims nothing (`candidate` is set,
// the job is not): claim.ts tries again with a new snapshot, in which the
// full product is skipped. A job leaves the count through a trigger on jobs at
// commit, whatever makes it stop being active (migration 20261203065000). The
// alternatives: counting the product's active jobs in the claim (the snapshot
// cannot see a concurrent claim even after waiting for its lock, and the count
// grows with the jobs), or a counter kept for every product (every claim of
// every product would write and lock its product row). Products without a
// limit lock nothing.
//
// One statement also keeps the NOTIFY's commit lock short (BENCHMARKS.md).
import type { Statement } from './run-statement.ts';

/** $1 token id, $2 user id, $3 kinds (text[]); the event CTEs come from the caller (publishChangesSql over `events`). */
export const claimJobStatement = (eventSql: { jobStatusEvent: string; publishChanges: string; iso: (column: string) => string }): Statement => ({
  name: 'claim-next-job',
  text: `
  WITH candidate AS (
    SELECT j.id, j.product_id, p.max_active_jobs IS NOT NULL AS limited
      FROM jobs j
      JOIN products p ON p.id = j.product_id
      LEFT JOIN pbis b ON b.id = j.pbi_id
     WHERE j.user_id = $2 AND j.status = 'QUEUED' AND j.kind::text = ANY($3::text[])
       AND (p.max_active_jobs IS NULL OR p.active_jobs < p.max_active_jobs)
       AND (p.budget_usd IS NULL OR p.usage_cost_usd < p.budget_usd)
       AND (b.budget_usd IS NULL OR b.usage_cost_usd < b.budget_usd)
     ORDER BY j.priority DESC, j.created_at ASC
     LIMIT 1
     FOR UPDATE OF j SKIP LOCKED
  ), slot AS (
    UPDATE products p SET active_jobs = p.active_jobs + 1
     WHERE p.id = (SELECT product_id FROM candidate) AND (SELECT limited FROM candidate)
       AND p.max_active_jobs IS NOT NULL AND p.active_jobs < p.max_active_jobs
    RETURNING p.id
  ), claimed AS (
    UPDATE jobs SET status = 'CLAIMED', claimed_by_token_id = $1, claimed_at = now(), heartbeat_at = now(), updated_at = now()
      FROM candidate
     WHERE jobs.id = candidate.id AND (NOT candidate.limited OR EXISTS (SELECT 1 FROM slot))
    RETURNING jobs.*
  ), events AS (
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
