// What the database keeps only for a while (the hourly `prune_retention` job):
//   change events       24 hours (SSE clients resume within that: event-hub.ts)
//   webhook deliveries  14 days  (GitHub redelivers for a few days at most)
//   redelivery records  14 days  (the healer looks back 3 days at most)
//   worker heartbeats   1 day    (rows of workers that died holding nothing)
import type { PrismaClient } from '../../db/client.ts';
import { pruneChangeEvents } from '../events/event-hub.ts';

const day = 24 * 3600_000;

export interface PruneSummary {
  change_events: number;
  webhook_deliveries: number;
  webhook_redeliveries: number;
  background_workers: number;
}

export async function pruneExpiredRows(prisma: PrismaClient, now: Date = new Date()): Promise<PruneSummary> {
  const before = (ms: number) => new Date(now.getTime() - ms);
  return {
    change_events: await pruneChangeEvents(prisma),
    webhook_deliveries: (await prisma.webhookDelivery.deleteMany({ where: { received_at: { lt: before(14 * day) } } })).count,
    webhook_redeliveries: (await prisma.webhookRedelivery.deleteMany({ where: { requested_at: { lt: before(14 * day) } } })).count,
    background_workers: (await prisma.backgroundWorker.deleteMany({ where: { heartbeat_at: { lt: before(day) } } })).count,
  };
}
