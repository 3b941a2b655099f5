// Runs the app's background tasks with graphile-worker on the app database: the
// tasks of tasks.ts, the periodic ones started by graphile-worker's crontab
// (schedule.ts: each scheduled run is added once across replicas), and the
// liveness that releases a dead replica's jobs within seconds (liveness.ts).
// A lane is a runner of its own for a few tasks (graphile-worker only fetches
// jobs of the tasks a runner has), so that slow jobs of other tasks (a cascade,
// check runs waiting on GitHub's pacing) never hold up the lane's.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { Logger as GraphileLogger, makeWorkerUtils, run, type ParsedCronItem, type Runner, type TaskList } from 'graphile-worker';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import { startLiveness, type LivenessOptions } from './liveness.ts';
import { startSerialQueueWakeup } from './wakeup.ts';

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
}): Promise<BackgroundWorker> {
  const { log, metrics } = options;
  const liveness = startLiveness({ pool: options.pool, log, ...options.liveness });
  const events = new EventEmitter();
  // graphile-worker 0.17 locks jobs in the pool's name (its local queue) or a worker's
  events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => liveness.own(workerPool.id));
  events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => liveness.own(worker.workerId));
  events.on('job:success', ({ job }: { job: { task_identifier: string } }) => metrics?.backgroundJobs.inc({ task: job.task_identifier, outcome: 'success' }));
  events.on('job:error', ({ job }: { job: { task_identifier: string } }) => metrics?.backgroundJobs.inc({ task: job.task_identifier, outcome: 'error' }));
  const wakeup = startSerialQueueWakeup({ pool: options.pool, log });
  events.on('job:complete', ({ job }: { job: Parameters<typeof wakeup.jobDone>[0] }) => wakeup.jobDone(job));

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
  // nobody. The poll is left for jobs no NOTIFY announces (a retry's run_at, jobs
  // released by liveness.ts): every 2 s again, graphile-worker's default, as before
  // the 500 ms that only hid this race (the scale bench's drains at a 2 s poll with
  // the wake-up: 13-76 ms, none at the poll). One indexed query per idle worker.
  const start = (taskList: TaskList, concurrency: number, schedule: ParsedCronItem[]) =>
    run({ pgPool: options.pool, taskList, parsedCronItems: schedule, concurrency, noHandleSignals: true, pollInterval: options.pollInterval ?? 2000, logger: graphileLogger, events });

  const utils = await makeWorkerUtils({ pgPool: options.pool, logger: graphileLogger });
  const runners: Runner[] = [];
  const stopRunners = async () => {
    // graphile-worker's stop waits for running jobs and releases what it still holds
    for (const runner of runners.splice(0)) await runner.stop().catch((err: unknown) => log.warn({ err }, 'background worker stop failed'));
  };
  try {
    await utils.migrate();
    runners.push(await start(pick((task) => !inLane.has(task)), options.concurrency ?? 4, options.schedule ?? []));
    for (const lane of lanes) runners.push(await start(pick((task) => lane.tasks.includes(task)), lane.concurrency, []));
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
