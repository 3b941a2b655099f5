// The tasks of a PBI with each task's newest jobs and the count of all of them:
// what the PBI view shows (GET /api/v1/admin/pbis/{id}). Why hand-written:
// Prisma's nested `tasks: { include: { jobs } }` reads every job of every task
// (a PBI with 10,600 jobs answered 1.3 MB in 582 ms), and a nested `take`
// would still read them all (no LIMIT per parent in SQL). Here each task is
// one index probe of jobs (task_id, created_at DESC, id DESC) with LIMIT, plus a count
// on the same index: the cost follows the PBI's tasks, not their history.
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface PbiTaskJobRow {
  story_id: string;
  task_id: string;
  title: string;
  /** every job of the task, listed or not */
  jobs_total: number;
  /** null: a task with no job (one row for it) */
  job_id: string | null;
  status: string | null;
  user_name: string | null;
  verify_result: string | null;
  pr_url: string | null;
  summary: string | null;
  error: string | null;
}

export const pbiTaskJobsStatement: Statement = {
  name: 'pbi-task-jobs',
  text: `
    SELECT t.story_id, t.id AS task_id, t.title, counted.jobs_total,
           j.id AS job_id, j.status::text AS status, u.name AS user_name, j.verify_result::text AS verify_result,
           j.pr_url, j.summary, j.error
      FROM stories s
      JOIN tasks t ON t.story_id = s.id
      CROSS JOIN LATERAL (SELECT count(*)::int AS jobs_total FROM jobs WHERE task_id = t.id) counted
      LEFT JOIN LATERAL (
        SELECT id, status, user_id, verify_result, pr_url, summary, error, created_at FROM jobs
         WHERE task_id = t.id
         ORDER BY created_at DESC, id DESC
         LIMIT $2
      ) j ON true
      LEFT JOIN users u ON u.id = j.user_id
     WHERE s.pbi_id = $1
     ORDER BY s.position, s.id, t.position, t.id, j.created_at, j.id`,
};

/** Rows in story, task and job order (oldest listed job first), `newest` jobs at most per task. */
export function pbiTaskJobs(db: SqlClient, pbiId: string, newest: number): Promise<PbiTaskJobRow[]> {
  return runStatement<PbiTaskJobRow>(db, pbiTaskJobsStatement, [pbiId, newest]);
}
