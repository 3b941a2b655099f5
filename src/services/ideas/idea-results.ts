// POST /api/v1/jobs/{id}/idea: an idea job delivers its grill or plan markdown.
import type { AppServices } from '../app-services.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { DomainError } from '../errors.ts';
import { loadActiveJob } from '../jobs/active-job.ts';
import { lower } from '../present.ts';

export type IdeaResult = { grill_md: string } | { plan_md: string };

export async function storeIdeaResult(services: Pick<AppServices, 'prisma'>, auth: AuthContext, jobId: string, result: IdeaResult) {
  const job = await loadActiveJob(services.prisma, auth, jobId);
  const isGrill = 'grill_md' in result;
  const expectedKind = isGrill ? 'IDEA_GRILL' : 'IDEA_MAKE_PLAN';
  if (job.kind !== expectedKind || !job.idea_id) {
    throw new DomainError('WRONG_JOB_KIND', `${isGrill ? 'grill_md' : 'plan_md'} is for ${lower(expectedKind)} jobs; job ${jobId} is ${lower(job.kind)}`);
  }
  const ideaId = job.idea_id;
  const markdown = isGrill ? result.grill_md : result.plan_md;
  const idea = await services.prisma.$transaction(async (tx) => {
    const idea = await tx.idea.update({
      where: { id: ideaId },
      data: isGrill ? { grill_md: markdown, status: 'GRILLED' } : { plan_md: markdown, status: 'PLAN_READY' },
    });
    await tx.ideaLog.create({
      data: { idea_id: ideaId, type: isGrill ? 'GRILL_MD' : 'PLAN_MD', content: markdown.slice(0, 2000), metadata: { job_id: jobId, length: markdown.length } },
    });
    await tx.job.update({ where: { id: jobId }, data: { heartbeat_at: new Date() } });
    return idea;
  });
  return { job_id: jobId, idea_id: idea.id, status: lower(idea.status) };
}
