// The operator's view of a PBI: stories with their PR and jobs, and its cascades step by step.
// Its cost follows the PBI's size, not its history: each task lists its newest
// jobs (`jobs_total` counts them all), read with one statement (src/db/sql/pbi-task-jobs.ts).
import type { PrismaClient } from '../../db/client.ts';
import { pbiTaskJobs, type PbiTaskJobRow } from '../../db/sql/pbi-task-jobs.ts';
import type { JobStatus, VerifyResult } from '../../generated/prisma/client.ts';
import { cascadeStepOrder } from '../cascade/start-cascade.ts';
import { notFound } from '../errors.ts';
import { iso, lower, lowerOrNull } from '../present.ts';

/** Jobs listed per task, newest first chosen (listed oldest first); older ones are only counted. */
export const pbiViewJobsPerTask = 20;

export async function getPbiView(prisma: PrismaClient, pbiId: string) {
  const [pbi, taskRows] = await Promise.all([
    prisma.pbi.findUnique({
      where: { id: pbiId },
      include: {
        // a story's PRs and a cascade's steps are few: Prisma's nested reads are fine here
        stories: { orderBy: { position: 'asc' }, include: { pull_requests: { orderBy: { created_at: 'desc' } } } },
        cascades: { orderBy: { created_at: 'asc' }, include: { steps: { orderBy: cascadeStepOrder } } },
      },
    }),
    pbiTaskJobs(prisma, pbiId, pbiViewJobsPerTask),
  ]);
  if (!pbi) throw notFound('PBI', pbiId);
  const tasksByStory = groupTasks(taskRows);
  return {
    id: pbi.id,
    code: pbi.code,
    title: pbi.title,
    product_id: pbi.product_id,
    stories: pbi.stories.map((story) => {
      // the story's PR: the one on its own branch, newest first
      const pr = story.pull_requests.find((p) => p.head_ref === story.branch) ?? story.pull_requests[0];
      return {
        id: story.id,
        code: story.code,
        title: story.title,
        branch: story.branch,
        pull_request: pr
          ? {
              number: pr.number,
              url: pr.html_url,
              state: lower(pr.state),
              merge_method: lowerOrNull(pr.merge_method),
              head_sha: pr.head_sha,
              merge_commit_sha: pr.merge_commit_sha,
            }
          : null,
        tasks: tasksByStory.get(story.id) ?? [],
      };
    }),
    cascades: pbi.cascades.map((cascade) => ({
      id: cascade.id,
      status: lower(cascade.status),
      failed_job_id: cascade.failed_job_id,
      created_at: iso(cascade.created_at),
      finished_at: iso(cascade.finished_at),
      reopened_at: iso(cascade.reopened_at),
      cancelled_job_ids: cascade.cancelled_job_ids,
      steps: cascade.steps.map((step) => ({
        branch: step.branch,
        action: lower(step.action),
        state: lower(step.state),
        pull_number: step.pull_number,
        revert_pull_number: step.revert_pull_number,
        revert_pr_url: step.revert_pr_url,
        warning: step.warning,
      })),
    })),
  };
}

export type PbiView = Awaited<ReturnType<typeof getPbiView>>;

interface TaskView {
  id: string;
  title: string;
  jobs_total: number;
  jobs: {
    id: string;
    status: Lowercase<JobStatus>;
    user: string;
    verify_result: Lowercase<VerifyResult> | null;
    pr_url: string | null;
    summary: string | null;
    error: string | null;
  }[];
}

/** The statement's rows (one per listed job, or one for a task without jobs) as tasks per story, in order. */
function groupTasks(rows: PbiTaskJobRow[]): Map<string, TaskView[]> {
  const byStory = new Map<string, TaskView[]>();
  let task: TaskView | undefined;
  for (const row of rows) {
    if (task?.id !== row.task_id) {
      task = { id: row.task_id, title: row.title, jobs_total: row.jobs_total, jobs: [] };
      const tasks = byStory.get(row.story_id) ?? [];
      tasks.push(task);
      byStory.set(row.story_id, tasks);
    }
    if (row.job_id === null) continue;
    task.jobs.push({
      id: row.job_id,
      status: lower(row.status as JobStatus),
      user: row.user_name!,
      verify_result: lowerOrNull(row.verify_result as VerifyResult | null),
      pr_url: row.pr_url,
      summary: row.summary,
      error: row.error,
    });
  }
  return byStory;
}
