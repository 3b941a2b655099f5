// The durable GitHub undo of a cascade (graphile-worker task `cascade_undo`).
// Steps already finished are never redone; each pending step is undone under
// its lock (step-lock.ts), so two runs of one cascade (an overlapping call, or a
// replica that judged this one dead) never undo one step at once: the second
// leaves a step it cannot lock and is retried by the queue. Transient GitHub
// trouble (and a database out of reach) is thrown so the queue retries with backoff; everything else
// becomes a warning (S18).
import type { AppServices } from '../app-services.ts';
import { isTransientFailure } from '../background/task-failures.ts';
import { splitRepo } from '../github/branches.ts';
import type { InstallationGitHub, RepositoryGuards } from '../github/port.ts';
import { githubAccessProblem } from '../installations/github-access.ts';
import { addTrace } from '../jobs/trace.ts';
import { lower } from '../present.ts';
import { finishCascade } from './finish-cascade.ts';
import { cascadeStepOrder } from './start-cascade.ts';
import { openStepLocks, StepLockLost } from './step-lock.ts';
import { undoBranch, type StepOutcome, type StepProgress } from './undo-branch.ts';

export interface RunOptions {
  /** the queue's attempt number (1 = first) and its limit: at the last attempt nothing is thrown */
  attempt: number;
  maxAttempts: number;
}

/** Another run holds some of the cascade's steps: this run left them; the queue comes back later. */
export class CascadeStepsBusy extends Error {
  constructor(readonly stepIds: string[]) {
    super(`${stepIds.length} step(s) of the cascade are being undone by another run; retrying later`);
    this.name = 'CascadeStepsBusy';
  }
}

type Services = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log' | 'metrics'>;

export async function runCascade(services: Services, cascadeId: string, options: RunOptions): Promise<void> {
  const { prisma } = services;
  const cascade = await prisma.cascade.findUnique({
    where: { id: cascadeId },
    include: { steps: { orderBy: cascadeStepOrder }, failed_job: { include: { product: { include: { installation: true } } } } },
  });
  if (!cascade || cascade.status === 'DONE') return;
  const product = cascade.failed_job.product;
  const failedJob = cascade.failed_job;
  const lastAttempt = options.attempt >= options.maxAttempts;
  const pending = cascade.steps.filter((s) => s.state === 'PENDING');

  if (pending.length > 0) {
    const locks = await openStepLocks(services.pool);
    const busy: string[] = [];
    let retryLater: unknown;
    try {
      /** Runs `work` on the step under its lock, if no other run holds it and it is still pending; null: leave it pending. */
      const eachStep = async (work: (step: (typeof pending)[number]) => Promise<StepOutcome | null>) => {
        for (const step of pending) {
          if (!(await locks.tryLock(step.id))) {
            busy.push(step.id);
            continue;
          }
          try {
            // read again under the lock: another run may have finished it meanwhile
            const current = await prisma.cascadeStep.findUnique({ where: { id: step.id }, select: { state: true } });
            if (current?.state !== 'PENDING') continue;
            const outcome = await work(step);
            if (outcome) await finishStep(services, cascadeId, step, outcome);
          } finally {
            await locks.unlock(step.id);
          }
        }
      };
      const failAll = (warning: (branch: string) => string) =>
        eachStep(async (step) => ({ action: step.action, state: 'FAILED', warning: warning(step.branch) }));

      const accessProblem = githubAccessProblem(product);
      if (accessProblem || product.installation_id === null) {
        await failAll((branch) => `${accessProblem ?? 'no installation'}; undo ${branch} by hand`);
      } else {
        let github: InstallationGitHub | undefined;
        let guards: RepositoryGuards | undefined;
        try {
          github = await services.github.installation(product.installation_id);
          guards = await github.readRepositoryGuards(splitRepo(product.repo));
        } catch (error) {
          if (isTransientFailure(error) && !lastAttempt) throw error;
          await failAll((branch) => `GitHub kept failing (${describe(error)}): undo ${branch} by hand`);
        }
        if (github && guards) {
          const repositoryGuards = guards;
          const client = github;
          // S19: the name now answers for another repository (renamed away, then taken). Only an id
          // tells; a product that does not know its id yet takes what its name answers for (a
          // renamed repository redirects, so the name GitHub gives back may differ)
          if (product.github_repo_id !== null && BigInt(guards.id) !== product.github_repo_id) {
            await eachStep(async () => ({
              action: 'SKIP',
              state: 'SKIPPED',
              warning: `${product.repo} is now repository ${guards.id} (${guards.fullName}), not the product's (${product.github_repo_id}): not touched`,
            }));
          } else {
            await eachStep(async (step) => {
              // Counted before any call: a step that starts with attempts > 0 was
              // interrupted (an error, a crash, a lost lock) and checks before it writes.
              const started = await prisma.cascadeStep.update({ where: { id: step.id }, data: { attempts: { increment: 1 } }, select: { attempts: true, progress: true } });
              try {
                return await undoBranch(
                  {
                    prisma,
                    pool: services.pool,
                    github: client,
                    repo: splitRepo(product.repo),
                    product,
                    repositoryId: product.github_repo_id ?? repositoryGuards.id,
                    cascadeId,
                    failedJob: { id: failedJob.id, error: failedJob.error },
                    cancelledJobIds: cascade.cancelled_job_ids,
                    untouchable: repositoryGuards,
                    beforeWrite: () => locks.assertHeld(step.id),
                  },
                  { id: step.id, branch: step.branch, attempts: started.attempts - 1, progress: (started.progress ?? {}) as StepProgress },
                );
              } catch (error) {
                if (error instanceof StepLockLost || (isTransientFailure(error) && !lastAttempt)) {
                  // keep going with the other branches; this one is retried later
                  retryLater ??= error;
                  await addTrace(prisma, { cascade_id: cascadeId, level: 'WARN', message: `${step.branch}: ${error instanceof StepLockLost ? error.message : `GitHub failed (${describe(error)}); will retry`}` });
                  return null;
                }
                return { action: step.action, state: 'FAILED', warning: `${describe(error)}: undo ${step.branch} by hand` };
              }
            });
          }
        }
      }
    } finally {
      await locks.close();
    }
    if (retryLater) throw retryLater;
    if (busy.length > 0) {
      // the run holding them finishes them (and the cascade); on the last attempt, leave it to it
      if (lastAttempt) return;
      throw new CascadeStepsBusy(busy);
    }
  }
  const finished = await finishCascade(prisma, cascadeId);
  // S10 metrics: the cascade's cancellations, counted once (by the run that finished it), by the status each job had
  for (const { from, count } of finished?.cancelledFrom ?? []) services.metrics.jobTransitions.inc({ from, to: 'cancelled' }, count);
}

async function finishStep(services: Services, cascadeId: string, step: { id: string; branch: string }, outcome: StepOutcome): Promise<void> {
  const recorded = await services.prisma.$transaction(async (tx) => {
    // only a pending step is finished: a run that lost the step's lock never overwrites the run that took it over
    const { count } = await tx.cascadeStep.updateMany({
      where: { id: step.id, state: 'PENDING' },
      data: {
        action: outcome.action,
        state: outcome.state,
        warning: outcome.warning ?? null,
        ...(outcome.pullNumber !== undefined ? { pull_number: outcome.pullNumber } : {}),
        revert_pull_number: outcome.revertPullNumber ?? null,
        revert_pr_url: outcome.revertPrUrl ?? null,
      },
    });
    if (count === 0) return false;
    const extra = [outcome.revertPrUrl ? ` (revert PR ${outcome.revertPrUrl})` : '', outcome.note ? `: ${outcome.note}` : '', outcome.warning ? `: ${outcome.warning}` : ''].join('');
    await addTrace(tx, {
      cascade_id: cascadeId,
      level: outcome.warning ? 'WARN' : 'INFO',
      message: `${step.branch}: ${lower(outcome.action)} ${lower(outcome.state)}${extra}`,
    });
    return true;
  });
  if (recorded) services.metrics.cascadeSteps.inc({ action: lower(outcome.action), outcome: lower(outcome.state) });
}

function describe(error: unknown): string {
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  return `${status ? `GitHub ${status}: ` : ''}${message}`.slice(0, 300);
}
