// GET /api/v1/admin/jobs/{id}: any user's job with its trace, for operators
// (the agent route shows a token only its own user's jobs).
import type { PrismaClient } from '../../db/client.ts';
import { jobNotFound } from '../errors.ts';
import { presentUsage } from './job-usage.ts';
import { jobViewInclude, presentJobDetail } from './job-view.ts';

export async function getOperatorJob(prisma: PrismaClient, jobId: string) {
  const job = await prisma.job.findUnique({ where: { id: jobId }, include: { ...jobViewInclude, user: { select: { name: true } } } });
  if (!job) throw jobNotFound(jobId);
  const trace = await prisma.traceEntry.findMany({ where: { job_id: jobId }, orderBy: { id: 'asc' }, take: 500 });
  return { ...presentJobDetail(job, trace), user: job.user.name, usage: presentUsage(job) };
}

export type OperatorJob = Awaited<ReturnType<typeof getOperatorJob>>;
