-- A cascade step's place in the plan (issue 13): the steps of a cascade are
-- planned in one insert, so they share created_at, and their order was read
-- from their ids (Prisma's cuids count up within one process). Ids are opaque:
-- the order is now stored with the step, set when the cascade opens.

-- AlterTable
ALTER TABLE "cascade_steps" ADD COLUMN     "position" INTEGER;

-- Steps planned before this migration: the order they were read in until now
UPDATE "cascade_steps" s SET "position" = o.position
  FROM (SELECT id, (row_number() OVER (PARTITION BY cascade_id ORDER BY created_at, id) - 1)::int AS position FROM "cascade_steps") o
 WHERE s.id = o.id;

ALTER TABLE "cascade_steps" ALTER COLUMN "position" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "cascade_steps_cascade_id_position_key" ON "cascade_steps"("cascade_id", "position");
