// The status call (S1–S12): an agent reports running, done or failed.
// Who may report what is decided once, by status-rules.ts decideStatusReport.
// Calls with nothing but the job to write take one statement (quick-status.ts,
// its conditions made from the same rules). The others (a task's done, any
// failure) take the full path: GitHub is asked before the transaction (S6: is
// the work pushed?); the job row is then locked, decided again and written with
// its side records (idea state, trace, change event, check refresh, the
// cascade start of S13/S14) in one transaction; after commit, pushed work gets
// its story PR (S7).
import type { Prisma, JobStatus } from '../../generated/prisma/client.ts';
import { lockJobForStatusStatement, type LockedJobRow } from '../../db/sql/job-status-lock.ts';
import { statusProbesStatement, type StatusProbesRow } from '../../db/sql/job-status-probes.ts';
import { runStatement } from '../../db/sql/run-statement.ts';
import type { AppServices } from '../app-services.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { DomainError } from '../errors.ts';
import { checkStoryBranchPushed } from '../github/branches.ts';
import { iso, lower, lowerOrNull } from '../present.ts';
import { publishJobStatus } from './job-events.ts';
import {
  checkVerifyGate,
  clockColumnOf,
  decideStatusReport,
  gatedKinds,
  pushFailedMessage,
  reportRefusal,
  resolveNextAction,
  worktreeAdvice,
  type PushCheck,
  type StatusSnapshot,
} from './status-rules.ts';
import { addTrace } from './trace.ts';
import { quickStatusUpdate, type QuickStatusRow } from './quick-status.ts';
import type { ReportedJobFields } from '../../db/sql/job-status-quick.ts';
import { queueCheckRefresh } from '../checks/queue-check-refresh.ts';
import { lockPbiForCascade, startCascade } from '../cascade/start-cascade.ts';
import { openStoryPullRequestAfterPush } from './story-pr-after-push.ts';
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

export interface StatusAnswer extends ReportedJobFields {
  job_id: string;
  status: string;
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

/** S1–S3 for the job's other agent calls (verify, git token, idea results: active-job.ts). */
export function assertReportable(job: { id: string; user_id: string; status: JobStatus; claimed_by_token_id: string | null }, auth: AuthContext): void {
  const refusal = reportRefusal(job.id, job, auth);
  if (refusal) throw refusal;
}

/**
 * Prisma's defaults (2 s to get a connection, 5 s to finish) answer 500 when the
 * pool is busy for a moment; a failure's transaction also cancels the PBI.
 */
const statusTransactionLimits = { maxWait: 5_000, timeout: 15_000 };

type StatusServices = Pick<AppServices, 'prisma' | 'pool' | 'github' | 'log' | 'metrics'>;

export async function updateJobStatus(services: StatusServices, auth: AuthContext, jobId: string, input: StatusInput): Promise<StatusAnswer> {
  const usage = reportsUsage(input);
  // usage without a model id is priced by the stored model: the full path reads it under the row lock
  if (input.status !== 'failed' && (!usage || input.model_id !== undefined)) {
    const price = usage ? await cachedPriceChoice(services.pool, input.model_id) : null;
    const quick = await quickStatusUpdate(services.pool, auth, jobId, { ...input, status: input.status }, price);
    if (quick.applied) {
      services.metrics.jobTransitions.inc({ from: lower(quick.from_status), to: lower(quick.status) });
      if (usage) countUsage(services.metrics, quick);
      return presentQuickAnswer(quick, input.status);
    }
    // the same rules explain why it changed nothing; a transition they allow
    // (a task's done, a price table newer than this process's copy) takes the full path
    const decision = decideStatusReport(jobId, quick.snapshot, auth, input);
    if (decision.kind === 'rejected') throw decision.error;
  }
  return updateJobStatusInTransaction(services, auth, jobId, input);
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

/** The full path: the same decision, GitHub first, then one transaction with the side records. */
async function updateJobStatusInTransaction(services: StatusServices, auth: AuthContext, jobId: string, input: StatusInput): Promise<StatusAnswer> {
  const { prisma } = services;
  const row = await prisma.job.findUnique({ where: { id: jobId }, include: jobForStatusInclude });
  const storyBranch = row?.story?.branch ?? null;
  const snapshot: StatusSnapshot | null = row && { user_id: row.user_id, status: row.status, claimed_by_token_id: row.claimed_by_token_id, kind: row.kind, story_branch: storyBranch };
  const decision = decideStatusReport(jobId, snapshot, auth, input);
  if (decision.kind === 'rejected') throw decision.error;
  const job = row!;
  const isTask = job.kind === 'TASK_IMPLEMENTATION';

  // Decide the outcome before taking any lock: the gate, then GitHub (S4, S6).
  let newStatus: JobStatus = decision.to;
  let pushCheck: PushCheck | null = null;
  let error = input.error;
  if (newStatus === 'DONE' && gatedKinds.includes(job.kind)) {
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
    const [locked] = await runStatement<LockedJobRow>(tx, lockJobForStatusStatement, [jobId]);
    // a concurrent call (or the cascade) may have changed the job meanwhile: decide again on the locked row
    const current = { ...snapshot!, status: locked!.status as JobStatus, claimed_by_token_id: locked!.claimed_by_token_id };
    const again = decideStatusReport(jobId, current, auth, input);
    if (again.kind === 'rejected') throw again.error;
    const now = new Date();
    const updated = await tx.job.update({
      where: { id: jobId },
      data: {
        status: newStatus,
        heartbeat_at: now,
        [clockColumnOf(newStatus)]: now,
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
    // S13/S14: a task that ends FAILED starts its PBI's cascade in this transaction
    const cascade = newStatus === 'FAILED' && isTask ? await startCascade(tx, updated) : null;
    // Lock order: job rows first, the story's background-job key last. A sibling's status
    // call holds its row and then queues this same key; queueing it before the cascade's
    // cancel (which waits for that row) would deadlock.
    if (isTask && updated.story_id) await queueCheckRefresh(tx, updated.story_id);
    // usage last: it locks the product, PBI and story rows (lock order: src/db/sql/job-usage.ts)
    const usageChange = usage ? await recordJobUsage(tx, services.pool, jobId, locked!.model_id, input) : null;
    return { updated, cascade, from: current.status, usageChange };
  }, statusTransactionLimits);
  services.metrics.jobTransitions.inc({ from: lower(from), to: lower(newStatus) });
  if (usageChange) countUsage(services.metrics, usageChange);

  // S7: after commit, pushed work gets its story's PR (trouble: a warning and a background retry)
  let prUrl = updated.pr_url;
  if (pushed) {
    prUrl = (await openStoryPullRequestAfterPush(services, jobId).catch((err: unknown) => {
      services.log.warn({ err, jobId }, 'story pull request step failed');
      return null;
    })) ?? prUrl;
  }

  const [[probes], finalJob] = await Promise.all([
    runStatement<StatusProbesRow>(services.pool, statusProbesStatement, [auth.userId, job.story_id, jobId, input.status !== 'running']),
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
    next_action: resolveNextAction(input.status, probes!.has_queued ? 1 : 0),
    worktree: newStatus === 'RUNNING' ? 'keep' : worktreeAdvice(probes!.has_active_siblings ? 1 : 0),
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
