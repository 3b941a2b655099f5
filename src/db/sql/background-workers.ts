// Liveness of graphile-worker workers (src/services/background/liveness.ts).
// Why hand-written: the heartbeat is an upsert that tells whether the row was
// gone (another replica judged this worker dead), and judging a worker dead
// must decide, delete its row and release its jobs in one transaction, so that
// a heartbeat landing at that moment either keeps the worker alive or learns it
// was judged dead; never both.

/** $1 the worker ids (text[]). Rows returned with `inserted` true had no row before this beat. */
export const heartbeatSql = {
  name: 'background-worker-heartbeat',
  text: `
    INSERT INTO background_workers AS w (id, started_at, heartbeat_at)
    SELECT c.id, now(), now() FROM unnest($1::text[]) AS c(id)
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
    RETURNING w.id, (xmax = 0) AS inserted`,
};

/**
 * $1 the bound in seconds, $2 the caller's own worker ids (never judged).
 * Who locks a job or a job queue since longer than the bound and has no
 * heartbeat within the bound: a dead worker, if its row (when it has one) can
 * be deleted as still stale below.
 */
export const staleLockersSql = {
  name: 'background-stale-lockers',
  text: `
    WITH lockers AS (
      SELECT locked_by FROM graphile_worker._private_jobs
       WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1::int)
      UNION
      SELECT locked_by FROM graphile_worker._private_job_queues
       WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1::int)
    )
    SELECT l.locked_by FROM lockers l
     WHERE l.locked_by <> ALL($2::text[])
       AND NOT EXISTS (SELECT 1 FROM background_workers w
                        WHERE w.id = l.locked_by AND w.heartbeat_at >= now() - make_interval(secs => $1::int))`,
};

/**
 * $1 candidate ids, $2 the bound in seconds. Deletes the rows that are still
 * stale (a heartbeat committed meanwhile is re-checked by DELETE's row lock)
 * and returns the ids that are now certainly dead: those deleted and those
 * that had no row at all.
 */
export const judgeDeadSql = {
  name: 'background-judge-dead',
  text: `
    WITH gone AS (
      DELETE FROM background_workers
       WHERE id = ANY($1::text[]) AND heartbeat_at < now() - make_interval(secs => $2::int)
      RETURNING id
    )
    SELECT id FROM gone
    UNION
    SELECT c.id FROM unnest($1::text[]) AS c(id)
     WHERE NOT EXISTS (SELECT 1 FROM background_workers w WHERE w.id = c.id)`,
};

/** $1 ids: a worker that stops cleanly says so. */
export const forgetWorkersSql = { name: 'background-forget-workers', text: 'DELETE FROM background_workers WHERE id = ANY($1::text[])' };

/**
 * $1 ids: releases their jobs and job queues (graphile-worker's own function) and
 * wakes as many idle workers as there were jobs, with add_job's own NOTIFY (sent at
 * commit): no NOTIFY announces a released job, so it waited for the next poll.
 * `held` is read in the statement's snapshot, from before the release.
 */
export const forceUnlockWorkersSql = {
  name: 'background-force-unlock',
  text: `
    WITH held AS (SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE locked_by = ANY($1::text[]))
    SELECT graphile_worker.force_unlock_workers($1::text[]),
           CASE WHEN held.n > 0 THEN pg_notify('jobs:insert', json_build_object('r', random(), 'count', held.n)::text) END AS notify
      FROM held`,
};
