-- max_active_jobs counted in stripes instead of one column of products (issue 15).
-- With one counter every claim of a limited product updated the product's row
-- and held its lock to commit, so 16 agents on one product claimed one at a time
-- (HTTP claims at 77-87 % of the same claims without a limit, BENCHMARKS.md). Now
-- the limit is split into up to 16 stripes, each with a share of it (capacity);
-- a claim takes a slot in a stripe with room that no concurrent claim holds
-- (src/db/sql/claim-job.ts) and remembers it in jobs.slot_stripe, and the
-- trigger frees it there. The stripes' sum is the product's active jobs.
-- Function and trigger bodies are E'' strings with \073 for each semicolon:
-- migrations run through @prisma/adapter-pg, whose executeScript splits the file
-- at every semicolon.

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "slot_stripe" SMALLINT;

-- CreateTable
CREATE TABLE "product_slot_stripes" (
    "product_id" TEXT NOT NULL,
    "stripe" SMALLINT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "active" INTEGER NOT NULL,

    CONSTRAINT "product_slot_stripes_pkey" PRIMARY KEY ("product_id","stripe")
);

-- AddForeignKey
ALTER TABLE "product_slot_stripes" ADD CONSTRAINT "product_slot_stripes_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The one definition of a product's stripes for a limit (null: none, 0: no
-- slot at all): LEAST(limit, 16) stripes sharing the limit as evenly as
-- integers allow, and the product's claimed + running jobs dealt round-robin
-- over them (so no stripe holds more than its share while the jobs fit the
-- limit). Returns those jobs' count. Callers hold the jobs table against
-- writers (LOCK TABLE jobs IN SHARE MODE): no claim or status change may move
-- a job while the count is taken.
CREATE FUNCTION "reset_product_slot_stripes"(product text, max_active integer) RETURNS integer LANGUAGE plpgsql AS E'
DECLARE
  stripes integer := LEAST(COALESCE(max_active, 0), 16)\073
  active_count integer\073
BEGIN
  UPDATE jobs SET slot_stripe = CASE WHEN stripes > 0 THEN (dealt.rank % stripes)::smallint END
    FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rank
            FROM jobs WHERE product_id = product AND status IN (''CLAIMED'', ''RUNNING'')) dealt
   WHERE jobs.id = dealt.id\073
  GET DIAGNOSTICS active_count = ROW_COUNT\073
  DELETE FROM product_slot_stripes WHERE product_id = product\073
  IF stripes > 0 THEN
    INSERT INTO product_slot_stripes (product_id, stripe, capacity, active)
    SELECT product, g, max_active / stripes + (g < max_active % stripes)::int,
           active_count / stripes + (g < active_count % stripes)::int
      FROM generate_series(0, stripes - 1) g\073
  END IF\073
  RETURN active_count\073
END
';

-- Wakes the users with queued jobs in the product (NOTIFY scrum4me_jobs_queued,
-- payload the user id, as on enqueue): a slot freed or the limit was raised.
-- Walks jobs_queued_product_idx one user at a time (a loose index scan), so a
-- deep queue of one user costs one index probe per user, not a read of every
-- queued job as DISTINCT did. Returns how many were woken.
CREATE FUNCTION "notify_product_waiters"(product text) RETURNS integer LANGUAGE sql AS E'
  WITH RECURSIVE waiting(user_id) AS (
    (SELECT user_id FROM jobs WHERE product_id = product AND status = ''QUEUED'' ORDER BY user_id LIMIT 1)
    UNION ALL
    SELECT (SELECT j.user_id FROM jobs j
             WHERE j.product_id = product AND j.status = ''QUEUED'' AND j.user_id > w.user_id
             ORDER BY j.user_id LIMIT 1)
      FROM waiting w WHERE w.user_id IS NOT NULL
  )
  SELECT count(*)::int FROM (SELECT pg_notify(''scrum4me_jobs_queued'', user_id) FROM waiting WHERE user_id IS NOT NULL) notified
';

-- The products that have a limit today: their stripes from their active jobs.
SELECT reset_product_slot_stripes(id, max_active_jobs) FROM products WHERE max_active_jobs IS NOT NULL;

DROP TRIGGER "jobs_count_active_update" ON "jobs";
DROP TRIGGER "jobs_count_active_insert" ON "jobs";
DROP TRIGGER "jobs_count_active_delete" ON "jobs";
DROP FUNCTION "jobs_count_active"();

-- AlterTable
ALTER TABLE "products" DROP COLUMN "active_jobs";

-- A job that stops being active (whatever moves it: a status call, the cascade,
-- the stale-claim sweep, a delete) frees its slot in its stripe and wakes the
-- product's waiting users. Deferred to commit, so the stripe is locked only at
-- the end of the transaction that moved the job: a failing status call's cascade
-- locks its siblings' rows after its own job changed, and an immediate trigger
-- would hold the stripe while it waits for them (a sibling's claim, holding the
-- stripe, never waits for a job row: it skips locked ones, but a sibling's
-- status call would wait on the stripe at its commit).
-- For a job that took no slot (no limit when it was claimed) it does nothing.
-- First the product's advisory lock (`slots:<product id>`, src/db/sql/advisory-locks.ts):
-- a transaction that frees several slots (a cascade, the stale-claim sweep)
-- locks their stripes in the order its rows changed, and two of them in one
-- product could otherwise each hold a stripe the other waits for.
CREATE FUNCTION "jobs_free_slot"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(''slots:'' || OLD.product_id))\073
  UPDATE product_slot_stripes SET active = active - 1 WHERE product_id = OLD.product_id AND stripe = OLD.slot_stripe\073
  IF FOUND THEN PERFORM notify_product_waiters(OLD.product_id)\073 END IF\073
  RETURN NULL\073
END
';

CREATE CONSTRAINT TRIGGER "jobs_free_slot_update" AFTER UPDATE OF "status" ON "jobs"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IN ('CLAIMED', 'RUNNING') AND NOT (NEW.status IN ('CLAIMED', 'RUNNING')) AND OLD.slot_stripe IS NOT NULL)
  EXECUTE FUNCTION "jobs_free_slot"();

CREATE CONSTRAINT TRIGGER "jobs_free_slot_delete" AFTER DELETE ON "jobs"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IN ('CLAIMED', 'RUNNING') AND OLD.slot_stripe IS NOT NULL)
  EXECUTE FUNCTION "jobs_free_slot"();

-- The claim is the one way into claimed and takes its slot itself. A job
-- inserted already active (an import, a test) takes one in the stripe with the
-- most room, at once, even past the limit: it is active, so it counts.
CREATE FUNCTION "jobs_take_slot_on_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE product_slot_stripes SET active = active + 1
   WHERE product_id = NEW.product_id
     AND stripe = (SELECT s.stripe FROM product_slot_stripes s WHERE s.product_id = NEW.product_id ORDER BY s.active - s.capacity, s.stripe LIMIT 1)
  RETURNING stripe INTO NEW.slot_stripe\073
  RETURN NEW\073
END
';

CREATE TRIGGER "jobs_take_slot_on_insert" BEFORE INSERT ON "jobs"
  FOR EACH ROW WHEN (NEW.status IN ('CLAIMED', 'RUNNING'))
  EXECUTE FUNCTION "jobs_take_slot_on_insert"();
