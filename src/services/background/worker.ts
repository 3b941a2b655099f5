// Runs the app's background tasks with graphile-worker on the app database: the
// tasks of tasks.ts, the periodic ones started by graphile-worker's crontab
// (schedule.ts: each scheduled run is added once across replicas), and the
// liveness that releases a dead replica's jobs within seconds (liveness.ts).
// A lane is a runner of its own for a few tasks (graphile-worker only fetches
// jobs of the tasks a runner has), so that slow jobs of other tasks (a cascade,
// check runs waiting on GitHub's pacing) never hold up the lane's.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { Logger as GraphileLogger, makeWorkerUtils, run, type ParsedCronItem, type TaskList } from 'graphile-worker';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import { startLiveness, type LivenessOptions } from './liveness.ts';
import { startSerialQueueWakeup } from './wakeup.ts';
import { superviseRunner, type Supervisor } from './runner-supervisor.ts';

export interface BackgroundWorker {
  /** the ids of this process's graphile worker pool and workers (what jobs are locked by) */
  workerIds(): string[];
  /** releases jobs held by workers judged dead (liveness.ts); returns their ids */
  recoverDeadWorkers(): Promise<string[]>;
  /** writes this process's heartbeats now */
  heartbeat(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBackgroundWorker(options: {
  pool: pg.Pool;
  log: Logger;
  taskList: TaskList;
  /** periodic jobs (schedule.ts); none by default */
  schedule?: ParsedCronItem[];
  metrics?: Pick<Metrics, 'backgroundJobs'>;
  concurrency?: number;
  /** tasks run by a runner of their own, with its own concurrency */
  lanes?: { tasks: string[]; concurrency: number }[];
  liveness?: Pick<LivenessOptions, 'heartbeatMs' | 'deadAfterSeconds'>;
  /** ms between an idle worker's looks for jobs no NOTIFY announced (default 2000); tests set hours to prove a wake-up */
  pollInterval?: number;
  /** pauses before a runner that ended on its own is started again (runner-supervisor.ts) */
  restart?: { restartDelayMs?: number; maxRestartDelayMs?: number };
}): Promise<BackgroundWorker> {
  const { log, metrics } = options;
  const liveness = startLiveness({ pool: options.pool, log, ...options.liveness });
  const wakeup = startSerialQueueWakeup({ pool: options.pool, log });
  /** An emitter per runner, so that the ids its pool locks jobs by are known if it ends on its own. */
  const runnerEvents = () => {
    const events = new EventEmitter();
    const ids: string[] = [];
    const own = (id: string) => {
      ids.push(id);
      liveness.own(id);
    };
    // graphile-worker 0.17 locks jobs in the pool's name (its local queue) or a worker's
    events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => own(workerPool.id));
    events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => own(worker.workerId));
    events.on('job:success', ({ job }: { job: { task_identifier: string } }) => metrics?.backgroundJobs.inc({ task: job.task_identifier, outcome: 'success' }));
    events.on('job:error', ({ job }: { job: { task_identifier: string } }) => metrics?.backgroundJobs.inc({ task: job.task_identifier, outcome: 'error' }));
    events.on('job:complete', ({ job }: { job: Parameters<typeof wakeup.jobDone>[0] }) => wakeup.jobDone(job));
    return { events, ids };
  };

  const graphileLogger = new GraphileLogger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'debug' : 'trace';
    log[method]({ scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId }, ...(meta ?? {}) }, `worker: ${message}`);
  });

  const lanes = options.lanes ?? [];
  const inLane = new Set(lanes.flatMap((lane) => lane.tasks));
  const pick = (keep: (task: string) => boolean): TaskList => Object.fromEntries(Object.entries(options.taskList).filter(([task]) => keep(task)));
  // NOTIFY wakes the workers for a new job, and wakeup.ts for the next job of a serial
  // queue (a story's check refresh) once the job before it is done: graphile-worker
  // 0.17 completes a job without waiting for it (worker.js: completeJob(job); doNext()),
  // so its own next fetch may find the queue still locked, and a completion notifies
  // nobody. The poll is left for jobs no NOTIFY announces (a retry's run_at; jobs
  // released by liveness.ts are announced by its release): every 2 s again, graphile-worker's default, as before
  // the 500 ms that only hid this race (the scale bench's drains at a 2 s poll with
  // the wake-up: 13-76 ms, none at the poll). One indexed query per idle worker.
  // A job's outcome is written through graphile-worker's batch path (delay 0: at once,
  // as unbatched). graphile-worker 0.17 writes it without awaiting it (worker.js:
  // completeJob(job) / failJob(...)); on the unbatched path a write that failed (the
  // database away as the job ended: only a few error codes are retried, not a reset)
  // left the job locked by a pool that lived on, for graphile-worker's 4 hours, and its
  // rejection unhandled, which ends a Node process by default. On the batch path the
  // pool gives up instead ("queue is in an inconsistent state"; 0.17.3's batch retry
  // rethrows on the first error), its runner ends, and the supervisor starts a new one;
  // the old pool's ids are let go of, so liveness releases its jobs once they are stale
  // and they run again (test/services/background/worker-database-away.test.ts).
  const outcomesOnBatchPath = { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } };
  const start = (name: string, taskList: TaskList, concurrency: number, schedule: ParsedCronItem[]) => {
    let ids: string[] = [];
    return superviseRunner({
      name,
      log,
      start: async () => {
        const own = runnerEvents();
        ids = own.ids;
        return run({ pgPool: options.pool, taskList, parsedCronItems: schedule, concurrency, noHandleSignals: true, pollInterval: options.pollInterval ?? 2000, logger: graphileLogger, events: own.events, preset: outcomesOnBatchPath });
      },
      ended: () => liveness.disown(ids),
      ...options.restart,
    });
  };

  const utils = await makeWorkerUtils({ pgPool: options.pool, logger: graphileLogger });
  const runners: Supervisor[] = [];
  const stopRunners = async () => {
    // graphile-worker's stop waits for running jobs and releases what it still holds
    for (const runner of runners.splice(0)) await runner.stop().catch((err: unknown) => log.warn({ err }, 'background worker stop failed'));
  };
  try {
    await utils.migrate();
    runners.push(await start('main', pick((task) => !inLane.has(task)), options.concurrency ?? 4, options.schedule ?? []));
    for (const lane of lanes) runners.push(await start(`lane:${lane.tasks.join(',')}`, pick((task) => lane.tasks.includes(task)), lane.concurrency, []));
  } catch (error) {
    await stopRunners();
    await wakeup.stop();
    await liveness.stop();
    await utils.release();
    throw error;
  }
  await liveness.beat();
  await liveness.recoverDeadWorkers().catch((err: unknown) => log.warn({ err }, 'background recovery failed'));

  return {
    workerIds: () => liveness.ids(),
    recoverDeadWorkers: () => liveness.recoverDeadWorkers(),
    heartbeat: () => liveness.beat(),
    async stop() {
      await stopRunners();
      await wakeup.stop();
      await liveness.stop();
      await utils.release();
    },
  };
}
