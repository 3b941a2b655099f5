// What every webhook handler does around its service call: the delivery's
// identity, a log line per outcome, the deliveries metric, and failures
// rethrown so Probot answers 500 and no delivery row is kept. GitHub does not
// redeliver by itself: the `redeliver_failed_webhooks` job (every 5 minutes) asks
// it to (services/webhooks/redeliver-failed.ts); a redelivery keeps its guid.
import type { AppServices } from '../../services/app-services.ts';
import type { Delivery } from '../../services/pull-requests/deliveries.ts';

export interface WebhookContext {
  id: string;
  name: string;
  payload: { action?: string };
}

export function deliveryOf(context: WebhookContext): Delivery {
  return { id: context.id, event: context.name, action: context.payload.action };
}

/** Runs the handler's work; its result's `kind` is the outcome counted and logged. */
export async function handleDelivery<T extends { kind: string }>(
  services: Pick<AppServices, 'log' | 'metrics'>,
  context: WebhookContext,
  work: (delivery: Delivery) => Promise<T>,
  describe: (result: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  const delivery = deliveryOf(context);
  const event = delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event;
  const log = services.log.child({ delivery: delivery.id, event });
  try {
    const result = await work(delivery);
    services.metrics.webhookDeliveries.inc({ event, outcome: result.kind });
    const level = result.kind === 'ignored' || result.kind === 'duplicate' ? 'debug' : 'info';
    log[level]({ outcome: result.kind, ...describe(result) }, 'webhook delivery');
    return result;
  } catch (error) {
    services.metrics.webhookDeliveries.inc({ event, outcome: 'failed' });
    log.error({ err: error }, 'webhook delivery failed');
    throw error;
  }
}
