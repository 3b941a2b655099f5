-- Reads bounded by what they show, and a claim index that stays lean under churn
-- (issue 16). See docs/architecture.md, "Where Prisma is fine and where it is not".

-- The newest jobs of a task (check run, story PR body, PBI view): one index probe
-- per task with LIMIT, instead of reading the whole history of a task. id is the
-- tie-break of those reads (ORDER BY created_at DESC, id DESC): with it in the
-- index the probe stops at the first match, even under a filter (the newest DONE
-- job). Covers the plain task_id index it replaces (foreign-key lookups).
DROP INDEX "jobs_task_id_idx";

-- CreateIndex
CREATE INDEX "jobs_task_id_created_at_id_idx" ON "jobs"("task_id", "created_at" DESC, "id" DESC);

-- The claim (and the has-queued-work check) reads only QUEUED rows: this index
-- holds only them, where (user_id, status, priority, created_at) held every job
-- and took a new entry at every status change. A claimed job leaves a dead entry
-- at the head of the index until VACUUM removes it.
DROP INDEX "jobs_user_id_status_priority_created_at_idx";

-- CreateIndex
CREATE INDEX "jobs_queued_claim_idx" ON "jobs"("user_id", "priority" DESC, "created_at") WHERE (status = 'QUEUED');

-- jobs is a queue table: each claim and status call turns a row over. With the
-- default thresholds (20 % of the table) autovacuum waits for 200,000 dead rows
-- in a table of a million. These start it after 1 % + 1,000 and let it run
-- unthrottled. vacuum_index_cleanup = on: by default a vacuum that finds dead
-- rows on few heap pages skips the indexes, which leaves the claimed entries at
-- the head of the claim index for every claim to walk through. ANALYZE keeps
-- its default pace (while it runs, no claimed entry can be cleared).
-- autovacuum_naptime (how often autovacuum looks at all) is a server setting.
-- Not expressible in schema.prisma, storage parameters live only here.
ALTER TABLE "jobs" SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 1000,
  autovacuum_vacuum_cost_delay = 0,
  vacuum_index_cleanup = on
);
