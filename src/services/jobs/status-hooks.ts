// Connects the status call to story PRs (and their check runs) and the cascade.
import type { AppServices } from '../app-services.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { startCascade } from '../cascade/start-cascade.ts';
import { ensureStoryPullRequest } from '../story-pr/ensure-story-pr.ts';
import { queueStoryPrRetry } from '../story-pr/story-pr-queue.ts';
import { addTrace } from './trace.ts';
import type { StatusHooks } from './update-status.ts';

export function createStatusHooks(services: Pick<AppServices, 'prisma' | 'github' | 'log'>, extra: Partial<StatusHooks> = {}): StatusHooks {
  return {
    onTaskFailed: startCascade,
    async onWorkPushed(jobId) {
      try {
        const outcome = await ensureStoryPullRequest(services, jobId, { body: 'queue' });
        if (outcome.kind === 'skipped') return null;
        const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { story_id: true } });
        if (job.story_id) await queueCheckRefresh(services.prisma, job.story_id);
        return outcome.url;
      } catch (error) {
        // S7: PR trouble is a warning; the PR is made in the background
        services.log.warn({ err: error, jobId }, 'story PR failed; retrying in the background');
        const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { story_id: true } });
        await services.prisma.$transaction(async (tx) => {
          await addTrace(tx, { job_id: jobId, level: 'WARN', message: `story PR not made yet (${(error as Error).message.slice(0, 300)}); retrying in the background` });
          await queueStoryPrRetry(tx, job.story_id ?? jobId, jobId);
        });
        return null;
      }
    },
    ...extra,
  };
}
