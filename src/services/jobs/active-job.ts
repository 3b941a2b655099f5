// The guard shared by verify, git-token and idea: the caller's own job,
// claimed by this very token, and still claimed or running.
import type { PrismaClient } from '../../db/client.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { jobNotFound } from '../errors.ts';
import { assertReportable } from './update-status.ts';
import { jobViewInclude } from './job-view.ts';

export async function loadActiveJob(prisma: PrismaClient, auth: AuthContext, jobId: string) {
  const job = await prisma.job.findUnique({
    where: { id: jobId },
    include: { ...jobViewInclude, product: { select: { id: true, name: true, repo: true, base_branch: true, installation_id: true } } },
  });
  if (!job || job.user_id !== auth.userId) throw jobNotFound(jobId);
  assertReportable(job, auth);
  return job;
}
