-- AlterTable
ALTER TABLE "products" ADD COLUMN     "repo_updated_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "pull_requests" ADD COLUMN     "head_repo_id" BIGINT,
ADD COLUMN     "repo_id" BIGINT;

-- CreateIndex
CREATE UNIQUE INDEX "products_github_repo_id_key" ON "products"("github_repo_id");
