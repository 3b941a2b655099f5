-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'CLAIMED', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "VerifyResult" AS ENUM ('ALIGNED', 'PARTIAL', 'DIVERGENT', 'EMPTY');

-- CreateEnum
CREATE TYPE "VerifyRequired" AS ENUM ('ALIGNED', 'ALIGNED_OR_PARTIAL', 'ANY');

-- CreateEnum
CREATE TYPE "IdeaStatus" AS ENUM ('DRAFT', 'GRILLED', 'GRILL_FAILED', 'PLAN_READY', 'PLAN_FAILED');

-- CreateEnum
CREATE TYPE "IdeaLogType" AS ENUM ('JOB_EVENT', 'GRILL_MD', 'PLAN_MD');

-- CreateEnum
CREATE TYPE "PullRequestState" AS ENUM ('OPEN', 'CLOSED', 'MERGED');

-- CreateEnum
CREATE TYPE "MergeMethod" AS ENUM ('MERGE', 'SQUASH', 'REBASE');

-- CreateEnum
CREATE TYPE "CascadeStatus" AS ENUM ('RUNNING', 'DONE');

-- CreateEnum
CREATE TYPE "CascadeStepAction" AS ENUM ('CLOSE_PR', 'REVERT_PR', 'DELETE_BRANCH', 'SKIP');

-- CreateEnum
CREATE TYPE "CascadeStepState" AS ENUM ('PENDING', 'DONE', 'FAILED', 'SKIPPED');

-- CreateEnum
CREATE TYPE "TraceLevel" AS ENUM ('INFO', 'WARN', 'ERROR');

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "admin" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "installations" (
    "id" BIGINT NOT NULL,
    "account_login" TEXT NOT NULL,
    "suspended_at" TIMESTAMP(3),
    "deleted_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "installations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "products" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "repo_key" TEXT NOT NULL,
    "github_repo_id" BIGINT,
    "base_branch" TEXT NOT NULL,
    "auto_pr" BOOLEAN NOT NULL DEFAULT true,
    "installation_id" BIGINT,
    "repo_removed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pbis" (
    "id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "code" TEXT,
    "title" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pbis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stories" (
    "id" TEXT NOT NULL,
    "pbi_id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "code" TEXT,
    "title" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" TEXT NOT NULL,
    "story_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "plan" TEXT,
    "plan_paths" TEXT[],
    "verify_only" BOOLEAN NOT NULL DEFAULT false,
    "verify_required" "VerifyRequired" NOT NULL DEFAULT 'ALIGNED_OR_PARTIAL',
    "position" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ideas" (
    "id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT,
    "status" "IdeaStatus" NOT NULL DEFAULT 'DRAFT',
    "grill_md" TEXT,
    "plan_md" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ideas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idea_logs" (
    "id" TEXT NOT NULL,
    "idea_id" TEXT NOT NULL,
    "type" "IdeaLogType" NOT NULL,
    "content" TEXT NOT NULL,
    "metadata" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idea_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" TEXT NOT NULL,
    "kind" "JobKind" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "user_id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "pbi_id" TEXT,
    "story_id" TEXT,
    "task_id" TEXT,
    "idea_id" TEXT,
    "claimed_by_token_id" TEXT,
    "claimed_at" TIMESTAMP(3),
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "heartbeat_at" TIMESTAMP(3),
    "branch" TEXT,
    "pushed_at" TIMESTAMP(3),
    "pr_url" TEXT,
    "verify_result" "VerifyResult",
    "summary" TEXT,
    "error" TEXT,
    "model_id" TEXT,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cache_read_tokens" INTEGER,
    "cache_write_tokens" INTEGER,
    "cascade_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trace_entries" (
    "id" BIGSERIAL NOT NULL,
    "job_id" TEXT,
    "cascade_id" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "level" "TraceLevel" NOT NULL DEFAULT 'INFO',
    "message" TEXT NOT NULL,

    CONSTRAINT "trace_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pull_requests" (
    "id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "story_id" TEXT,
    "repo" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "github_id" BIGINT,
    "title" TEXT NOT NULL,
    "body" TEXT,
    "html_url" TEXT NOT NULL,
    "head_ref" TEXT NOT NULL,
    "head_sha" TEXT NOT NULL,
    "head_repo" TEXT,
    "base_ref" TEXT NOT NULL,
    "state" "PullRequestState" NOT NULL,
    "merged_at" TIMESTAMP(3),
    "closed_at" TIMESTAMP(3),
    "merge_commit_sha" TEXT,
    "merge_method" "MergeMethod",
    "merge_parent_sha" TEXT,
    "created_by_app" BOOLEAN NOT NULL DEFAULT false,
    "github_updated_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "pull_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "check_runs" (
    "id" TEXT NOT NULL,
    "story_id" TEXT NOT NULL,
    "pull_request_id" TEXT,
    "head_sha" TEXT NOT NULL,
    "github_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "conclusion" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "check_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cascades" (
    "id" TEXT NOT NULL,
    "pbi_id" TEXT NOT NULL,
    "open_pbi_id" TEXT,
    "failed_job_id" TEXT NOT NULL,
    "status" "CascadeStatus" NOT NULL DEFAULT 'RUNNING',
    "cancelled_job_ids" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "reopened_at" TIMESTAMP(3),

    CONSTRAINT "cascades_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cascade_steps" (
    "id" TEXT NOT NULL,
    "cascade_id" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "story_id" TEXT,
    "pull_number" INTEGER,
    "action" "CascadeStepAction" NOT NULL,
    "state" "CascadeStepState" NOT NULL DEFAULT 'PENDING',
    "revert_pull_number" INTEGER,
    "revert_pr_url" TEXT,
    "warning" TEXT,
    "progress" JSONB NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "cascade_steps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_events" (
    "seq" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "user_id" TEXT,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_events_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_name_key" ON "users"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "products_repo_key_key" ON "products"("repo_key");

-- CreateIndex
CREATE INDEX "products_installation_id_idx" ON "products"("installation_id");

-- CreateIndex
CREATE INDEX "pbis_product_id_idx" ON "pbis"("product_id");

-- CreateIndex
CREATE INDEX "stories_pbi_id_idx" ON "stories"("pbi_id");

-- CreateIndex
CREATE UNIQUE INDEX "stories_product_id_branch_key" ON "stories"("product_id", "branch");

-- CreateIndex
CREATE INDEX "tasks_story_id_idx" ON "tasks"("story_id");

-- CreateIndex
CREATE INDEX "ideas_product_id_idx" ON "ideas"("product_id");

-- CreateIndex
CREATE INDEX "idea_logs_idea_id_idx" ON "idea_logs"("idea_id");

-- CreateIndex
CREATE INDEX "jobs_user_id_status_priority_created_at_idx" ON "jobs"("user_id", "status", "priority" DESC, "created_at");

-- CreateIndex
CREATE INDEX "jobs_pbi_id_status_idx" ON "jobs"("pbi_id", "status");

-- CreateIndex
CREATE INDEX "jobs_story_id_status_idx" ON "jobs"("story_id", "status");

-- CreateIndex
CREATE INDEX "jobs_status_heartbeat_at_idx" ON "jobs"("status", "heartbeat_at");

-- CreateIndex
CREATE INDEX "jobs_task_id_idx" ON "jobs"("task_id");

-- CreateIndex
CREATE INDEX "jobs_idea_id_idx" ON "jobs"("idea_id");

-- CreateIndex
CREATE INDEX "trace_entries_job_id_id_idx" ON "trace_entries"("job_id", "id");

-- CreateIndex
CREATE INDEX "trace_entries_cascade_id_id_idx" ON "trace_entries"("cascade_id", "id");

-- CreateIndex
CREATE INDEX "pull_requests_product_id_head_ref_idx" ON "pull_requests"("product_id", "head_ref");

-- CreateIndex
CREATE INDEX "pull_requests_story_id_idx" ON "pull_requests"("story_id");

-- CreateIndex
CREATE UNIQUE INDEX "pull_requests_product_id_number_key" ON "pull_requests"("product_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "check_runs_story_id_head_sha_key" ON "check_runs"("story_id", "head_sha");

-- CreateIndex
CREATE UNIQUE INDEX "cascades_open_pbi_id_key" ON "cascades"("open_pbi_id");

-- CreateIndex
CREATE INDEX "cascades_pbi_id_idx" ON "cascades"("pbi_id");

-- CreateIndex
CREATE UNIQUE INDEX "cascade_steps_cascade_id_branch_key" ON "cascade_steps"("cascade_id", "branch");

-- CreateIndex
CREATE INDEX "webhook_deliveries_received_at_idx" ON "webhook_deliveries"("received_at");

-- CreateIndex
CREATE INDEX "change_events_created_at_idx" ON "change_events"("created_at");

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "products" ADD CONSTRAINT "products_installation_id_fkey" FOREIGN KEY ("installation_id") REFERENCES "installations"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pbis" ADD CONSTRAINT "pbis_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stories" ADD CONSTRAINT "stories_pbi_id_fkey" FOREIGN KEY ("pbi_id") REFERENCES "pbis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stories" ADD CONSTRAINT "stories_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_story_id_fkey" FOREIGN KEY ("story_id") REFERENCES "stories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ideas" ADD CONSTRAINT "ideas_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idea_logs" ADD CONSTRAINT "idea_logs_idea_id_fkey" FOREIGN KEY ("idea_id") REFERENCES "ideas"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_pbi_id_fkey" FOREIGN KEY ("pbi_id") REFERENCES "pbis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_story_id_fkey" FOREIGN KEY ("story_id") REFERENCES "stories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_idea_id_fkey" FOREIGN KEY ("idea_id") REFERENCES "ideas"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_claimed_by_token_id_fkey" FOREIGN KEY ("claimed_by_token_id") REFERENCES "api_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_cascade_id_fkey" FOREIGN KEY ("cascade_id") REFERENCES "cascades"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_entries" ADD CONSTRAINT "trace_entries_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_entries" ADD CONSTRAINT "trace_entries_cascade_id_fkey" FOREIGN KEY ("cascade_id") REFERENCES "cascades"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_story_id_fkey" FOREIGN KEY ("story_id") REFERENCES "stories"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_runs" ADD CONSTRAINT "check_runs_story_id_fkey" FOREIGN KEY ("story_id") REFERENCES "stories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_runs" ADD CONSTRAINT "check_runs_pull_request_id_fkey" FOREIGN KEY ("pull_request_id") REFERENCES "pull_requests"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cascades" ADD CONSTRAINT "cascades_pbi_id_fkey" FOREIGN KEY ("pbi_id") REFERENCES "pbis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cascades" ADD CONSTRAINT "cascades_failed_job_id_fkey" FOREIGN KEY ("failed_job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cascade_steps" ADD CONSTRAINT "cascade_steps_cascade_id_fkey" FOREIGN KEY ("cascade_id") REFERENCES "cascades"("id") ON DELETE CASCADE ON UPDATE CASCADE;
