// check_run.rerequested on our "Scrum4Me" check: recompute the story's check
// (queued in the delivery's transaction, so a redelivery does nothing).
import type { Context } from 'probot';
import type { AppServices } from '../services/app-services.ts';
import { checkRunName } from '../services/checks/story-check.ts';
import { queueCheckRefresh } from '../services/checks/queue-check-refresh.ts';
import { onceForDelivery } from '../services/pull-requests/deliveries.ts';

export function checkRunRerequestedHandler(services: AppServices) {
  return async (context: Context<'check_run.rerequested'>): Promise<void> => {
    const checkRun = context.payload.check_run;
    if (checkRun.name !== checkRunName) return;
    const record = await services.prisma.checkRun.findFirst({ where: { github_id: BigInt(checkRun.id) }, select: { story_id: true } });
    if (!record) {
      context.log.debug({ checkRunId: checkRun.id }, 'rerequested check run is not one of ours');
      return;
    }
    await onceForDelivery(services.prisma, { id: context.id, event: 'check_run', action: 'rerequested' }, (tx) => queueCheckRefresh(tx, record.story_id, { resend: true }));
  };
}
