// Heals webhook deliveries GitHub could not make (the app was down, answered an
// error, or too late): the `redeliver_failed_webhooks` job looks at the app's
// delivery log since its last look (hook-deliveries.ts) and asks GitHub to send
// again each delivery that
//   - failed (no 2xx answer for its guid in the log),
//   - was never processed (no row in webhook_deliveries for its guid), and
//   - was not redelivered by us already (no row in webhook_redeliveries).
// A redelivery keeps its guid, so one that arrives twice still takes effect once
// (deliveries.ts); asking for it is therefore recorded after GitHub accepted.
import type { AppServices } from '../app-services.ts';
import { statusOf } from '../github/access.ts';
import type { HookDelivery } from '../github/port.ts';
import { isPermanentFailure } from '../background/task-failures.ts';

type Services = Pick<AppServices, 'prisma' | 'github' | 'log'>;

const scanId = 'app';
/** GitHub redelivers deliveries of the last 3 days; an hour's margin */
const redeliverableMs = 71 * 3600_000;
/** GitHub logs a delivery once it has an answer: each look overlaps the last by this much */
const overlapMs = 10 * 60_000;
/** at most this many redeliveries per look; the rest wait for the next one */
export const maxRedeliveriesPerLook = 50;

export interface RedeliverySummary {
  since: Date;
  seen: number;
  redelivered: { guid: string; deliveryId: number; event: string; statusCode: number }[];
  /** asked for, and GitHub refused (e.g. 422 for a delivery too old): recorded, never asked again */
  refused: { guid: string; deliveryId: number; status: number }[];
  /** more were waiting than one look takes */
  truncated: boolean;
}

/** The failed deliveries to ask for again, oldest first (one per guid: its newest attempt). */
export function failedUnhandled(deliveries: HookDelivery[], known: Set<string>): HookDelivery[] {
  const succeeded = new Set(deliveries.filter((d) => d.statusCode >= 200 && d.statusCode < 300).map((d) => d.guid));
  const newest = new Map<string, HookDelivery>();
  for (const delivery of deliveries) {
    if (succeeded.has(delivery.guid) || known.has(delivery.guid)) continue;
    const seen = newest.get(delivery.guid);
    if (!seen || delivery.deliveredAt > seen.deliveredAt) newest.set(delivery.guid, delivery);
  }
  return [...newest.values()].sort((a, b) => a.deliveredAt.getTime() - b.deliveredAt.getTime());
}

export async function redeliverFailedWebhooks(services: Services, now: Date = new Date()): Promise<RedeliverySummary> {
  const { prisma, log } = services;
  const last = await prisma.hookDeliveryScan.findUnique({ where: { id: scanId } });
  const oldest = now.getTime() - redeliverableMs;
  const since = new Date(last ? Math.max(oldest, last.scanned_at.getTime() - overlapMs) : oldest);

  const app = await services.github.app();
  const deliveries = await app.listHookDeliveriesSince(since);
  const guids = [...new Set(deliveries.map((d) => d.guid))];
  const [processed, asked] = await Promise.all([
    prisma.webhookDelivery.findMany({ where: { id: { in: guids } }, select: { id: true } }),
    prisma.webhookRedelivery.findMany({ where: { guid: { in: guids } }, select: { guid: true } }),
  ]);
  const known = new Set([...processed.map((row) => row.id), ...asked.map((row) => row.guid)]);
  const waiting = failedUnhandled(deliveries, known);
  const toRedeliver = waiting.slice(0, maxRedeliveriesPerLook);

  const summary: RedeliverySummary = { since, seen: deliveries.length, redelivered: [], refused: [], truncated: waiting.length > toRedeliver.length };
  for (const delivery of toRedeliver) {
    try {
      await app.redeliverHookDelivery(delivery.id);
      summary.redelivered.push({ guid: delivery.guid, deliveryId: delivery.id, event: delivery.event, statusCode: delivery.statusCode });
    } catch (error) {
      // transient trouble or a rate limit: stop here; the next run starts from the same look
      if (!isPermanentFailure(error)) throw error;
      summary.refused.push({ guid: delivery.guid, deliveryId: delivery.id, status: statusOf(error) ?? 0 });
      log.warn({ err: error, guid: delivery.guid, deliveryId: delivery.id }, 'GitHub refused to redeliver a failed webhook delivery');
    }
    await prisma.webhookRedelivery.createMany({
      data: [{ guid: delivery.guid, delivery_id: BigInt(delivery.id), event: delivery.event, action: delivery.action, status_code: delivery.statusCode }],
      skipDuplicates: true,
    });
  }
  // the look is done only when nothing is left waiting; otherwise the next one looks again from here
  if (!summary.truncated) {
    await prisma.hookDeliveryScan.upsert({ where: { id: scanId }, create: { id: scanId, scanned_at: now }, update: { scanned_at: now } });
  }
  if (summary.redelivered.length > 0 || summary.refused.length > 0) {
    log.info({ redelivered: summary.redelivered, refused: summary.refused.length, since }, 'failed webhook deliveries redelivered');
  }
  return summary;
}
