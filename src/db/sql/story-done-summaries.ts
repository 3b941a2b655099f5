// The summaries a story PR's body lists (S7): each task's newest DONE job, in
// the order they were finished. Read at the moment the body is sent, so it is
// whatever the database holds then. Why hand-written: one probe per task of
// jobs (task_id, created_at DESC, id DESC), stopping at the task's newest DONE job,
// instead of reading every job of the story (Prisma cannot say LIMIT per task).
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface DoneSummary {
  task_id: string;
  title: string;
  summary: string | null;
}

export const storyDoneSummariesStatement: Statement = {
  name: 'story-done-summaries',
  // Usually a task's newest job is its newest DONE one: the first probe (LIMIT 1)
  // answers, and the second runs only when it is not (a one-time filter on
  // newest.status skips it). Asked in one probe, the planner may read every
  // entry of the task to find the rare DONE rows it expects.
  text: `
    SELECT t.id AS task_id, t.title, done.summary
      FROM tasks t
      JOIN LATERAL (
        SELECT status, summary, finished_at FROM jobs
         WHERE task_id = t.id
         ORDER BY created_at DESC, id DESC
         LIMIT 1
      ) newest ON true
      LEFT JOIN LATERAL (
        SELECT summary, finished_at FROM jobs
         WHERE task_id = t.id AND status = 'DONE' AND newest.status <> 'DONE'
         ORDER BY created_at DESC, id DESC
         LIMIT 1
      ) older ON true
      CROSS JOIN LATERAL (
        SELECT CASE WHEN newest.status = 'DONE' THEN newest.summary ELSE older.summary END AS summary,
               CASE WHEN newest.status = 'DONE' THEN newest.finished_at ELSE older.finished_at END AS finished_at,
               newest.status = 'DONE' OR older.finished_at IS NOT NULL AS found
      ) done
     WHERE t.story_id = $1 AND done.found
     ORDER BY done.finished_at NULLS LAST, t.position, t.id`,
};

export function storyDoneSummaries(db: SqlClient, storyId: string): Promise<DoneSummary[]> {
  return runStatement<DoneSummary>(db, storyDoneSummariesStatement, [storyId]);
}
