-- Usage, cost, budgets and per-product concurrency (SPEC §11, issue 15).
-- Money is NUMERIC (exact): prices to 1e-6 USD per million tokens, costs and
-- totals to 1e-9 USD, with room for 2^53 tokens at the highest price.

-- CreateTable
-- One table per price change, the newest (highest id) in force. Old tables
-- stay, so a job's cost (priced when its usage was reported) stays explained.
CREATE TABLE "price_tables" (
    "id" BIGSERIAL NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "digest" TEXT NOT NULL,

    CONSTRAINT "price_tables_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_entries" (
    "table_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "input" DECIMAL(13,6) NOT NULL,
    "output" DECIMAL(13,6) NOT NULL,
    "cache_read" DECIMAL(13,6) NOT NULL,
    "cache_write" DECIMAL(13,6) NOT NULL,

    CONSTRAINT "price_entries_pkey" PRIMARY KEY ("table_id","position")
);

-- AddForeignKey
ALTER TABLE "price_entries" ADD CONSTRAINT "price_entries_table_id_fkey" FOREIGN KEY ("table_id") REFERENCES "price_tables"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
-- A job's cost at the price in force when its usage was reported, and usage_at:
-- when that was (null: never).
ALTER TABLE "jobs" ADD COLUMN     "cost_usd" DECIMAL(40,9),
ADD COLUMN     "price_table_id" BIGINT,
ADD COLUMN     "usage_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "budget_usd" DECIMAL(40,9),
ADD COLUMN     "max_active_jobs" INTEGER,
ADD COLUMN     "active_jobs" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "usage_input_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_output_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_read_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cost_usd" DECIMAL(40,9) NOT NULL DEFAULT 0,
ADD COLUMN     "usage_unpriced_jobs" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "pbis" ADD COLUMN     "budget_usd" DECIMAL(40,9),
ADD COLUMN     "usage_input_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_output_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_read_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cost_usd" DECIMAL(40,9) NOT NULL DEFAULT 0,
ADD COLUMN     "usage_unpriced_jobs" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "stories" ADD COLUMN     "usage_input_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_output_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_read_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "usage_cost_usd" DECIMAL(40,9) NOT NULL DEFAULT 0,
ADD COLUMN     "usage_unpriced_jobs" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
-- The users waiting for a product's queued jobs, to wake when a slot frees or
-- its budget is raised: only QUEUED rows, like the claim index.
CREATE INDEX "jobs_queued_product_idx" ON "jobs"("product_id", "user_id") WHERE (status = 'QUEUED');

-- Usage reported before this migration: it has no price (no table existed), so
-- those jobs count as unpriced, and the totals start from them.
UPDATE "jobs" SET "usage_at" = "updated_at"
 WHERE "model_id" IS NOT NULL OR "input_tokens" IS NOT NULL OR "output_tokens" IS NOT NULL
    OR "cache_read_tokens" IS NOT NULL OR "cache_write_tokens" IS NOT NULL;

UPDATE "stories" s SET "usage_input_tokens" = t.i, "usage_output_tokens" = t.o, "usage_cache_read_tokens" = t.cr,
                       "usage_cache_write_tokens" = t.cw, "usage_unpriced_jobs" = t.n
  FROM (SELECT story_id, LEAST(COALESCE(sum(input_tokens), 0), 9223372036854775807)::bigint AS i,
               LEAST(COALESCE(sum(output_tokens), 0), 9223372036854775807)::bigint AS o,
               LEAST(COALESCE(sum(cache_read_tokens), 0), 9223372036854775807)::bigint AS cr,
               LEAST(COALESCE(sum(cache_write_tokens), 0), 9223372036854775807)::bigint AS cw, count(*)::int AS n
          FROM "jobs" WHERE usage_at IS NOT NULL AND story_id IS NOT NULL GROUP BY story_id) t
 WHERE s.id = t.story_id;

UPDATE "pbis" s SET "usage_input_tokens" = t.i, "usage_output_tokens" = t.o, "usage_cache_read_tokens" = t.cr,
                    "usage_cache_write_tokens" = t.cw, "usage_unpriced_jobs" = t.n
  FROM (SELECT pbi_id, LEAST(COALESCE(sum(input_tokens), 0), 9223372036854775807)::bigint AS i,
               LEAST(COALESCE(sum(output_tokens), 0), 9223372036854775807)::bigint AS o,
               LEAST(COALESCE(sum(cache_read_tokens), 0), 9223372036854775807)::bigint AS cr,
               LEAST(COALESCE(sum(cache_write_tokens), 0), 9223372036854775807)::bigint AS cw, count(*)::int AS n
          FROM "jobs" WHERE usage_at IS NOT NULL AND pbi_id IS NOT NULL GROUP BY pbi_id) t
 WHERE s.id = t.pbi_id;

UPDATE "products" s SET "usage_input_tokens" = t.i, "usage_output_tokens" = t.o, "usage_cache_read_tokens" = t.cr,
                        "usage_cache_write_tokens" = t.cw, "usage_unpriced_jobs" = t.n
  FROM (SELECT product_id, LEAST(COALESCE(sum(input_tokens), 0), 9223372036854775807)::bigint AS i,
               LEAST(COALESCE(sum(output_tokens), 0), 9223372036854775807)::bigint AS o,
               LEAST(COALESCE(sum(cache_read_tokens), 0), 9223372036854775807)::bigint AS cr,
               LEAST(COALESCE(sum(cache_write_tokens), 0), 9223372036854775807)::bigint AS cw, count(*)::int AS n
          FROM "jobs" WHERE usage_at IS NOT NULL GROUP BY product_id) t
 WHERE s.id = t.product_id;

-- products.active_jobs: the product's claimed + running jobs, kept while the
-- product has max_active_jobs (src/db/sql/claim-job.ts explains the choice).
-- The claim adds its job (checked against the limit under the product row
-- lock), and this trigger takes away a job that stops being active, whatever
-- moves it (a status call, the cascade, the stale-claim sweep), and counts one
-- inserted or deleted while active. Not expressible in schema.prisma: triggers
-- live only here.
--
-- Deferred to commit, so the product row is locked only at the end of the
-- transaction that moved the job: a failing status call's cascade locks its
-- siblings' rows after its own job changed, and an immediate trigger would hold
-- the product row while it waits for them (a sibling's status call, holding its
-- row, then waits for the product: a deadlock).
-- For a product without a limit the UPDATE matches no row and locks nothing.
-- A job of a limited product that stops being active frees a slot: the users
-- with queued jobs there are woken (NOTIFY scrum4me_jobs_queued, as on enqueue).
-- The body is an E'' string with \073 for each semicolon: migrations run through
-- @prisma/adapter-pg here, whose executeScript splits the file at every semicolon.
CREATE FUNCTION "jobs_count_active"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  delta integer := 0\073
  product text\073
BEGIN
  IF TG_OP <> ''INSERT'' AND OLD.status IN (''CLAIMED'', ''RUNNING'') THEN delta := delta - 1\073 END IF\073
  IF TG_OP <> ''DELETE'' AND NEW.status IN (''CLAIMED'', ''RUNNING'') THEN delta := delta + 1\073 END IF\073
  IF delta = 0 THEN RETURN NULL\073 END IF\073
  product := CASE WHEN TG_OP = ''DELETE'' THEN OLD.product_id ELSE NEW.product_id END\073
  UPDATE products SET active_jobs = active_jobs + delta WHERE id = product AND max_active_jobs IS NOT NULL\073
  IF FOUND AND delta < 0 THEN
    PERFORM pg_notify(''scrum4me_jobs_queued'', waiting.user_id)
       FROM (SELECT DISTINCT user_id FROM jobs WHERE product_id = product AND status = ''QUEUED'') waiting\073
  END IF\073
  RETURN NULL\073
END
';

-- Only a job that stops being active: the claim (the one way into claimed)
-- adds its job itself, under the product row lock it checks the limit with.
CREATE CONSTRAINT TRIGGER "jobs_count_active_update" AFTER UPDATE OF "status" ON "jobs"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IN ('CLAIMED', 'RUNNING') AND NOT (NEW.status IN ('CLAIMED', 'RUNNING')))
  EXECUTE FUNCTION "jobs_count_active"();

CREATE CONSTRAINT TRIGGER "jobs_count_active_insert" AFTER INSERT ON "jobs"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.status IN ('CLAIMED', 'RUNNING'))
  EXECUTE FUNCTION "jobs_count_active"();

CREATE CONSTRAINT TRIGGER "jobs_count_active_delete" AFTER DELETE ON "jobs"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IN ('CLAIMED', 'RUNNING'))
  EXECUTE FUNCTION "jobs_count_active"();
