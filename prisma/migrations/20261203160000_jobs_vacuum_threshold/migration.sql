-- Autovacuum of jobs after a fixed number of dead rows, whatever the table's
-- size (issue 16). Migration 20261203060200 started it after 1 % of the table
-- + 1,000 dead rows: 11,000 at a million jobs, about 3,700 claims (a claim
-- leaves three dead row versions: claimed, running, done). A round at a million
-- rows takes about a second (log_autovacuum_min_duration = 0: elapsed 0.7-1.3 s,
-- most of it reading the eight indexes), but rounds came only every 6-9 s, and
-- the claimed entries of those thousands of claims piled up at the head of
-- jobs_queued_claim_idx: after 100,000 claims the claim's index scan read
-- 32-56 buffers, now 4-5 (bench/support/claim-churn.ts --depth 1000000).
-- With no scale factor a round starts after 1,000 dead rows at any size: under
-- churn the rounds follow each other (autovacuum_naptime 1 s), idle they stop.
ALTER TABLE "jobs" SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 1000
);
