import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startBackgroundWorker, type BackgroundWorker } from '../../src/services/background/worker.ts';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';

const log = createLogger('silent');
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** A worker on its own pool, whose connections carry `name` (pg_stat_activity.application_name). */
async function namedWorker(name: string, tasks: Parameters<typeof startBackgroundWorker>[0]['taskList']): Promise<{ worker: BackgroundWorker; db: Database }> {
  const url = new URL(database.url);
  url.searchParams.set('application_name', name);
  const db = connectDatabase(url.toString(), { max: 4 });
  const worker = await startBackgroundWorker({ pool: db.pool, log, taskList: tasks });
  return { worker, db };
}

const sql = (text: string, values: unknown[] = []) => database.db.pool.query(text, values);

describe('background worker liveness', () => {
  it('never judges its own live workers dead, and releases the jobs of a worker with no heartbeat', async () => {
    let lockedBy: string | null = null;
    let release: () => void = () => {};
    const { worker, db } = await namedWorker('own', {
      slow: async (_payload, helpers) => {
        lockedBy = helpers.job.locked_by;
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    try {
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json)`);
      while (!lockedBy) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(worker.workerIds()).toContain(lockedBy);
      // pretend the job was locked long ago: a live holder must still not be judged dead
      await sql(`UPDATE graphile_worker._private_jobs SET locked_at = now() - interval '1 hour'`);
      expect(await worker.recoverDeadWorkers()).toEqual([]);
      // jobs held by a worker id that never had a heartbeat, and by one whose heartbeat is an hour old: dead processes
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json, run_at => now() + interval '1 day', job_key => 'a')`);
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json, run_at => now() + interval '1 day', job_key => 'b')`);
      await sql(`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-gone', locked_at = now() - interval '1 hour' WHERE key = 'a'`);
      await sql(`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-stale', locked_at = now() - interval '1 hour' WHERE key = 'b'`);
      await sql(`INSERT INTO background_workers (id, heartbeat_at) VALUES ('pool-stale', now() - interval '1 hour')`);
      expect(await worker.recoverDeadWorkers()).toEqual(['pool-gone', 'pool-stale']);
      const left = await sql(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE locked_by IN ('pool-gone', 'pool-stale')`);
      expect(left.rows[0].n).toBe(0);
      expect((await sql(`SELECT id FROM background_workers WHERE id = 'pool-stale'`)).rows).toEqual([]);
      // and the live one still holds its job
      const held = await sql(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE locked_by = $1`, [lockedBy]);
      expect(held.rows[0].n).toBe(1);
    } finally {
      release();
      await worker.stop();
      await db.close();
    }
  });

  it('does not judge a worker dead that held a job for long and had a heartbeat within 30 s', async () => {
    await sql(`SELECT graphile_worker.add_job('elsewhere', '{}'::json, run_at => now() + interval '1 day', job_key => 'fresh')`);
    await sql(`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-fresh', locked_at = now() - interval '1 hour' WHERE key = 'fresh'`);
    await sql(`INSERT INTO background_workers (id, heartbeat_at) VALUES ('pool-fresh', now() - interval '20 seconds')`);
    const { worker, db } = await namedWorker('judge', {});
    try {
      expect(await worker.recoverDeadWorkers()).toEqual([]);
      expect((await sql(`SELECT locked_by FROM graphile_worker._private_jobs WHERE key = 'fresh'`)).rows).toEqual([{ locked_by: 'pool-fresh' }]);
    } finally {
      await worker.stop();
      await db.close();
      await sql(`DELETE FROM graphile_worker._private_jobs WHERE key = 'fresh'`);
    }
  });

  it('keeps the job of a live worker whose database connections were all terminated: its next heartbeat goes through a new one', async () => {
    let lockedBy: string | null = null;
    let release: () => void = () => {};
    const running = await namedWorker('running', {
      slow: async (_payload, helpers) => {
        lockedBy = helpers.job.locked_by;
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const other = await namedWorker('other', {});
    try {
      await sql(`SELECT graphile_worker.add_job('slow', '{}'::json, job_key => 'dropped')`);
      while (!lockedBy) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(running.worker.workerIds()).toContain(lockedBy);
      await sql(`UPDATE graphile_worker._private_jobs SET locked_at = now() - interval '1 hour' WHERE key = 'dropped'`);
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
      expect((await sql(`SELECT locked_by FROM graphile_worker._private_jobs WHERE key = 'dropped'`)).rows).toEqual([{ locked_by: lockedBy }]);
    } finally {
      release();
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
});
