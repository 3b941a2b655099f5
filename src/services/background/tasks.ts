// The one registry of the background tasks graphile-worker runs (the periodic
// ones are started by schedule.ts), and what each does with failures:
// transient GitHub trouble is thrown (retried with backoff), a rate limit
// brings the job back at GitHub's time (task-failures.ts), anything else is
// recorded and dropped, so a bad job cannot retry forever.
import type { Task, TaskList } from 'graphile-worker';
import { runCascade } from '../cascade/run-cascade.ts';
import type { AppServices } from '../app-services.ts';
import { refreshStoryCheck } from '../checks/story-check.ts';
import { retryAfterSeconds } from '../github/access.ts';
import { cascadeQueue } from '../cascade/start-cascade.ts';
import { addTrace } from '../jobs/trace.ts';
import { ensureStoryPullRequest } from '../story-pr/ensure-story-pr.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { requeueStaleClaims } from '../jobs/requeue-stale.ts';
import { mergeMethodJobKey, mergeMethodTask } from '../pull-requests/queue-merge-method.ts';
import { productReconcileJobKey, queueProductReconciles, reconcileProductPullRequests } from '../pull-requests/reconcile.ts';
import { resolveMergeMethod } from '../pull-requests/resolve-merge-method.ts';
import { redeliverFailedWebhooks } from '../webhooks/redeliver-failed.ts';
import { pruneExpiredRows } from './retention.ts';
import { durableTask, isTransientFailure } from './task-failures.ts';

type Services = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log' | 'metrics'> & { config: Pick<AppServices['config'], 'claimTimeoutSeconds'> };

/** one merge-method lookup may take this long, all of its GitHub calls together */
const mergeMethodTimeoutMs = 60_000;
/** products' reconcile jobs start this far apart */
const reconcileSpacingSeconds = 20;

function guarded(services: Services, name: string, work: (payload: Record<string, string>) => Promise<void>): Task {
  return async (payload) => {
    try {
      await work(payload as Record<string, string>);
    } catch (error) {
      if (isTransientFailure(error)) throw error;
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
        if (!isTransientFailure(error)) {
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
    // a merged PR's merge method (queued with its merge webhook, queue-merge-method.ts)
    [mergeMethodTask]: durableTask<{ pull_request_id: string }>(
      services,
      { task: 'resolve_merge_method', jobKey: (p) => mergeMethodJobKey(p.pull_request_id) },
      async ({ pull_request_id }) => {
        await resolveMergeMethod(services, pull_request_id, { signal: AbortSignal.timeout(mergeMethodTimeoutMs) });
      },
    ),
    // the periodic ones (schedule.ts)
    reconcile_products: durableTask(services, { task: 'reconcile_products' }, async () => {
      const queued = await queueProductReconciles(services, { spacingSeconds: reconcileSpacingSeconds });
      services.log.info({ products: queued.length, spacingSeconds: reconcileSpacingSeconds }, 'product reconciles queued');
    }),
    reconcile_product: durableTask<{ product_id: string }>(
      services,
      { task: 'reconcile_product', jobKey: (p) => productReconcileJobKey(p.product_id) },
      async ({ product_id }) => {
        await reconcileProductPullRequests(services, product_id);
      },
    ),
    sweep_stale_claims: durableTask(services, { task: 'sweep_stale_claims' }, async () => {
      const ids = await requeueStaleClaims(services.prisma, services.config.claimTimeoutSeconds, services.metrics);
      if (ids.length > 0) services.log.warn({ jobs: ids }, 'requeued stale claims');
    }),
    prune_retention: durableTask(services, { task: 'prune_retention' }, async () => {
      services.log.info(await pruneExpiredRows(services.prisma), 'expired rows pruned');
    }),
    redeliver_failed_webhooks: durableTask(services, { task: 'redeliver_failed_webhooks', jobKey: () => 'redeliver_failed_webhooks' }, async () => {
      await redeliverFailedWebhooks(services);
    }),
    ...extra,
  };
}
