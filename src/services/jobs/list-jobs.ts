// GET /api/v1/admin/jobs: every user's jobs, filtered by status, user, product
// and kind, newest first, a page at a time. Keyset pagination on
// (created_at, id): a page is one index-ordered read however deep it is, and
// jobs created while someone pages never shift or repeat rows.
import type { PrismaClient } from '../../db/client.ts';
import type { JobKind, JobStatus, Prisma } from '../../generated/prisma/client.ts';
import { validationFailed } from '../errors.ts';
import { iso, lower, lowerOrNull } from '../present.ts';
import { jobUsageSelect, presentUsage } from './job-usage.ts';

export interface ListJobsFilter {
  status?: JobStatus | undefined;
  user?: string | undefined;
  product_id?: string | undefined;
  kind?: JobKind | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export const listJobsDefaultLimit = 50;

const jobListSelect = {
  id: true,
  kind: true,
  status: true,
  priority: true,
  branch: true,
  pr_url: true,
  verify_result: true,
  summary: true,
  error: true,
  created_at: true,
  claimed_at: true,
  started_at: true,
  finished_at: true,
  ...jobUsageSelect,
  user: { select: { name: true } },
  product: { select: { id: true, name: true, repo: true } },
  pbi: { select: { id: true, code: true, title: true } },
  story: { select: { id: true, code: true, title: true, branch: true } },
  task: { select: { id: true, title: true } },
  idea: { select: { id: true, title: true } },
} satisfies Prisma.JobSelect;

type JobListRow = Prisma.JobGetPayload<{ select: typeof jobListSelect }>;

export function presentJobListItem(job: JobListRow) {
  return {
    id: job.id,
    kind: lower(job.kind),
    status: lower(job.status),
    priority: job.priority,
    user: job.user.name,
    product: { id: job.product.id, name: job.product.name, repo: job.product.repo },
    pbi: job.pbi ? { id: job.pbi.id, code: job.pbi.code, title: job.pbi.title } : null,
    story: job.story ? { id: job.story.id, code: job.story.code, title: job.story.title, branch: job.story.branch } : null,
    task: job.task ? { id: job.task.id, title: job.task.title } : null,
    idea: job.idea ? { id: job.idea.id, title: job.idea.title } : null,
    branch: job.branch ?? job.story?.branch ?? null,
    pr_url: job.pr_url,
    verify_result: lowerOrNull(job.verify_result),
    summary: job.summary,
    error: job.error,
    usage: presentUsage(job),
    created_at: iso(job.created_at)!,
    claimed_at: iso(job.claimed_at),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
  };
}

export type JobListItem = ReturnType<typeof presentJobListItem>;

export interface JobPage {
  jobs: JobListItem[];
  /** pass as `cursor` for the next (older) page; null on the last page */
  next_cursor: string | null;
}

/** The cursor names the last job of a page: its created_at and id. */
export function encodeJobCursor(job: { created_at: Date; id: string }): string {
  return Buffer.from(`${job.created_at.toISOString()}|${job.id}`, 'utf8').toString('base64url');
}

export function decodeJobCursor(cursor: string): { created_at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const created = at ? new Date(at) : undefined;
  if (!created || Number.isNaN(created.getTime()) || !id) {
    throw validationFailed('invalid query: cursor: not a cursor this API gave', [{ path: 'cursor', message: 'not a cursor this API gave' }]);
  }
  return { created_at: created, id };
}

export async function listJobs(prisma: PrismaClient, filter: ListJobsFilter): Promise<JobPage> {
  const limit = filter.limit ?? listJobsDefaultLimit;
  const where: Prisma.JobWhereInput[] = [];
  if (filter.status) where.push({ status: filter.status });
  if (filter.kind) where.push({ kind: filter.kind });
  if (filter.product_id) where.push({ product_id: filter.product_id });
  // an unknown user has no jobs: an empty page, as for any other filter
  if (filter.user) where.push({ user: { name: filter.user } });
  if (filter.cursor) {
    const after = decodeJobCursor(filter.cursor);
    where.push({ OR: [{ created_at: { lt: after.created_at } }, { created_at: after.created_at, id: { lt: after.id } }] });
  }
  const rows = await prisma.job.findMany({
    where: { AND: where },
    orderBy: [{ created_at: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: jobListSelect,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { jobs: page.map(presentJobListItem), next_cursor: rows.length > limit && last ? encodeJobCursor(last) : null };
}
