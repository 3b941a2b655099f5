// Who is alive among the graphile-worker workers on this database, so a crashed
// replica's jobs are released within seconds (graphile-worker itself waits 4 hours)
// and a live one's never are (SPEC §6: two processes never run one step at once).
//
// Each worker (graphile's pool id and worker ids: what jobs are locked by) has a
// heartbeat row in `background_workers`, written every few seconds through the
// app's pool. A worker is dead only when its heartbeat is older than the bound
// (30 s) and it has held a job that long; then, in one transaction, its row is
// deleted and its jobs are released (src/db/sql/background-workers.ts).
//
// Why a heartbeat and not a session advisory lock per worker (as before): the
// lock lived on one dedicated connection, and when that connection dropped (a
// restarted proxy, pg_terminate_backend, a network blip) the lock vanished at
// once while the process went on running its jobs; the next replica to look
// judged it dead and ran its cascade step a second time. A reconnecting lock
// client would still leave that window open between the drop and the re-take.
// A heartbeat is judged by time instead: a blip shorter than the bound is
// invisible, any pool connection can carry the next beat, and nothing depends
// on one connection staying up. The price is that a crashed worker's jobs wait
// up to the bound before another replica takes them.
// What remains: a process cut off from the database for longer than the bound
// is judged dead while it may still be acting. Its next beat then finds its row
// gone and logs an error; the cascade's step locks and its read-before-write
// steps (src/services/cascade/step-lock.ts) keep each effect to one.
import type pg from 'pg';
import { withTransaction } from '../../db/transaction.ts';
import { forceUnlockWorkersSql, forgetWorkersSql, heartbeatSql, judgeDeadSql, staleLockersSql } from '../../db/sql/background-workers.ts';
import type { Logger } from '../../logger.ts';

export interface LivenessOptions {
  pool: pg.Pool;
  log: Logger;
  /** how often the heartbeat is written and dead workers are looked for (default 5 s) */
  heartbeatMs?: number;
  /** no heartbeat, and a job held, for this long: dead (default 30 s) */
  deadAfterSeconds?: number;
}

export interface Liveness {
  /** Starts the heartbeat of one of this process's workers (its first beat is written at once). */
  own(workerId: string): void;
  /**
   * Stops beating for workers that are gone without releasing their jobs (a runner that
   * ended on its own): their rows go stale, and their jobs are released once judged dead.
   */
  disown(workerIds: string[]): void;
  ids(): string[];
  /** Writes the heartbeat of every owned worker now; resolves when written. */
  beat(): Promise<void>;
  /** Releases the jobs of workers judged dead (never this process's own); returns their ids. */
  recoverDeadWorkers(): Promise<string[]>;
  /** Stops beating and forgets this process's workers (their jobs were released by graphile-worker's stop). */
  stop(): Promise<void>;
}

export const defaultHeartbeatMs = 5_000;
export const defaultDeadAfterSeconds = 30;

/**
 * After connections dropped, the pool may still hand out idle ones that are
 * dead (it learns so from their first query): try again a few times, each
 * time on another connection, before a beat counts as missed.
 */
async function withFreshConnection<T>(query: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await query();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export function startLiveness(options: LivenessOptions): Liveness {
  const { pool, log } = options;
  const heartbeatMs = options.heartbeatMs ?? defaultHeartbeatMs;
  const deadAfterSeconds = options.deadAfterSeconds ?? defaultDeadAfterSeconds;
  const ids: string[] = [];
  /** ids whose row this process has written at least once */
  const beaten = new Set<string>();
  let stopped = false;
  let lastBeatOk = Date.now();

  // beats never overlap: one after the other on whichever pool connection is free
  let beating: Promise<void> = Promise.resolve();
  const beat = (): Promise<void> => {
    const next = beating.then(async () => {
      if (ids.length === 0 || stopped) return;
      try {
        const { rows } = await withFreshConnection(() => pool.query<{ id: string; inserted: boolean }>({ ...heartbeatSql, values: [ids] }));
        const revived = rows.filter((row) => row.inserted && beaten.has(row.id)).map((row) => row.id);
        if (revived.length > 0) {
          log.error(
            { workers: revived, deadAfterSeconds },
            'this process was judged dead by another replica (no heartbeat within the bound); its running jobs may have been released',
          );
        }
        for (const row of rows) beaten.add(row.id);
        lastBeatOk = Date.now();
      } catch (err) {
        log.warn({ err, secondsSinceLastBeat: Math.round((Date.now() - lastBeatOk) / 1000) }, 'background worker heartbeat failed; retrying');
      }
    });
    beating = next;
    return next;
  };

  const recoverDeadWorkers = async (): Promise<string[]> => {
    const { rows } = await pool.query<{ locked_by: string }>({ ...staleLockersSql, values: [deadAfterSeconds, ids] });
    if (rows.length === 0) return [];
    const dead = await withTransaction(pool, async (sql) => {
      const judged = await sql.query<{ id: string }>({ ...judgeDeadSql, values: [rows.map((row) => row.locked_by), deadAfterSeconds] });
      const deadIds = judged.rows.map((row) => row.id).sort();
      if (deadIds.length > 0) await sql.query({ ...forceUnlockWorkersSql, values: [deadIds] });
      return deadIds;
    });
    if (dead.length > 0) log.warn({ workers: dead, deadAfterSeconds }, 'released background jobs of dead workers');
    return dead;
  };

  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = (async () => {
        await beat();
        await recoverDeadWorkers().catch((err: unknown) => log.warn({ err }, 'background recovery failed'));
      })().finally(schedule);
    }, heartbeatMs);
    timer.unref();
  };
  schedule();

  return {
    own(workerId) {
      if (ids.includes(workerId)) return;
      ids.push(workerId);
      void beat();
    },
    disown(workerIds) {
      for (const id of workerIds) {
        const at = ids.indexOf(id);
        if (at >= 0) ids.splice(at, 1);
      }
    },
    ids: () => [...ids],
    beat,
    recoverDeadWorkers,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round.catch(() => {});
      await beating;
      await pool.query({ ...forgetWorkersSql, values: [ids] }).catch((err: unknown) => log.warn({ err }, 'background workers not forgotten'));
    },
  };
}
