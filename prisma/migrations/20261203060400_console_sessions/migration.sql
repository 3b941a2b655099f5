-- CreateTable
CREATE TABLE "console_sessions" (
    "id" TEXT NOT NULL,
    "id_hash" TEXT NOT NULL,
    "token_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "console_sessions_id_hash_key" ON "console_sessions"("id_hash");

-- CreateIndex
CREATE INDEX "console_sessions_token_id_idx" ON "console_sessions"("token_id");

-- CreateIndex
CREATE INDEX "console_sessions_last_seen_at_idx" ON "console_sessions"("last_seen_at");

-- AddForeignKey
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_token_id_fkey" FOREIGN KEY ("token_id") REFERENCES "api_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The operator console's live board (src/console/live/board-feed.ts). A story's PR
-- or check run, a cascade and its undo steps are written by webhooks, reconciles and
-- background tasks on any replica, and none of them publishes a change event: this
-- trigger announces the PBI such a row belongs to on channel `scrum4me_console`, at
-- commit, so every replica's open boards re-read it. Only the PBI id travels (no row
-- data): what a board shows is always read fresh. Prisma does not model triggers, so
-- the schema diff ignores them.
-- The body is an E'' string with \073 for each semicolon: the migration runner's
-- driver adapter (@prisma/adapter-pg executeScript) splits a script at every
-- semicolon, quoted or not.
CREATE FUNCTION "scrum4me_console_notify"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  pbi TEXT\073
BEGIN
  IF TG_TABLE_NAME = ''cascades'' THEN
    pbi := NEW.pbi_id\073
  ELSIF TG_TABLE_NAME = ''cascade_steps'' THEN
    SELECT c.pbi_id INTO pbi FROM cascades c WHERE c.id = NEW.cascade_id\073
  ELSIF NEW.story_id IS NOT NULL THEN
    SELECT s.pbi_id INTO pbi FROM stories s WHERE s.id = NEW.story_id\073
  END IF\073
  IF pbi IS NOT NULL THEN
    PERFORM pg_notify(''scrum4me_console'', pbi)\073
  END IF\073
  RETURN NULL\073
END
';

CREATE TRIGGER "pull_requests_console_notify" AFTER INSERT OR UPDATE ON "pull_requests"
    FOR EACH ROW EXECUTE FUNCTION "scrum4me_console_notify"();
CREATE TRIGGER "check_runs_console_notify" AFTER INSERT OR UPDATE ON "check_runs"
    FOR EACH ROW EXECUTE FUNCTION "scrum4me_console_notify"();
CREATE TRIGGER "cascades_console_notify" AFTER INSERT OR UPDATE ON "cascades"
    FOR EACH ROW EXECUTE FUNCTION "scrum4me_console_notify"();
CREATE TRIGGER "cascade_steps_console_notify" AFTER INSERT OR UPDATE ON "cascade_steps"
    FOR EACH ROW EXECUTE FUNCTION "scrum4me_console_notify"();
