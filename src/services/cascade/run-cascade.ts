// The durable GitHub undo of a cascade (graphile-worker task `cascade_undo`).
// Steps already finished are never redone; transient GitHub trouble is thrown
// so the queue retries with backoff; everything else becomes a warning (S18).
import type { AppServices } from '../app-services.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { publishChange } from '../events/publish.ts';
import { isTransientGitHubError } from '../github/access.ts';
import { splitRepo } from '../github/branches.ts';
import { addTrace } from '../jobs/trace.ts';
import { lower } from '../present.ts';
import { readUntouchableBranches } from './cascade-github.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { undoBranch, type StepOutcome, type StepProgress } from './undo-branch.ts';

const maxErrorLength = 4000;

export interface RunOptions {
  /** the queue's attempt number (1 = first) and its limit: at the last attempt nothing is thrown */
  attempt: number;
  maxAttempts: number;
}

export async function runCascade(services: Pick<AppServices, 'prisma' | 'github' | 'log' | 'metrics'>, cascadeId: string, options: RunOptions): Promise<void> {
  const { prisma } = services;
  const cascade = await prisma.cascade.findUnique({
    where: { id: cascadeId },
    include: { steps: { orderBy: [{ created_at: 'asc' }, { id: 'asc' }] }, failed_job: { include: { product: { include: { installation: true } } } } },
  });
  if (!cascade || cascade.status === 'DONE') return;
  const product = cascade.failed_job.product;
  const failedJob = cascade.failed_job;
  const lastAttempt = options.attempt >= options.maxAttempts;
  const pending = cascade.steps.filter((s) => s.state === 'PENDING');

  const finishStep = async (stepId: string, outcome: StepOutcome) => {
    await prisma.$transaction(async (tx) => {
      await tx.cascadeStep.update({
        where: { id: stepId },
        data: {
          action: outcome.action,
          state: outcome.state,
          warning: outcome.warning ?? null,
          revert_pull_number: outcome.revertPullNumber ?? null,
          revert_pr_url: outcome.revertPrUrl ?? null,
        },
      });
      const branch = cascade.steps.find((s) => s.id === stepId)!.branch;
      await addTrace(tx, {
        cascade_id: cascadeId,
        level: outcome.warning ? 'WARN' : 'INFO',
        message: `${branch}: ${lower(outcome.action)} ${lower(outcome.state)}${outcome.revertPrUrl ? ` (revert PR ${outcome.revertPrUrl})` : ''}${outcome.warning ? `: ${outcome.warning}` : ''}`,
      });
    });
    services.metrics.cascadeSteps.inc({ action: lower(outcome.action), outcome: lower(outcome.state) });
  };

  if (pending.length > 0) {
    const accessProblem = githubAccessProblem(product);
    if (accessProblem || product.installation_id === null) {
      for (const step of pending) {
        await finishStep(step.id, { action: step.action, state: 'FAILED', warning: `${accessProblem ?? 'no installation'}; undo ${step.branch} by hand` });
      }
    } else {
      let octokit;
      let untouchable;
      try {
        octokit = await services.github.installation(product.installation_id);
        untouchable = await readUntouchableBranches(octokit, splitRepo(product.repo));
      } catch (error) {
        if (isTransientGitHubError(error) && !lastAttempt) throw error;
        for (const step of pending) {
          await finishStep(step.id, { action: step.action, state: 'FAILED', warning: `GitHub kept failing (${describe(error)}): undo ${step.branch} by hand` });
        }
      }
      if (octokit && untouchable) {
        const prs = await prisma.pullRequest.findMany({ where: { product_id: product.id, head_ref: { in: pending.map((s) => s.branch) } }, orderBy: { number: 'desc' } });
        let retryLater: unknown;
        for (const step of pending) {
          const pr = step.pull_number !== null ? (prs.find((p) => p.number === step.pull_number) ?? null) : null;
          // Counted before any call: a step that starts with attempts > 0 was
          // interrupted (an error, or a crash) and must check before it writes.
          const started = await prisma.cascadeStep.update({ where: { id: step.id }, data: { attempts: { increment: 1 } }, select: { attempts: true, progress: true } });
          try {
            const outcome = await undoBranch(
              {
                prisma,
                octokit,
                repo: splitRepo(product.repo),
                product,
                cascadeId,
                failedJob: { id: failedJob.id, error: failedJob.error },
                cancelledJobIds: cascade.cancelled_job_ids,
                untouchable,
              },
              { id: step.id, branch: step.branch, action: step.action, attempts: started.attempts - 1, progress: (started.progress ?? {}) as StepProgress },
              pr,
            );
            await finishStep(step.id, outcome);
          } catch (error) {
            if (isTransientGitHubError(error) && !lastAttempt) {
              // keep going with the other branches; this one is retried later
              retryLater ??= error;
              await addTrace(prisma, { cascade_id: cascadeId, level: 'WARN', message: `${step.branch}: GitHub failed (${describe(error)}); will retry` });
              continue;
            }
            await finishStep(step.id, { action: step.action, state: 'FAILED', warning: `${describe(error)}: undo ${step.branch} by hand` });
          }
        }
        if (retryLater) throw retryLater;
      }
    }
  }
  await finishCascade(services, cascadeId);
}

async function finishCascade(services: Pick<AppServices, 'prisma' | 'log'>, cascadeId: string): Promise<void> {
  await services.prisma.$transaction(async (tx) => {
    const cascade = await tx.cascade.findUniqueOrThrow({ where: { id: cascadeId }, include: { steps: true, failed_job: true } });
    if (cascade.status === 'DONE') return;
    const warnings = cascade.steps.filter((s) => s.warning).map((s) => `${s.branch}: ${s.warning}`);
    const counts = ['DONE', 'FAILED', 'SKIPPED'].map((state) => `${cascade.steps.filter((s) => s.state === state).length} ${state.toLowerCase()}`).join(', ');
    const summary = `PBI fail-cascade ${cascadeId} finished: ${cascade.steps.length} branch(es) (${counts}), ${cascade.cancelled_job_ids.length} job(s) cancelled.`;
    await tx.cascade.update({ where: { id: cascadeId }, data: { status: 'DONE', finished_at: new Date() } });
    // S18: the failed job's error carries the cascade's warnings, bounded
    const error = [cascade.failed_job.error ?? '', summary, ...warnings.map((w) => `warning: ${w}`)].filter(Boolean).join('\n');
    await tx.job.update({ where: { id: cascade.failed_job_id }, data: { error: error.slice(0, maxErrorLength) } });
    await addTrace(tx, { cascade_id: cascadeId, message: summary });
    for (const warning of warnings) await addTrace(tx, { job_id: cascade.failed_job_id, level: 'WARN', message: `cascade: ${warning}` });
    await addTrace(tx, { job_id: cascade.failed_job_id, message: summary });
    for (const storyId of new Set(cascade.steps.map((s) => s.story_id).filter((id): id is string => id !== null))) {
      await queueCheckRefresh(tx, storyId);
    }
    await publishChange(tx, { type: 'cascade', user_id: cascade.failed_job.user_id, cascade_id: cascadeId, pbi_id: cascade.pbi_id, status: 'done' });
  });
}

function describe(error: unknown): string {
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  return `${status ? `GitHub ${status}: ` : ''}${message}`.slice(0, 300);
}
