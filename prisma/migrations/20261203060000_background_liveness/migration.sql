-- CreateTable
CREATE TABLE "background_workers" (
    "id" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "background_workers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_redeliveries" (
    "guid" TEXT NOT NULL,
    "delivery_id" BIGINT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "status_code" INTEGER NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_redeliveries_pkey" PRIMARY KEY ("guid")
);

-- CreateTable
CREATE TABLE "hook_delivery_scans" (
    "id" TEXT NOT NULL,
    "scanned_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "hook_delivery_scans_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_redeliveries_requested_at_idx" ON "webhook_redeliveries"("requested_at");
