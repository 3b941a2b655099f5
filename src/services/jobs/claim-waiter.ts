// Wakes long-polling claimers when jobs are queued for their user. One
// LISTEN connection per process (not per request); NOTIFY comes from any
// replica. If the connection drops, every waiter is woken to re-check.
import pg from 'pg';
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
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const wakeUp = (userId?: string) => {
    const sets = userId === undefined ? [...waiters.values()] : [waiters.get(userId)].filter((s) => s !== undefined);
    for (const set of sets) {
      for (const armed of set) {
        armed.woken = true;
        armed.resolve?.();
      }
    }
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => {
      if (message.channel === jobsQueuedChannel) wakeUp(message.payload || undefined);
    });
    next.on('error', (err) => {
      log.warn({ err }, 'claim listener connection lost; reconnecting');
      void next.end().catch(() => {});
      if (client === next) client = undefined;
      wakeUp();
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${jobsQueuedChannel}`);
    client = next;
  };
  const scheduleReconnect = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(() => scheduleReconnect());
    }, 1000);
    retry.unref();
  };
  await connect();

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
      if (retry) clearTimeout(retry);
      wakeUp();
      await client?.end().catch(() => {});
    },
  };
}
