-- AlterTable
ALTER TABLE "check_runs" ADD COLUMN     "sent_digest" TEXT;
