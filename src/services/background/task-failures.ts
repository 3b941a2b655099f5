// What a background task does when its work fails, in one place:
//   GitHub said when to come back (retry-after, a rate limit's reset)
//       → the same job again at that time (same key), not the queue's backoff;
//   transient trouble (GitHub's 5xx, timeouts and network failures; a database
//   out of reach, or busy past lock_timeout) → thrown: graphile-worker retries with its exponential backoff;
//   anything else (no access any more, a record gone, a 404/422, a bug such as a
//   TypeError, a database refusing a statement) → logged and dropped: retrying
//   would not change the answer.
import type { JobHelpers, Task } from 'graphile-worker';
import type { Logger } from '../../logger.ts';
import { isDatabaseUnreachable, isLockTimeout } from '../../db/unreachable.ts';
import { DomainError } from '../errors.ts';
import { isTransientGitHubError, retryAfterSeconds } from '../github/access.ts';
import type { BackgroundTask } from './enqueue.ts';

/** the longest a rate limit may push a job back */
const maxRetryAfterSeconds = 3600;

/** Worth retrying later: GitHub's transient trouble, the database out of reach, or a lock held past lock_timeout. */
export function isTransientFailure(error: unknown): boolean {
  return isTransientGitHubError(error) || isDatabaseUnreachable(error) || isLockTimeout(error);
}

export function isPermanentFailure(error: unknown): boolean {
  if (error instanceof DomainError) return error.code !== 'GITHUB_UNAVAILABLE' && error.code !== 'UNAVAILABLE';
  return !isTransientFailure(error);
}

export interface DurableTaskSpec<P> {
  task: BackgroundTask;
  /** the job key the job runs under (kept when it comes back after a rate limit) */
  jobKey?: (payload: P) => string;
  queueName?: (payload: P) => string;
}

/**
 * A task whose failures follow the rules above. `work` gets the payload and the
 * job's helpers; the job's own attempt count and limit carry over a reschedule.
 */
export function durableTask<P extends Record<string, unknown>>(
  services: { log: Logger },
  spec: DurableTaskSpec<P>,
  work: (payload: P, helpers: JobHelpers) => Promise<void>,
): Task {
  return async (raw, helpers) => {
    const payload = (raw ?? {}) as P;
    try {
      await work(payload, helpers);
    } catch (error) {
      const wait = retryAfterSeconds(error);
      if (wait !== null) {
        const seconds = Math.min(Math.max(wait, 1), maxRetryAfterSeconds);
        services.log.warn({ task: spec.task, payload, retryAfterSeconds: seconds }, 'GitHub asked to wait; the job comes back then');
        await helpers.addJob(spec.task, payload, {
          runAt: new Date(Date.now() + seconds * 1000),
          maxAttempts: helpers.job.max_attempts,
          ...(spec.jobKey ? { jobKey: spec.jobKey(payload) } : {}),
          ...(spec.queueName ? { queueName: spec.queueName(payload) } : {}),
        });
        return;
      }
      if (!isPermanentFailure(error)) throw error;
      services.log.warn({ err: error, task: spec.task, payload }, 'background task failed permanently');
    }
  };
}
