// The job as agents see it (claim answer, GET /api/v1/jobs/{id}).
import type { Prisma } from '../../generated/prisma/client.ts';
import { iso, lower, lowerOrNull } from '../present.ts';
import { presentUsage } from './job-usage.ts';

export const jobViewInclude = {
  product: { select: { id: true, name: true, repo: true, base_branch: true } },
  pbi: { select: { id: true, code: true, title: true } },
  story: { select: { id: true, code: true, title: true, branch: true } },
  task: { select: { id: true, title: true, plan: true, plan_paths: true, verify_only: true, verify_required: true } },
  idea: { select: { id: true, title: true, body: true } },
} satisfies Prisma.JobInclude;

export type JobWithContext = Prisma.JobGetPayload<{ include: typeof jobViewInclude }>;

/** What the claim answer shows: the job and its context. */
export type ClaimedJobFacts = Pick<JobWithContext, 'id' | 'kind' | 'status' | 'priority' | 'claimed_at' | 'product' | 'pbi' | 'story' | 'task' | 'idea'>;

export function presentClaimedJob(job: ClaimedJobFacts) {
  return {
    id: job.id,
    kind: lower(job.kind),
    status: lower(job.status),
    priority: job.priority,
    product: { id: job.product.id, name: job.product.name, repo: job.product.repo, base_branch: job.product.base_branch },
    pbi: job.pbi ? { id: job.pbi.id, code: job.pbi.code, title: job.pbi.title } : null,
    story: job.story ? { id: job.story.id, code: job.story.code, title: job.story.title, branch: job.story.branch } : null,
    ...(job.task
      ? {
          task: {
            id: job.task.id,
            title: job.task.title,
            plan: job.task.plan,
            plan_paths: job.task.plan_paths,
            verify_only: job.task.verify_only,
            verify_required: lower(job.task.verify_required),
          },
        }
      : {}),
    ...(job.idea ? { idea: { id: job.idea.id, title: job.idea.title, body: job.idea.body } } : {}),
    branch: job.story?.branch ?? null,
    claimed_at: iso(job.claimed_at),
  };
}

export function presentJobDetail(job: JobWithContext, trace: { at: Date; level: string; message: string }[]) {
  return {
    ...presentClaimedJob(job),
    // the branch the agent reported, else the story's
    branch: job.branch ?? job.story?.branch ?? null,
    pushed_at: iso(job.pushed_at),
    pr_url: job.pr_url,
    verify_result: lowerOrNull(job.verify_result),
    summary: job.summary,
    error: job.error,
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    created_at: iso(job.created_at),
    cascade_id: job.cascade_id,
    usage: presentUsage(job),
    trace: trace.map((t) => ({ at: iso(t.at), level: lower(t.level), message: t.message })),
  };
}
