// Resolves merge methods after the webhook has been answered, so a slow GitHub
// never holds a delivery. In process and bounded: a few at a time, a capped
// backlog (de-duplicated by PR), a time limit per attempt and a few retries.
// Not durable: work lost to a crash or a full backlog is only logged, and the
// record stays "not final", so reconcilePullRequest (which the cascade calls
// before acting) and reconcileProductPullRequests resolve it later.
import type { AppServices } from '../app-services.ts';
import { DomainError } from '../errors.ts';
import { isTransientGitHubError } from '../github/access.ts';
import { resolveMergeMethod } from './resolve-merge-method.ts';

export interface MergeMethodScheduler {
  /** Resolve this PR's merge method soon; never throws, never waits. */
  schedule(pullRequestId: string): void;
}

export interface MergeMethodRunner extends MergeMethodScheduler {
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
  /** Takes no more work and waits for what is running. */
  stop(): Promise<void>;
}

export interface MergeMethodRunnerOptions {
  concurrency?: number;
  maxPending?: number;
  /** per attempt, covering all of its GitHub calls */
  timeoutMs?: number;
  attempts?: number;
  /** first retry delay; doubles per attempt */
  retryDelayMs?: number;
}

export function startMergeMethodRunner(services: Pick<AppServices, 'prisma' | 'github' | 'log'>, options: MergeMethodRunnerOptions = {}): MergeMethodRunner {
  const concurrency = options.concurrency ?? 2;
  const maxPending = options.maxPending ?? 1000;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 2000;
  const log = services.log.child({ component: 'merge-method-runner' });

  const pending: string[] = [];
  const known = new Set<string>();
  let running = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running > 0 || pending.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  const attempt = async (id: string) => {
    for (let n = 1; ; n++) {
      try {
        const outcome = await resolveMergeMethod(services, id, { signal: AbortSignal.timeout(timeoutMs) });
        return outcome.kind;
      } catch (error) {
        const transient = !(error instanceof DomainError) && isTransientGitHubError(error);
        if (!transient || n >= attempts || stopped) {
          log.warn({ err: error, pullRequestId: id, attempts: n }, 'merge method not resolved; reconcile will retry it');
          return 'failed';
        }
        // unref: a pending retry never holds the process open at shutdown
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (n - 1)).unref());
      }
    }
  };

  const pump = () => {
    while (!stopped && running < concurrency && pending.length > 0) {
      const id = pending.shift()!;
      running++;
      void attempt(id).finally(() => {
        running--;
        known.delete(id);
        pump();
        settleIdle();
      });
    }
    settleIdle();
  };

  const idle = () => {
    if (running === 0 && pending.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => idleWaiters.push(resolve));
  };

  return {
    schedule(id) {
      if (stopped || known.has(id)) return;
      if (pending.length >= maxPending) {
        log.warn({ pullRequestId: id, maxPending }, 'merge method backlog full; reconcile will resolve this PR');
        return;
      }
      known.add(id);
      pending.push(id);
      pump();
    },
    idle,
    async stop() {
      stopped = true;
      if (pending.length > 0) log.info({ dropped: pending.length }, 'merge method backlog dropped at shutdown; reconcile will resolve it');
      for (const id of pending.splice(0)) known.delete(id);
      await idle();
    },
  };
}
