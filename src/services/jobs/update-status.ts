// The status call (S1–S12): an agent reports running, done or failed.
// Calls with nothing but the job to write take one statement (quick-status.ts).
// The others (a task's done, any failure) take the full path: GitHub is asked
// before the transaction (S6: is the work pushed?); the job row is then
// locked, re-checked and written with its side records (idea state, trace,
// change event, check refresh, cascade start) in one transaction.
import type { Prisma, JobStatus } from '../../generated/prisma/client.ts';
import type { AppServices } from '../app-services.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { DomainError, jobNotFound, permissionDenied, validationFailed } from '../errors.ts';
import { checkStoryBranchPushed } from '../github/branches.ts';
import { iso, lower, lowerOrNull } from '../present.ts';
import { publishJobStatus } from './job-events.ts';
import {
  activeStatuses,
  checkVerifyGate,
  pushFailedMessage,
  reportableStatuses,
  resolveNextAction,
  worktreeAdvice,
  type PushCheck,
} from './status-rules.ts';
import { addTrace } from './trace.ts';
import { quickStatusUpdate, type QuickStatusRow } from './quick-status.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { lockPbiForCascade } from '../cascade/start-cascade.ts';
import { cachedPriceChoice, countUsage, recordJobUsage, reportsUsage } from './record-usage.ts';

export interface StatusInput {
  status: 'running' | 'done' | 'failed';
  branch?: string | undefined;
  summary?: string | undefined;
  error?: string | undefined;
  model_id?: string | undefined;
  input_tokens?: number | undefined;
  output_tokens?: number | undefined;
  cache_read_tokens?: number | undefined;
  cache_write_tokens?: number | undefined;
}

/** What happens around the transaction; the cascade and story PRs plug in here. */
export interface StatusHooks {
  /** inside the failure's transaction (S14): returns the cascade it started, if any */
  onTaskFailed?(tx: Prisma.TransactionClient, job: { id: string; pbi_id: string | null; error: string | null }): Promise<{ id: string; cancelled_job_ids: string[] } | null>;
  /** after commit, for a done task job with pushed work: returns the PR's URL or null */
  onWorkPushed?(jobId: string, summary: string | undefined): Promise<string | null>;
}

export interface StatusAnswer {
  job_id: string;
  status: string;
  branch: string | null;
  pushed_at: string | null;
  pr_url: string | null;
  verify_result: string | null;
  summary: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  next_action: 'idle' | 'wait_for_job_again' | 'queue_empty';
  worktree: 'keep' | 'remove';
  keep_branch: boolean;
  cascade: { id: string; cancelled_job_ids: string[] } | null;
}

const jobForStatusInclude = {
  task: { select: { verify_only: true, verify_required: true } },
  story: { select: { branch: true } },
  product: { select: { repo: true, base_branch: true, installation_id: true, repo_removed_at: true, installation: { select: { account_login: true, suspended_at: true, deleted_at: true } } } },
} satisfies Prisma.JobInclude;

/** S1–S3, in the seed's order: the claiming token, then cancelled, then terminal. */
export function assertReportable(job: { id: string; status: JobStatus; claimed_by_token_id: string | null }, auth: AuthContext): void {
  if (job.claimed_by_token_id !== auth.tokenId) {
    throw permissionDenied(`job ${job.id} is not claimed by this token`);
  }
  if (job.status === 'CANCELLED') {
    throw new DomainError(
      'JOB_CANCELLED',
      'the job was cancelled by the PBI fail-cascade; discard your local changes and claim the next job',
    );
  }
  if (!reportableStatuses.includes(job.status)) {
    throw new DomainError('JOB_TERMINAL', `Job is already in terminal state: ${lower(job.status)}`);
  }
}

/**
 * Prisma's defaults (2 s to get a connection, 5 s to finish) answer 500 when the
 * pool is busy for a moment; a failure's transaction also cancels the PBI.
 */
const statusTransactionLimits = { maxWait: 5_000, timeout: 15_000 };

type StatusServices = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log' | 'metrics'>;

export async function updateJobStatus(services: StatusServices, hooks: StatusHooks, auth: AuthContext, jobId: string, input: StatusInput): Promise<StatusAnswer> {
  const usage = reportsUsage(input);
  // usage without a model id is priced by the stored model: the full path reads it under the row lock
  if (input.status !== 'failed' && (!usage || input.model_id !== undefined)) {
    const price = usage ? await cachedPriceChoice(services.pool, input.model_id) : null;
    const quick = await quickStatusUpdate(services.pool, auth, jobId, { ...input, status: input.status }, price);
    if (quick) {
      services.metrics.jobTransitions.inc({ from: lower(quick.from_status), to: lower(quick.status) });
      if (usage) countUsage(services.metrics, quick);
      return presentQuickAnswer(quick, input.status);
    }
  }
  return updateJobStatusInTransaction(services, hooks, auth, jobId, input);
}

function presentQuickAnswer(row: QuickStatusRow, reported: 'running' | 'done'): StatusAnswer {
  return {
    job_id: row.id,
    status: row.status.toLowerCase(),
    branch: row.branch,
    pushed_at: row.pushed_at,
    pr_url: row.pr_url,
    verify_result: row.verify_result?.toLowerCase() ?? null,
    summary: row.summary,
    error: row.error,
    started_at: row.started_at,
    finished_at: row.finished_at,
    next_action: resolveNextAction(reported, row.has_queued ? 1 : 0),
    worktree: reported === 'running' ? 'keep' : worktreeAdvice(row.has_active_siblings ? 1 : 0),
    keep_branch: false,
    cascade: null,
  };
}

/** The full path: every check in the seed's order, GitHub first, then one transaction with the side records. */
async function updateJobStatusInTransaction(
  services: StatusServices,
  hooks: StatusHooks,
  auth: AuthContext,
  jobId: string,
  input: StatusInput,
): Promise<StatusAnswer> {
  const { prisma } = services;
  const job = await prisma.job.findUnique({ where: { id: jobId }, include: jobForStatusInclude });
  if (!job || job.user_id !== auth.userId) throw jobNotFound(jobId);
  assertReportable(job, auth);
  const storyBranch = job.story?.branch ?? null;
  if (input.branch !== undefined && input.branch !== storyBranch) {
    throw validationFailed(`branch must be the story's branch ${storyBranch ?? '(none: idea jobs have no branch)'}`, [
      { path: 'branch', message: `expected ${storyBranch ?? 'no branch'}` },
    ]);
  }
  const isTask = job.kind === 'TASK_IMPLEMENTATION';

  // Decide the outcome before taking any lock: the gate, then GitHub (S4, S6).
  let newStatus: JobStatus = input.status === 'running' ? 'RUNNING' : input.status === 'done' ? 'DONE' : 'FAILED';
  let pushCheck: PushCheck | null = null;
  let error = input.error;
  if (input.status === 'done' && isTask) {
    const gate = checkVerifyGate(job.verify_result, job.task?.verify_only ?? false, job.task?.verify_required ?? 'ALIGNED_OR_PARTIAL', input.summary);
    if (!gate.allowed) throw new DomainError('VERIFY_GATE', gate.reason);
    // throws (nothing written) when GitHub or the installation cannot answer: 503 or 422
    pushCheck = await checkStoryBranchPushed(services.github, job.product, storyBranch!);
    if (pushCheck.kind === 'failed') {
      newStatus = 'FAILED';
      error = pushFailedMessage(pushCheck.reason, pushCheck.detail);
    }
  }
  const pushed = pushCheck?.kind === 'pushed';

  const usage = reportsUsage(input);
  const { updated, cascade, from, usageChange } = await prisma.$transaction(async (tx) => {
    if (newStatus === 'FAILED' && isTask && job.pbi_id) await lockPbiForCascade(tx, job.pbi_id);
    const locked = await tx.$queryRaw<{ status: JobStatus; claimed_by_token_id: string | null; model_id: string | null }[]>`
      SELECT status, claimed_by_token_id, model_id FROM jobs WHERE id = ${jobId} FOR UPDATE`;
    // a concurrent call (or the cascade) may have changed the job meanwhile
    const { model_id: storedModelId, ...current } = locked[0]!;
    assertReportable({ id: jobId, ...current }, auth);
    const now = new Date();
    const updated = await tx.job.update({
      where: { id: jobId },
      data: {
        status: newStatus,
        heartbeat_at: now,
        ...(newStatus === 'RUNNING' ? { started_at: now } : { finished_at: now }),
        ...(isTask && input.status === 'done' ? { branch: storyBranch } : {}),
        ...(pushed ? { pushed_at: now } : {}),
        ...(input.summary !== undefined ? { summary: input.summary } : {}),
        ...(error !== undefined ? { error } : {}),
      },
    });
    if (pushCheck) await addTrace(tx, { job_id: jobId, level: pushCheck.kind === 'failed' ? 'WARN' : 'INFO', message: describePushCheck(pushCheck, storyBranch!) });
    if (newStatus === 'FAILED' && job.idea_id && (job.kind === 'IDEA_GRILL' || job.kind === 'IDEA_MAKE_PLAN')) {
      // S5: the idea fails with its job, in the same transaction
      await tx.idea.update({ where: { id: job.idea_id }, data: { status: job.kind === 'IDEA_GRILL' ? 'GRILL_FAILED' : 'PLAN_FAILED' } });
      await tx.ideaLog.create({
        data: { idea_id: job.idea_id, type: 'JOB_EVENT', content: `${job.kind} failed`, metadata: { job_id: jobId, error: error ?? null } },
      });
    }
    await publishJobStatus(tx, updated);
    const cascade = newStatus === 'FAILED' && isTask && hooks.onTaskFailed ? await hooks.onTaskFailed(tx, updated) : null;
    // Lock order: job rows first, the story's background-job key last. A sibling's status
    // call holds its row and then queues this same key; queueing it before the cascade's
    // cancel (which waits for that row) would deadlock.
    if (isTask && updated.story_id) await queueCheckRefresh(tx, updated.story_id);
    // usage last: it locks the product, PBI and story rows (lock order: src/db/sql/job-usage.ts)
    const usageChange = usage ? await recordJobUsage(tx, services.pool, jobId, storedModelId, input) : null;
    return { updated, cascade, from: current.status, usageChange };
  }, statusTransactionLimits);
  services.metrics.jobTransitions.inc({ from: lower(from), to: lower(newStatus) });
  if (usageChange) countUsage(services.metrics, usageChange);

  let prUrl = updated.pr_url;
  if (pushed && hooks.onWorkPushed) {
    prUrl = (await hooks.onWorkPushed(jobId, input.summary).catch((err: unknown) => {
      services.log.warn({ err, jobId }, 'story pull request step failed');
      return null;
    })) ?? prUrl;
  }

  // S11/S12 only ask whether there are any (a count would read every queued job of the user)
  const [queued, activeSiblings, finalJob] = await Promise.all([
    input.status === 'running' ? 0 : prisma.job.findFirst({ where: { user_id: auth.userId, status: 'QUEUED' }, select: { id: true } }).then((j) => (j ? 1 : 0)),
    job.story_id
      ? prisma.job.findFirst({ where: { story_id: job.story_id, status: { in: activeStatuses }, id: { not: jobId } }, select: { id: true } }).then((j) => (j ? 1 : 0))
      : 0,
    cascade ? prisma.job.findUniqueOrThrow({ where: { id: jobId } }) : updated,
  ]);

  return {
    job_id: jobId,
    status: lower(newStatus),
    branch: finalJob.branch,
    pushed_at: iso(finalJob.pushed_at),
    pr_url: prUrl,
    verify_result: lowerOrNull(finalJob.verify_result),
    summary: finalJob.summary,
    error: finalJob.error,
    started_at: iso(finalJob.started_at),
    finished_at: iso(finalJob.finished_at),
    next_action: resolveNextAction(input.status, queued),
    worktree: newStatus === 'RUNNING' ? 'keep' : worktreeAdvice(activeSiblings),
    keep_branch: newStatus === 'DONE' && pushed,
    cascade,
  };
}

function describePushCheck(check: PushCheck, branch: string): string {
  switch (check.kind) {
    case 'pushed':
      return `push check: ${branch} is ${check.aheadBy} commit(s) ahead of the base`;
    case 'no_changes':
      return `push check: ${branch} has no commits ahead of the base (done without pushed work)`;
    case 'failed':
      return `push check failed: ${pushFailedMessage(check.reason, check.detail)}`;
  }
}
