import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { startBackgroundWorker } from '../../src/services/background/worker.ts';
import { createLogger } from '../../src/logger.ts';

describe('background worker recovery', () => {
  it('never judges its own live workers dead, and releases the jobs of a worker whose process is gone', async () => {
    const database = await createTestDatabase();
    const log = createLogger('silent');
    let lockedBy: string | null = null;
    let release: () => void = () => {};
    const worker = await startBackgroundWorker({
      databaseUrl: database.url,
      pool: database.db.pool,
      log,
      taskList: {
        slow: async (_payload, helpers) => {
          lockedBy = helpers.job.locked_by;
          await new Promise<void>((resolve) => (release = resolve));
        },
      },
    });
    try {
      await database.db.pool.query(`SELECT graphile_worker.add_job('slow', '{}'::json)`);
      while (!lockedBy) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(worker.workerIds()).toContain(lockedBy);
      // pretend the job was locked long ago: a live holder must still not be judged dead
      await database.db.pool.query(`UPDATE graphile_worker._private_jobs SET locked_at = now() - interval '1 hour'`);
      expect(await worker.recoverDeadWorkers()).toEqual([]);
      // a job held by a worker id nobody holds the lock of: a dead process
      await database.db.pool.query(`SELECT graphile_worker.add_job('slow', '{}'::json, run_at => now() + interval '1 day')`);
      await database.db.pool.query(
        `UPDATE graphile_worker._private_jobs SET locked_by = 'pool-dead', locked_at = now() - interval '1 hour' WHERE run_at > now() + interval '1 hour'`,
      );
      expect(await worker.recoverDeadWorkers()).toEqual(['pool-dead']);
      const left = await database.db.pool.query(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE locked_by = 'pool-dead'`);
      expect(left.rows[0].n).toBe(0);
    } finally {
      release();
      await worker.stop();
      await database.drop();
    }
  });
});
