// The serial-queue wake-up's one statement (src/services/background/wakeup.ts
// says why it exists). Why hand-written: it reads graphile-worker's own tables
// and sends its NOTIFY, which Prisma knows nothing of.
import type { Statement } from './run-statement.ts';

/**
 * $1 the job's id, $2 the pool that locked it, $3 its queue's id. `settled`: the
 * job's completion or failure is visible; then, if the queue is unlocked and has a
 * job due, it notifies. The queue's lock is in no public view: this reads
 * graphile-worker's private job_queues and jobs tables, as getJobs.js does.
 */
export const serialQueueWakeupStatement: Statement = {
  name: 'background-serial-queue-wakeup',
  text: `
    WITH state AS (
      SELECT NOT EXISTS (SELECT 1 FROM graphile_worker.jobs WHERE id = $1::bigint AND locked_by = $2::text) AS settled,
             EXISTS (SELECT 1 FROM graphile_worker._private_job_queues q
                       JOIN graphile_worker._private_jobs j ON j.job_queue_id = q.id
                      WHERE q.id = $3::int AND q.is_available AND j.is_available AND j.run_at <= now()) AS waiting
    )
    SELECT settled, settled AND waiting AS woken,
           CASE WHEN settled AND waiting THEN pg_notify('jobs:insert', json_build_object('r', random(), 'count', 1)::text) END AS notify
      FROM state`,
};
