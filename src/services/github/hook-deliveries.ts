// The app webhook's delivery log on GitHub, as the app (JWT: GitHubAccess.app()).
// Calls:
//   GET  /app/hook/deliveries?per_page=100[&cursor=…]  newest first; one page per
//        100 deliveries, followed through the Link header's cursor, and stopped at
//        the first delivery older than asked;
//   POST /app/hook/deliveries/{delivery_id}/attempts  GitHub sends that delivery
//        again (202 Accepted), with the same X-GitHub-Delivery guid.
import { z } from 'zod';
import type { Octokit } from './access.ts';

export interface HookDelivery {
  /** GitHub's id of this delivery attempt (what a redelivery is asked for by) */
  id: number;
  /** X-GitHub-Delivery: shared by a delivery and its redeliveries */
  guid: string;
  deliveredAt: Date;
  redelivery: boolean;
  /** the app's HTTP answer; 0 when there was none (a timeout, a refused connection) */
  statusCode: number;
  event: string;
  action: string | null;
}

const deliveryItem = z.object({
  id: z.union([z.number().int(), z.bigint()]).transform(Number),
  guid: z.string().min(1),
  delivered_at: z.string().transform((value) => new Date(value)),
  redelivery: z.boolean(),
  status_code: z.number().int(),
  event: z.string(),
  action: z.string().nullable().optional(),
});

/** Every delivery since `since` (newest first), reading no page further than needed. */
export async function listHookDeliveriesSince(octokit: Octokit, since: Date): Promise<HookDelivery[]> {
  const found: HookDelivery[] = [];
  for await (const page of octokit.paginate.iterator(octokit.rest.apps.listWebhookDeliveries, { per_page: 100 })) {
    let older = false;
    for (const raw of page.data) {
      const item = deliveryItem.parse(raw);
      if (item.delivered_at < since) {
        older = true;
        continue;
      }
      found.push({
        id: item.id,
        guid: item.guid,
        deliveredAt: item.delivered_at,
        redelivery: item.redelivery,
        statusCode: item.status_code,
        event: item.event,
        action: item.action ?? null,
      });
    }
    if (older) break;
  }
  return found;
}

export async function redeliverHookDelivery(octokit: Octokit, deliveryId: number): Promise<void> {
  await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId });
}
