// The background tasks graphile-worker runs, and what each does with failures:
// transient GitHub trouble is thrown (retried with backoff); anything else is
// recorded and dropped, so a bad job cannot retry forever.
import type { Task, TaskList } from 'graphile-worker';
import { runCascade } from '../cascade/run-cascade.ts';
import type { AppServices } from '../app-services.ts';
import { refreshStoryCheck } from '../checks/story-check.ts';
import { isTransientGitHubError, retryAfterSeconds } from '../github/access.ts';
import { cascadeQueue } from '../cascade/start-cascade.ts';
import { addTrace } from '../jobs/trace.ts';
import { ensureStoryPullRequest } from '../story-pr/ensure-story-pr.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';

type Services = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log' | 'metrics'>;

function guarded(services: Services, name: string, work: (payload: Record<string, string>) => Promise<void>): Task {
  return async (payload) => {
    try {
      await work(payload as Record<string, string>);
    } catch (error) {
      if (isTransientGitHubError(error)) throw error;
      services.log.warn({ err: error, task: name, payload }, 'background task failed permanently');
    }
  };
}

export function backgroundTasks(services: Services, extra: TaskList = {}): TaskList {
  return {
    ensure_story_pr: guarded(services, 'ensure_story_pr', async ({ job_id }) => {
      try {
        const outcome = await ensureStoryPullRequest(services, job_id!);
        if (outcome.kind !== 'skipped') {
          const job = await services.prisma.job.findUniqueOrThrow({ where: { id: job_id! }, select: { story_id: true } });
          if (job.story_id) await queueCheckRefresh(services.prisma, job.story_id);
        }
      } catch (error) {
        if (!isTransientGitHubError(error)) {
          await addTrace(services.prisma, { job_id: job_id!, level: 'WARN', message: `story PR not made: ${(error as Error).message}` });
        }
        throw error;
      }
    }),
    refresh_story_check: guarded(services, 'refresh_story_check', async ({ story_id, resend }) => {
      await refreshStoryCheck(services, story_id!, { resend: resend === 'true' });
    }),
    cascade_undo: async (payload, helpers) => {
      const cascadeId = (payload as { cascade_id: string }).cascade_id;
      try {
        // runCascade turns every non-transient problem into a warning itself
        await runCascade(services, cascadeId, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
      } catch (error) {
        const wait = retryAfterSeconds(error);
        if (wait === null) throw error;
        // a rate limit: come back when GitHub said, not on the queue's own backoff
        services.log.warn({ cascadeId, retryAfterSeconds: wait }, 'GitHub rate limit during a cascade; resuming later');
        await helpers.addJob('cascade_undo', { cascade_id: cascadeId }, {
          queueName: cascadeQueue(cascadeId),
          runAt: new Date(Date.now() + Math.min(wait, 3600) * 1000),
          maxAttempts: helpers.job.max_attempts,
        });
      }
    },
    ...extra,
  };
}
