// The newest job of each task of one story, in task order, with its usage: what
// the story's check run shows. Why hand-written: Prisma's nested
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
  /** the job's usage as its agent last reported it (cost_usd: NUMERIC as text) */
  model_id: string | null;
  input_tokens: bigint | number | string | null;
  output_tokens: bigint | number | string | null;
  cache_read_tokens: bigint | number | string | null;
  cache_write_tokens: bigint | number | string | null;
  cost_usd: string | null;
  usage_at: Date | string | null;
}

export const latestJobPerTaskStatement: Statement = {
  name: 'latest-job-per-task',
  text: `
    SELECT t.id AS task_id, t.title, j.id AS job_id, j.status::text AS status, j.verify_result::text AS verify_result, j.summary,
           j.model_id, j.input_tokens, j.output_tokens, j.cache_read_tokens, j.cache_write_tokens, j.cost_usd::text AS cost_usd, j.usage_at
      FROM tasks t
      LEFT JOIN LATERAL (
        SELECT id, status, verify_result, summary, model_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, usage_at FROM jobs
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
