import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startBackgroundWorker, type BackgroundWorker } from '../../src/services/background/worker.ts';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { loadConfig } from '../../src/config.ts';
import { Logger as GraphileLogger, run, type Runner, type Task } from 'graphile-worker';

const log = createLogger('silent');
const silentGraphile = new GraphileLogger(() => () => {});
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

type Liveness = Parameters<typeof startBackgroundWorker>[0]['liveness'];

/** A worker on its own pool, whose connections carry `name` (pg_stat_activity.application_name). */
async function namedWorker(name: string, tasks: Parameters<typeof startBackgroundWorker>[0]['taskList'], liveness?: Liveness): Promise<{ worker: BackgroundWorker; db: Database }> {
  const url = new URL(database.url);
  url.searchParams.set('application_name', name);
  const db = connectDatabase(url.toString(), { max: 4 });
  const worker = await startBackgroundWorker({ pool: db.pool, log, taskList: tasks, liveness });
  return { worker, db };
}

const sql = (text: string, values: unknown[] = []) => database.db.pool.query(text, values);

/** A task that holds its job until released; `lockedBy` resolves to who locked it. */
function holdingTask() {
  let release: () => void = () => {};
  let held: (lockedBy: string) => void = () => {};
  const lockedBy = new Promise<string>((resolve) => (held = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const task: Task = async (_payload, helpers) => {
    held(helpers.job.locked_by!);
    await released;
  };
  return { task, lockedBy, release };
}

/**
 * A worker of a process that has died without a word, as the queue sees it: graphile-worker
 * holding a job, without the app's liveness (so no heartbeat is ever written for it).
 */
async function heartbeatlessHolder(task: string) {
  const holder = holdingTask();
  const db = connectDatabase(database.url, { max: 2 });
  const runner: Runner = await run({ pgPool: db.pool, taskList: { [task]: holder.task }, concurrency: 1, noHandleSignals: true, logger: silentGraphile });
  return {
    lockedBy: holder.lockedBy,
    async stop() {
      holder.release();
      await runner.stop();
      await db.close();
    },
  };
}

/** Waits until each of these workers has held its job for longer than `seconds` (in the database's clock). */
async function heldLongerThan(lockers: string[], seconds: number): Promise<void> {
  for (;;) {
    const { rows } = await sql(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE locked_by = ANY($1::text[]) AND locked_at < now() - make_interval(secs => $2)`,
      [lockers, seconds],
    );
    if (rows[0].n === lockers.length) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The dead bound is what the tests wait out (a job must be held longer than it), so the judges
// here use a bound of a few seconds instead of 30; heartbeatMs of a minute keeps a judge's own
// periodic round out of the way of the rounds the tests run.
const judging = (deadAfterSeconds: number): Liveness => ({ deadAfterSeconds, heartbeatMs: 60_000 });

describe('background worker liveness', () => {
  it('never judges its own live workers dead, and releases the jobs of a worker with no heartbeat', async () => {
    const own = holdingTask();
    const { worker, db } = await namedWorker('own', { slow: own.task }, judging(1));
    const holders: Awaited<ReturnType<typeof heartbeatlessHolder>>[] = [];
    try {
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json)`);
      const lockedBy = await own.lockedBy;
      expect(worker.workerIds()).toContain(lockedBy);
      // its own job held past the bound: a live holder must still not be judged dead
      await heldLongerThan([lockedBy], 1);
      expect(await worker.recoverDeadWorkers()).toEqual([]);
      // jobs held by a worker that never had a heartbeat, and by one whose heartbeat is an hour old: dead processes
      for (const key of ['gone', 'stale']) {
        const holder = await heartbeatlessHolder('hung');
        holders.push(holder);
        await sql(`SELECT graphile_worker.add_job('hung', '{}'::json, job_key => $1)`, [key]);
        await holder.lockedBy;
      }
      const [gone, stale] = await Promise.all(holders.map((h) => h.lockedBy));
      await sql(`INSERT INTO background_workers (id, heartbeat_at) VALUES ($1, now() - interval '1 hour')`, [stale]);
      await heldLongerThan([gone!, stale!], 1);
      expect(await worker.recoverDeadWorkers()).toEqual([gone, stale].sort());
      const left = await sql(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE locked_by = ANY($1::text[])`, [[gone, stale]]);
      expect(left.rows[0].n).toBe(0);
      expect((await sql(`SELECT id FROM background_workers WHERE id = $1`, [stale])).rows).toEqual([]);
      // and the live one still holds its job
      const held = await sql(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE locked_by = $1`, [lockedBy]);
      expect(held.rows[0].n).toBe(1);
    } finally {
      own.release();
      await worker.stop();
      await db.close();
      for (const holder of holders) await holder.stop();
    }
  });

  it('wakes a worker for the jobs it released: they run at once, not at the next poll', { timeout: 60_000 }, async () => {
    const holder = await heartbeatlessHolder('resumed');
    await sql(`SELECT graphile_worker.add_job('resumed', '{}'::json, job_key => 'released')`);
    const dead = await holder.lockedBy;
    let ran: () => void = () => {};
    const resumed = new Promise<void>((resolve) => (ran = resolve));
    const db = connectDatabase(database.url, { max: 4 });
    // started once the job is held (else it may take the job itself); it polls hourly,
    // so only a NOTIFY can start the released job within the test's time
    const judge = await startBackgroundWorker({ pool: db.pool, log, taskList: { resumed: async () => ran() }, liveness: judging(1), pollInterval: 3_600_000 });
    try {
      await heldLongerThan([dead], 1);
      expect(await judge.recoverDeadWorkers()).toEqual([dead]);
      await resumed;
    } finally {
      await judge.stop();
      await db.close();
      await holder.stop();
    }
  });

  it('does not judge a worker dead that held a job for long and had a heartbeat within the bound', async () => {
    const holder = await heartbeatlessHolder('elsewhere');
    const { worker, db } = await namedWorker('judge', {}, judging(3));
    try {
      await sql(`SELECT graphile_worker.add_job('elsewhere', '{}'::json, job_key => 'fresh')`);
      const fresh = await holder.lockedBy;
      await heldLongerThan([fresh], 3);
      // its heartbeat, written just now (3 s before it would be stale)
      await sql(`INSERT INTO background_workers (id, heartbeat_at) VALUES ($1, now())`, [fresh]);
      expect(await worker.recoverDeadWorkers()).toEqual([]);
      expect((await sql(`SELECT locked_by FROM graphile_worker.jobs WHERE key = 'fresh'`)).rows).toEqual([{ locked_by: fresh }]);
    } finally {
      await worker.stop();
      await db.close();
      await holder.stop();
    }
  });

  it('keeps the job of a live worker whose database connections were all terminated: its next heartbeat goes through a new one', async () => {
    const slow = holdingTask();
    // beats often, as the app's worker does against its bound
    const running = await namedWorker('running', { slow: slow.task }, { heartbeatMs: 250 });
    const other = await namedWorker('other', {}, judging(3));
    try {
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json, job_key => 'dropped')`);
      const lockedBy = await slow.lockedBy;
      expect(running.worker.workerIds()).toContain(lockedBy);
      await heldLongerThan([lockedBy], 3);
      const before = await sql(`SELECT heartbeat_at FROM background_workers WHERE id = $1`, [lockedBy]);
      expect(before.rows).toHaveLength(1);

      const backends = await sql(`SELECT pid FROM pg_stat_activity WHERE application_name = 'running' AND pid <> pg_backend_pid()`);
      expect(backends.rows.length).toBeGreaterThan(0);
      await sql(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [backends.rows.map((r: { pid: number }) => r.pid)]);

      expect(await other.worker.recoverDeadWorkers()).toEqual([]);
      await running.worker.heartbeat();
      const after = await sql(`SELECT heartbeat_at FROM background_workers WHERE id = $1`, [lockedBy]);
      expect(after.rows[0].heartbeat_at.getTime()).toBeGreaterThan(before.rows[0].heartbeat_at.getTime());
      expect(await other.worker.recoverDeadWorkers()).toEqual([]);
      expect((await sql(`SELECT locked_by FROM graphile_worker.jobs WHERE key = 'dropped'`)).rows).toEqual([{ locked_by: lockedBy }]);
    } finally {
      slow.release();
      await running.worker.stop();
      await other.worker.stop();
      await running.db.close();
      await other.db.close();
    }
  });

  it('forgets its heartbeat rows when it stops', async () => {
    const { worker, db } = await namedWorker('stopping', {});
    const ids = worker.workerIds();
    expect(ids.length).toBeGreaterThan(0);
    expect((await sql(`SELECT count(*)::int AS n FROM background_workers WHERE id = ANY($1::text[])`, [ids])).rows[0].n).toBe(ids.length);
    await worker.stop();
    await db.close();
    expect((await sql(`SELECT count(*)::int AS n FROM background_workers WHERE id = ANY($1::text[])`, [ids])).rows[0].n).toBe(0);
  });

  it("runs a lane's task while every slot of the main runner is held by slow jobs", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let slowStarted = false;
    let quickRan = false;
    const db = connectDatabase(database.url, { max: 4 });
    const worker = await startBackgroundWorker({
      pool: db.pool,
      log,
      concurrency: 1,
      lanes: [{ tasks: ['quick'], concurrency: 1 }],
      taskList: {
        slow: async () => {
          slowStarted = true;
          await held;
        },
        quick: async () => {
          quickRan = true;
        },
      },
    });
    try {
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json, job_key => 'lane-slow')`);
      while (!slowStarted) await new Promise((resolve) => setTimeout(resolve, 20));
      await sql(`SELECT graphile_worker.add_job('quick', '{}'::json, job_key => 'lane-quick')`);
      const deadline = Date.now() + 15_000;
      while (!quickRan && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(quickRan).toBe(true);
    } finally {
      release();
      await worker.stop();
      await db.close();
    }
  });

  it('takes its bound from SCRUM4ME_WORKER_DEAD_AFTER_SECONDS, validated at start (5 to 86400, default 30)', () => {
    expect(loadConfig({}, '.').workerDeadAfterSeconds).toBe(30);
    expect(loadConfig({ SCRUM4ME_WORKER_DEAD_AFTER_SECONDS: '5' }, '.').workerDeadAfterSeconds).toBe(5);
    for (const bad of ['4', '86401', 'soon', '7.5']) {
      expect(() => loadConfig({ SCRUM4ME_WORKER_DEAD_AFTER_SECONDS: bad }, '.')).toThrow(`SCRUM4ME_WORKER_DEAD_AFTER_SECONDS must be an integer from 5 to 86400, got "${bad}"`);
    }
  });
});
