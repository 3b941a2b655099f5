// check_run.rerequested on our "Scrum4Me" check: a person asked GitHub to run the
// check again. The story's check is recomputed and sent even when unchanged
// (queueCheckRefresh's `resend`), queued in the delivery's transaction so a
// redelivery of the same webhook queues nothing.
import type { AppServices } from '../app-services.ts';
import { onceForDelivery, type Delivery } from '../pull-requests/deliveries.ts';
import { queueCheckRefresh } from './queue-check-refresh.ts';
import { checkRunName } from './story-check.ts';

export type RerequestedOutcome = 'queued' | 'duplicate' | 'not_ours';

/** `checkRun`: the webhook's check_run (its GitHub id and name). */
export async function rerequestCheckRun(
  services: Pick<AppServices, 'prisma'>,
  delivery: Delivery,
  checkRun: { id: number; name: string },
): Promise<RerequestedOutcome> {
  if (checkRun.name !== checkRunName) return 'not_ours';
  const record = await services.prisma.checkRun.findFirst({ where: { github_id: BigInt(checkRun.id) }, select: { story_id: true } });
  if (!record) return 'not_ours';
  const result = await onceForDelivery(services.prisma, delivery, (tx) => queueCheckRefresh(tx, record.story_id, { resend: true }));
  return result.duplicate ? 'duplicate' : 'queued';
}
