// The next job of a serial queue runs as soon as the job before it is done, without
// waiting for graphile-worker's poll: the workers here poll once an hour, so a
// missed wake-up leaves the second job of a pair unrun until vitest's timeout.
// graphile-worker 0.17 completes (or fails) a job without waiting for the write
// (worker.js: completeJob(job); doNext()), so the worker's next fetch often finds
// the queue still locked: about one pair in five, measured, so 40 pairs show it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startBackgroundWorker, type BackgroundWorker } from '../../../src/services/background/worker.ts';
import { connectDatabase, type Database } from '../../../src/db/client.ts';
import { createLogger } from '../../../src/logger.ts';

const log = createLogger('silent');
const hour = 3_600_000;
const pairs = 40;

let database: TestDatabase;
let db: Database;
let worker: BackgroundWorker;
/** resolvers of the runs awaited, by the `n` of the job's payload */
const awaited = new Map<string, () => void>();
const ran = (n: string) => new Promise<void>((resolve) => awaited.set(n, resolve));

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDatabase(database.url, { max: 6 });
  worker = await startBackgroundWorker({
    pool: db.pool,
    log,
    concurrency: 4,
    pollInterval: hour,
    taskList: {
      serial: async (payload) => {
        awaited.get((payload as { n: string }).n)?.();
      },
      failing: async (payload) => {
        awaited.get((payload as { n: string }).n)?.();
        throw new Error('this job fails on purpose');
      },
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await db?.close();
  await database?.drop();
});

/** Adds, in one statement, `first` then a `serial` job on the same queue, and waits until both have run. */
async function runPair(queue: string, first: 'serial' | 'failing'): Promise<void> {
  const both = Promise.all([ran(`${queue}:1`), ran(`${queue}:2`)]);
  await db.pool.query(
    `SELECT graphile_worker.add_job($1, json_build_object('n', $2 || ':1'), queue_name => $2, max_attempts => 1),
            graphile_worker.add_job('serial', json_build_object('n', $2 || ':2'), queue_name => $2, max_attempts => 1)`,
    [first, queue],
  );
  await both;
}

describe('a serial queue with an hourly poll', () => {
  it(`runs the second job of each of ${pairs} queues right after the first one completes`, async () => {
    for (let pair = 0; pair < pairs; pair++) await runPair(`done-${pair}`, 'serial');
  });

  it(`runs the second job of each of ${pairs} queues right after the first one fails`, async () => {
    for (let pair = 0; pair < pairs; pair++) await runPair(`failed-${pair}`, 'failing');
    // each first job's failure was written before its queue let the second one run
    const failed = await db.pool.query(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE queue_name LIKE 'failed-%' AND task_identifier = 'failing' AND attempts = max_attempts AND locked_at IS NULL AND last_error LIKE '%on purpose%'`,
    );
    expect(failed.rows[0].n).toBe(pairs);
  });
});
