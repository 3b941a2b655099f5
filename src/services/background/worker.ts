// Runs the app's background tasks with graphile-worker on the app database.
// graphile-worker would keep a crashed worker's jobs locked for 4 hours; each
// of our workers therefore holds a session advisory lock named after its id on
// a dedicated connection. The lock vanishes with the process, so any replica
// can see that a worker is dead and release its jobs at once.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { Logger as GraphileLogger, makeWorkerUtils, run, type Runner, type TaskList, type WorkerUtils } from 'graphile-worker';
import type { Logger } from '../../logger.ts';

export interface BackgroundWorker {
  /** the ids of this process's graphile worker pool and workers (what jobs are locked by) */
  workerIds(): string[];
  /** releases jobs held by workers whose process is gone; returns their ids */
  recoverDeadWorkers(): Promise<string[]>;
  stop(): Promise<void>;
}

const workerLockKey = (workerId: string) => `scrum4me-worker:${workerId}`;
/** a worker must have held a job this long before another replica judges it */
const minLockAgeSeconds = 5;
const recoveryIntervalMs = 5_000;

export async function startBackgroundWorker(options: {
  databaseUrl: string;
  pool: pg.Pool;
  log: Logger;
  taskList: TaskList;
  concurrency?: number;
}): Promise<BackgroundWorker> {
  const { log } = options;
  const lockClient = new pg.Client({ connectionString: options.databaseUrl });
  lockClient.on('error', (err) => log.error({ err }, 'background worker lock connection lost'));
  await lockClient.connect();
  const ids: string[] = [];
  const events = new EventEmitter();
  // one query at a time on the lock connection
  let lockQueue: Promise<unknown> = Promise.resolve();
  const onLockClient = <T>(work: () => Promise<T>): Promise<T> => {
    const next = lockQueue.then(work);
    lockQueue = next.catch(() => undefined);
    return next;
  };
  const own = (id: string) => {
    ids.push(id);
    void onLockClient(() => lockClient.query('SELECT pg_advisory_lock(hashtext($1))', [workerLockKey(id)]));
  };
  // graphile-worker 0.17 locks jobs in the pool's name (its local queue) or a worker's
  events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => own(workerPool.id));
  events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => own(worker.workerId));

  const graphileLogger = new GraphileLogger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'debug' : 'trace';
    log[method]({ scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId }, ...(meta ?? {}) }, `worker: ${message}`);
  });

  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: options.pool, logger: graphileLogger });
  await utils.migrate();
  const runner: Runner = await run({
    pgPool: options.pool,
    taskList: options.taskList,
    concurrency: options.concurrency ?? 4,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: graphileLogger,
    events,
  });
  await onLockClient(async () => undefined);

  const recoverDeadWorkers = async (): Promise<string[]> => {
    const held = await options.pool.query<{ locked_by: string }>(
      `SELECT DISTINCT locked_by FROM graphile_worker._private_jobs
       WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1)`,
      [minLockAgeSeconds],
    );
    const dead: string[] = [];
    for (const { locked_by: workerId } of held.rows) {
      if (ids.includes(workerId)) continue;
      // taking the lock succeeds only if no live session holds it
      const free = await onLockClient(async () => {
        const probe = await lockClient.query<{ free: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS free', [workerLockKey(workerId)]);
        if (probe.rows[0]?.free) await lockClient.query('SELECT pg_advisory_unlock(hashtext($1))', [workerLockKey(workerId)]);
        return probe.rows[0]?.free === true;
      });
      if (free) dead.push(workerId);
    }
    if (dead.length > 0) {
      await utils.forceUnlockWorkers(dead);
      log.warn({ workers: dead }, 'released background jobs of dead workers');
    }
    return dead;
  };

  await recoverDeadWorkers().catch((err: unknown) => log.warn({ err }, 'background recovery failed'));
  const timer = setInterval(() => {
    recoverDeadWorkers().catch((err: unknown) => log.warn({ err }, 'background recovery failed'));
  }, recoveryIntervalMs);
  timer.unref();

  return {
    workerIds: () => [...ids],
    recoverDeadWorkers,
    async stop() {
      clearInterval(timer);
      await runner.stop().catch((err: unknown) => log.warn({ err }, 'background worker stop failed'));
      await utils.release();
      await lockClient.end().catch(() => {});
    },
  };
}
