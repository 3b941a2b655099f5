// graphile-worker's queue as tests touch it: only through its public API (the
// graphile_worker.jobs view and its SQL functions reschedule_jobs, complete_jobs),
// never its private tables, whose layout is graphile-worker's to change.
import type pg from 'pg';

/**
 * graphile-worker waits e^attempts seconds before it retries a failed job. Where the
 * retries are what is tested, not the wait: makes every retry of `task` that is waiting
 * due now (only the job with key `key`, when given: tests running side by side must not
 * hurry each other's retries, which may be meant to wait), and wakes the workers. A job
 * rescheduled on purpose with attempts 0 (e.g. at GitHub's retry-after) keeps its time;
 * so does a job being run (locked).
 */
export async function hurryRetries(pool: pg.Pool, task: string, key?: string): Promise<number> {
  const { rows } = await pool.query<{ moved: number }>(
    `SELECT count(*)::int AS moved FROM graphile_worker.reschedule_jobs(
       ARRAY(SELECT id FROM graphile_worker.jobs
              WHERE task_identifier = $1 AND ($2::text IS NULL OR key = $2) AND locked_at IS NULL AND attempts > 0 AND run_at > now()),
       run_at => now())`,
    [task, key ?? null],
  );
  const moved = rows[0]!.moved;
  // what graphile-worker's own add_job sends, so a worker fetches at once instead of at its next poll
  if (moved > 0) await pool.query(`SELECT pg_notify('jobs:insert', json_build_object('count', $1::int)::text)`, [moved]);
  return moved;
}

/** Runs `work` while hurrying the retries of `task` every 100 ms. */
export async function whileHurrying<T>(pool: pg.Pool, task: string, work: () => Promise<T>): Promise<T> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await hurryRetries(pool, task);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return await work();
  } finally {
    running = false;
    await loop;
  }
}

/**
 * Removes the jobs that no worker holds (all of them when no worker runs), as
 * graphile-worker's complete_jobs does; `where` narrows them (SQL on the jobs view,
 * e.g. `task_identifier = 'x'`). Returns how many were removed.
 */
export async function removeJobs(pool: pg.Pool, where = 'true'): Promise<number> {
  const { rows } = await pool.query<{ removed: number }>(
    `SELECT count(*)::int AS removed FROM graphile_worker.complete_jobs(ARRAY(SELECT id FROM graphile_worker.jobs WHERE ${where}))`,
  );
  return rows[0]!.removed;
}
