// Wakes the workers when a job of a serial queue is done and its queue has another
// job ready, which graphile-worker 0.17 itself leaves to its poll. It completes (or
// fails) a job without waiting for the write (worker.js: completeJob(job) or
// failJob(…), then the 'job:complete' event, then doNext()), so the worker's next
// fetch can run before the write commits, find the queue still locked and skip its
// next job; and a completion sends no NOTIFY, so no one else looks either.
//
// After 'job:complete' we wait until the write is visible (the job is no longer
// locked by its pool: graphile-worker deletes or unlocks the job and unlocks its
// queue in one statement, sql/completeJobs.js and sql/failJobs.js), and only then,
// if the queue is free and has a job due, send the NOTIFY graphile-worker's own
// add_job sends ('jobs:insert', {"r": random, "count": 1}). The NOTIFY goes out at
// the commit of the statement that saw the queue unlocked, so a worker it wakes
// cannot find the queue still locked by this job. Jobs outside a queue cost nothing.
import type pg from 'pg';
import type { Job } from 'graphile-worker';
import { serialQueueWakeupStatement } from '../../db/sql/serial-queue-wakeup.ts';
import type { Logger } from '../../logger.ts';

/**
 * The waits before each look at whether the completion is visible: 1 ms first (the
 * write, sent just before, is then visible about four times in five), then longer;
 * one not visible after ~4 s in all is left to the poll.
 */
const settleDelaysMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

type WakeOutcome = 'woken' | 'nothing-due' | 'unsettled' | 'stopped';

export interface SerialQueueWakeup {
  /** for graphile-worker's 'job:complete' event; returns at once, the look runs in the background */
  jobDone(job: Pick<Job, 'id' | 'job_queue_id' | 'locked_by'>): void;
  /** waits for the looks in flight; later completions are ignored */
  stop(): Promise<void>;
}

export function startSerialQueueWakeup(options: { pool: pg.Pool; log: Logger }): SerialQueueWakeup {
  const { pool, log } = options;
  let stopped = false;
  const inFlight = new Set<Promise<WakeOutcome>>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });

  async function wake(job: { id: string; queueId: number; lockedBy: string }): Promise<WakeOutcome> {
    for (const delay of settleDelaysMs) {
      await sleep(delay);
      if (stopped) return 'stopped';
      const { rows } = await pool.query<{ settled: boolean; woken: boolean }>({ ...serialQueueWakeupStatement, values: [job.id, job.lockedBy, job.queueId] });
      if (rows[0]!.settled) return rows[0]!.woken ? 'woken' : 'nothing-due';
    }
    return 'unsettled';
  }

  return {
    jobDone(job) {
      if (stopped || job.job_queue_id == null || !job.locked_by) return;
      const look = wake({ id: String(job.id), queueId: job.job_queue_id, lockedBy: job.locked_by }).catch((err: unknown) => {
        if (!stopped) log.warn({ err, jobId: job.id }, 'serial queue wake-up failed; its next job waits for the poll');
        return 'stopped' as const;
      });
      inFlight.add(look);
      void look.finally(() => inFlight.delete(look));
    },
    async stop() {
      stopped = true;
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      timers.clear();
      await Promise.all(inFlight);
    },
  };
}
