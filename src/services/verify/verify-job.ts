// POST /api/v1/jobs/{id}/verify: compare the branch's changes with the task's plan and store the result.
import type { AppServices } from '../app-services.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { DomainError, validationFailed } from '../errors.ts';
import { githubFailure } from '../github/access.ts';
import { splitRepo } from '../github/branches.ts';
import { loadActiveJob } from '../jobs/active-job.ts';
import { addTrace } from '../jobs/trace.ts';
import { reportableStatuses } from '../jobs/status-rules.ts';
import { lower } from '../present.ts';
import { matchPlan } from './plan-match.ts';

export async function verifyJob(services: Pick<AppServices, 'prisma' | 'github'>, auth: AuthContext, jobId: string, branch: string | undefined) {
  const job = await loadActiveJob(services.prisma, auth, jobId);
  if (job.kind !== 'TASK_IMPLEMENTATION' || !job.task || !job.story) {
    throw new DomainError('WRONG_JOB_KIND', `verify is for task jobs; job ${jobId} is ${lower(job.kind)}`);
  }
  const head = branch ?? job.story.branch;
  if (head !== job.story.branch) {
    throw validationFailed(`branch must be the story's branch ${job.story.branch}`, [{ path: 'branch', message: `expected ${job.story.branch}` }]);
  }
  if (job.product.installation_id === null) {
    throw new DomainError('APP_NOT_INSTALLED', `no app installation reaches ${job.product.repo}`);
  }
  let changed: string[] | null;
  try {
    const github = await services.github.installation(job.product.installation_id);
    changed = await github.listChangedFiles(splitRepo(job.product.repo), job.product.base_branch, head);
  } catch (error) {
    // 503 GITHUB_UNAVAILABLE with a Retry-After (GitHub's own for rate limits), or 422 for an installation that is gone
    throw githubFailure(error, `comparing ${head} with ${job.product.base_branch}`);
  }
  const changedPaths = changed ?? [];
  const match = matchPlan(job.task.plan_paths, changedPaths);
  const written = await services.prisma.$transaction(async (tx) => {
    // the job may have been cancelled (or reported) while GitHub was asked: write only a job still ours and active
    const { count } = await tx.job.updateMany({
      where: { id: jobId, claimed_by_token_id: auth.tokenId, status: { in: reportableStatuses } },
      data: { verify_result: match.verify_result, heartbeat_at: new Date() },
    });
    if (count === 0) return false;
    await addTrace(tx, {
      job_id: jobId,
      message: `verify: ${lower(match.verify_result)} (${changedPaths.length} changed file(s)${changed === null ? `, no branch ${head}` : ''}, ${match.missing_paths.length} plan path(s) missing)`,
    });
    return true;
  });
  if (!written) {
    // says why: JOB_CANCELLED, JOB_TERMINAL or PERMISSION_DENIED
    await loadActiveJob(services.prisma, auth, jobId);
    throw new DomainError('JOB_TERMINAL', `job ${jobId} ended while it was being verified`);
  }
  return {
    job_id: jobId,
    verify_result: lower(match.verify_result),
    plan_paths: job.task.plan_paths,
    changed_paths: changedPaths,
    missing_paths: match.missing_paths,
    unexpected_paths: match.unexpected_paths,
  };
}
