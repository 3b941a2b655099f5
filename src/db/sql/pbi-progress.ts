// A product's PBIs with their stories and tasks counted, and how many tasks are
// done: a task is done when its newest job is DONE (the rule of the story's
// check run, see latest-job-per-task.ts). Hand-written because the newest job
// of each task is one LATERAL probe of jobs (task_id, created_at DESC) with
// LIMIT 1; Prisma would read every job each task ever had.
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface PbiProgressRow {
  id: string;
  code: string | null;
  title: string;
  stories: number;
  tasks_total: number;
  tasks_done: number;
}

export const pbiProgressStatement: Statement = {
  name: 'pbi-progress',
  text: `
    SELECT p.id, p.code, p.title,
           count(DISTINCT s.id)::int AS stories,
           count(t.id)::int AS tasks_total,
           (count(t.id) FILTER (WHERE newest.status = 'DONE'))::int AS tasks_done
      FROM pbis p
      LEFT JOIN stories s ON s.pbi_id = p.id
      LEFT JOIN tasks t ON t.story_id = s.id
      LEFT JOIN LATERAL (
        SELECT status FROM jobs
         WHERE task_id = t.id
         ORDER BY created_at DESC, id DESC
         LIMIT 1
      ) newest ON true
     WHERE p.product_id = $1
     GROUP BY p.id
     ORDER BY min(p.position), min(p.created_at), p.id`,
};

export function pbiProgress(db: SqlClient, productId: string): Promise<PbiProgressRow[]> {
  return runStatement<PbiProgressRow>(db, pbiProgressStatement, [productId]);
}
