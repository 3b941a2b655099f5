// The newest job of each task of one story, in task order: what the story's
// check run shows. Why hand-written: Prisma's nested
// `tasks: { include: { jobs: { orderBy, take: 1 } } }` runs as one query over all
// the story's tasks with no LIMIT and cuts in memory, so every refresh read every
// job the story ever had. Here each task is one probe of jobs (task_id,
// created_at DESC, id DESC) with LIMIT 1: the cost follows the tasks, not their history.
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface LatestTaskJob {
  task_id: string;
  title: string;
  /** null: the task has no job */
  job_id: string | null;
  status: string | null;
  verify_result: string | null;
  summary: string | null;
}

export const latestJobPerTaskStatement: Statement = {
  name: 'latest-job-per-task',
  text: `
    SELECT t.id AS task_id, t.title, j.id AS job_id, j.status::text AS status, j.verify_result::text AS verify_result, j.summary
      FROM tasks t
      LEFT JOIN LATERAL (
        SELECT id, status, verify_result, summary FROM jobs
         WHERE task_id = t.id
         ORDER BY created_at DESC, id DESC
         LIMIT 1
      ) j ON true
     WHERE t.story_id = $1
     ORDER BY t.position, t.id`,
};

export function latestJobPerTask(db: SqlClient, storyId: string): Promise<LatestTaskJob[]> {
  return runStatement<LatestTaskJob>(db, latestJobPerTaskStatement, [storyId]);
}
