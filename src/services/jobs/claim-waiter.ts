// Wakes long-polling claimers when jobs are queued for their user. One
// LISTEN connection per process (not per request); NOTIFY comes from any
// replica. If the connection drops, every waiter is woken to re-check.
import { listenWithReconnect } from '../../db/listener.ts';
import type { Logger } from '../../logger.ts';
import { jobsQueuedChannel } from './job-events.ts';

export interface Wake {
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  disarm(): void;
}

export interface ClaimWaiter {
  arm(userId: string): Wake;
  /** true once the process is shutting down: long-polls end at once */
  readonly stopped: boolean;
  /** wakes the user's waiters (or everybody) in this process */
  wakeUp(userId?: string): void;
  stop(): Promise<void>;
}

interface Armed {
  woken: boolean;
  resolve?: () => void;
}

export async function startClaimWaiter(databaseUrl: string, log: Logger): Promise<ClaimWaiter> {
  const waiters = new Map<string, Set<Armed>>();
  let stopped = false;

  const wakeUp = (userId?: string) => {
    const sets = userId === undefined ? [...waiters.values()] : [waiters.get(userId)].filter((s) => s !== undefined);
    for (const set of sets) {
      for (const armed of set) {
        armed.woken = true;
        armed.resolve?.();
      }
    }
  };

  const listener = await listenWithReconnect({
    databaseUrl,
    channel: jobsQueuedChannel,
    log,
    onNotification: (userId) => wakeUp(userId),
    // notifications may have been missed: everybody re-checks
    onLost: () => wakeUp(),
  });

  return {
    arm(userId) {
      const armed: Armed = { woken: false };
      let set = waiters.get(userId);
      if (!set) waiters.set(userId, (set = new Set()));
      set.add(armed);
      return {
        wait(ms, signal) {
          if (armed.woken || stopped || signal?.aborted) return Promise.resolve();
          return new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', done);
              resolve();
            };
            const timer = setTimeout(done, ms);
            armed.resolve = done;
            signal?.addEventListener('abort', done, { once: true });
          });
        },
        disarm() {
          armed.resolve?.();
          set.delete(armed);
          if (set.size === 0 && waiters.get(userId) === set) waiters.delete(userId);
        },
      };
    },
    wakeUp,
    get stopped() {
      return stopped;
    },
    async stop() {
      stopped = true;
      wakeUp();
      await listener.stop();
    },
  };
}
