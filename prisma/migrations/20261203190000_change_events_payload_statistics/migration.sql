-- No planner statistics for change_events.payload (issue 16: the claim under
-- churn). No query filters on the payload (events are read by seq and pruned by
-- created_at), but each autovacuum ANALYZE of the table computed statistics of
-- every sampled payload, and every claim and status change adds an event, so the
-- table is analyzed often. An ANALYZE holds a snapshot while it runs, and until
-- it ends VACUUM can clean no claimed job's entry from the claim index: claims
-- then read hundreds of buffers. Without the payload's statistics ANALYZE takes
-- 109-114 ms instead of 370-385 ms at 200,000 events (BENCHMARKS.md, session 6).
ALTER TABLE "change_events" ALTER COLUMN "payload" SET STATISTICS 0;
