// The database going away just as a background job ends (SPEC §6: all background
// work durable). graphile-worker 0.17 writes a job's outcome without awaiting it
// (worker.js: completeJob(job) / failJob(...)); when that write fails, the job stays
// locked by a pool that lives on, and the rejection is unhandled, which under Node's
// default ends the app's process. Now the pool gives up instead (batch path), a new
// runner is started, and the job is released and run again once the database is back
// (liveness.ts): no crash, and nothing left locked for graphile-worker's 4 hours.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { DatabaseProxy } from '../../support/database-proxy.ts';
import { startBackgroundWorker, type BackgroundWorker } from '../../../src/services/background/worker.ts';
import { connectDatabase, type Database } from '../../../src/db/client.ts';
import { createLogger } from '../../../src/logger.ts';

const log = createLogger((process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent');
let database: TestDatabase;
let proxy: DatabaseProxy;
let proxied: Database;
let worker: BackgroundWorker;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** The database goes away while the job is still running, and comes back a moment later. */
const awayAtTheEnd = () => {
  proxy.down();
  setTimeout(() => proxy.up(), 500);
};
const runs = { fails_while_away: 0, succeeds_while_away: 0, plain: 0 };
const taskList: Record<string, Task> = {
  // fails on its first attempt, as the database goes away; succeeds when tried again
  fails_while_away: async () => {
    runs.fails_while_away++;
    if (runs.fails_while_away > 1) return;
    awayAtTheEnd();
    throw new Error('the task failed');
  },
  succeeds_while_away: async () => {
    runs.succeeds_while_away++;
    if (runs.succeeds_while_away === 1) awayAtTheEnd();
  },
  plain: async () => {
    runs.plain++;
  },
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  database = await createTestDatabase();
  const real = new URL(database.url);
  proxy = new DatabaseProxy({ host: real.hostname, port: Number(real.port) });
  await proxy.start();
  const url = new URL(database.url);
  url.port = String(proxy.port);
  proxied = connectDatabase(url.toString(), { max: 4 });
  // a dead bound of a few seconds instead of 30 and a quick restart, so the test waits less
  worker = await startBackgroundWorker({
    pool: proxied.pool,
    log,
    taskList,
    liveness: { deadAfterSeconds: 3, heartbeatMs: 1_000 },
    restart: { restartDelayMs: 200 },
  });
});
beforeEach(() => {
  unhandled.length = 0;
});
afterEach(() => proxy.up());
afterAll(async () => {
  proxy?.up();
  await worker?.stop();
  await proxied?.close();
  await proxy?.stop();
  await database?.drop();
  process.off('unhandledRejection', onUnhandled);
});

/** Adds a job on the database itself (not through the proxy); returns its id. */
async function addJob(task: string): Promise<string> {
  const { rows } = await database.db.pool.query<{ id: string }>(`SELECT (graphile_worker.add_job($1, '{}'::json, max_attempts => 3)).id::text AS id`, [task]);
  return rows[0]!.id;
}

/** The job as the queue has it (null once completed and deleted), read on the database itself. */
async function queued(id: string) {
  const { rows } = await database.db.pool.query<{ attempts: number; last_error: string | null; locked_by: string | null }>(
    'SELECT attempts, last_error, locked_by FROM graphile_worker.jobs WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

/** Polls until `done` holds of the job or an unhandled rejection was seen (then the test fails on it). */
async function settle(id: string, done: (job: Awaited<ReturnType<typeof queued>>) => boolean) {
  for (let i = 0; i < 1_200; i++) {
    const job = await queued(id);
    if (done(job) || unhandled.length > 0) return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} never settled: ${JSON.stringify(await queued(id))}`);
}

describe('a background job ending while the database is away', { timeout: 180_000 }, () => {
  it('fails: it is tried again once the database is back, and nothing is unhandled', async () => {
    const id = await addJob('fails_while_away');
    const job = await settle(id, (row) => row === null);
    expect(unhandled.map(String)).toEqual([]);
    expect(job).toBeNull();
    expect(runs.fails_while_away).toBe(2);
  });

  it('succeeds: the job is not left locked (it runs again, as any interrupted job may), and nothing is unhandled', async () => {
    const id = await addJob('succeeds_while_away');
    const job = await settle(id, (row) => row === null);
    expect(unhandled.map(String)).toEqual([]);
    expect(job).toBeNull();
    expect(runs.succeeds_while_away).toBe(2);
  });

  it('the worker goes on taking new jobs afterwards', async () => {
    const id = await addJob('plain');
    expect(await settle(id, (row) => row === null)).toBeNull();
    expect(runs.plain).toBe(1);
  });
});
