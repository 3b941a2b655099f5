// The operator's view of a PBI: stories with their PR and jobs, and its cascades step by step.
import type { PrismaClient } from '../../db/client.ts';
import { notFound } from '../errors.ts';
import { iso, lower, lowerOrNull } from '../present.ts';

export async function getPbiView(prisma: PrismaClient, pbiId: string) {
  const pbi = await prisma.pbi.findUnique({
    where: { id: pbiId },
    include: {
      stories: {
        orderBy: { position: 'asc' },
        include: {
          pull_requests: { orderBy: { created_at: 'desc' } },
          tasks: {
            orderBy: { position: 'asc' },
            include: { jobs: { orderBy: { created_at: 'asc' }, include: { user: { select: { name: true } } } } },
          },
        },
      },
      cascades: { orderBy: { created_at: 'asc' }, include: { steps: { orderBy: [{ created_at: 'asc' }, { id: 'asc' }] } } },
    },
  });
  if (!pbi) throw notFound('PBI', pbiId);
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
        tasks: story.tasks.map((task) => ({
          id: task.id,
          title: task.title,
          jobs: task.jobs.map((job) => ({
            id: job.id,
            status: lower(job.status),
            user: job.user.name,
            verify_result: lowerOrNull(job.verify_result),
            pr_url: job.pr_url,
            summary: job.summary,
            error: job.error,
          })),
        })),
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
