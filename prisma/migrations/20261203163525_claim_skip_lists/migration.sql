-- The claim skips the products and PBIs it may not hand out (over budget, at
-- max_active_jobs) by two short lists read once per claim, instead of joining
-- every candidate job to its product and PBI (src/db/sql/claim-job.ts). These
-- partial indexes keep the lists' reads to the products and PBIs that have a
-- budget or a limit.

-- CreateIndex
CREATE INDEX "products_limited_idx" ON "products"("id") WHERE (budget_usd IS NOT NULL OR max_active_jobs IS NOT NULL);

-- CreateIndex
CREATE INDEX "pbis_budgeted_idx" ON "pbis"("id") WHERE (budget_usd IS NOT NULL);

-- Whether the claim must pass a job over: its product or PBI is on the lists.
-- A function the planner cannot see into, on purpose: written out in the claim
-- (`product_id <> ALL (…)`), the planner estimated from the column's statistics
-- (one product: every job excluded) that no job would pass, so an ordered index
-- scan looked no cheaper than reading and sorting all the user's queued jobs,
-- and it chose the sort. A function call gets its default estimate (a third of
-- rows excluded), and the claim stays an index scan in claim order.
-- plpgsql, so it is never inlined.
CREATE FUNCTION "claim_passes_over"(product text, pbi text, skipped_products text[], skipped_pbis text[]) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS E'
BEGIN
  RETURN product = ANY(skipped_products) OR COALESCE(pbi = ANY(skipped_pbis), false)\073
END
';
