// GET /api/v1/jobs/{id}: a job of the caller's user, with its trace.
import type { PrismaClient } from '../../db/client.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { jobNotFound } from '../errors.ts';
import { jobViewInclude, presentJobDetail } from './job-view.ts';

export async function getJob(prisma: PrismaClient, auth: AuthContext, jobId: string) {
  const job = await prisma.job.findUnique({ where: { id: jobId }, include: jobViewInclude });
  // another user's job is answered exactly like a missing one
  if (!job || job.user_id !== auth.userId) throw jobNotFound(jobId);
  const trace = await prisma.traceEntry.findMany({ where: { job_id: jobId }, orderBy: { id: 'asc' }, take: 500 });
  return presentJobDetail(job, trace);
}
