// S7 in the status call: after a task's `done` with pushed work has committed,
// its story's pull request is made (one per story: story-pr/ensure-story-pr.ts)
// and the story's check run refreshed. PR trouble never fails the call: it
// becomes a trace warning and an `ensure_story_pr` background job.
import type { AppServices } from '../app-services.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { ensureStoryPullRequest } from '../story-pr/ensure-story-pr.ts';
import { queueStoryPrRetry } from '../story-pr/story-pr-queue.ts';
import { addTrace } from './trace.ts';

/** The story PR's URL, or null when there is none (yet). */
export async function openStoryPullRequestAfterPush(services: Pick<AppServices, 'prisma' | 'github' | 'log'>, jobId: string): Promise<string | null> {
  try {
    const outcome = await ensureStoryPullRequest(services, jobId, { body: 'queue' });
    if (outcome.kind === 'skipped') return null;
    const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { story_id: true } });
    if (job.story_id) await queueCheckRefresh(services.prisma, job.story_id);
    return outcome.url;
  } catch (error) {
    services.log.warn({ err: error, jobId }, 'story PR failed; retrying in the background');
    const job = await services.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { story_id: true } });
    await services.prisma.$transaction(async (tx) => {
      await addTrace(tx, { job_id: jobId, level: 'WARN', message: `story PR not made yet (${(error as Error).message.slice(0, 300)}); retrying in the background` });
      await queueStoryPrRetry(tx, job.story_id ?? jobId, jobId);
    });
    return null;
  }
}
