// The summaries a story PR's body lists (S7): each task's newest DONE job, in
// the order they were finished. Read at the moment the body is sent, so it is
// whatever the database holds then. Why hand-written: one probe per task of
// jobs (task_id, created_at DESC), stopping at the task's newest DONE job,
// instead of reading every job of the story (Prisma cannot say LIMIT per task).
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export interface DoneSummary {
  task_id: string;
  title: string;
  summary: string | null;
}

export const storyDoneSummariesStatement: Statement = {
  name: 'story-done-summaries',
  text: `
    SELECT t.id AS task_id, t.title, j.summary
      FROM tasks t
      JOIN LATERAL (
        SELECT summary, finished_at, created_at FROM jobs
         WHERE task_id = t.id AND status = 'DONE'
         ORDER BY created_at DESC, id DESC
         LIMIT 1
      ) j ON true
     WHERE t.story_id = $1
     ORDER BY j.finished_at NULLS LAST, t.position, t.id`,
};

export function storyDoneSummaries(db: SqlClient, storyId: string): Promise<DoneSummary[]> {
  return runStatement<DoneSummary>(db, storyDoneSummariesStatement, [storyId]);
}
