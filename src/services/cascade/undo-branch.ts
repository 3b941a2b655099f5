// Undoes one story branch of a cascade (S15, S16, S19, §6), under the step's
// lock (step-lock.ts). Right before acting, the step reads GitHub and decides
// then (decide-step.ts), so a PR opened, merged or closed after the cascade
// started is undone the way it is now; each effect is preceded by a read of
// what GitHub already has, so an attempt after a lost answer repeats nothing.
//   read:      GET pulls?head={owner}:{branch}&state=all                  = 1 call
//              (a branch the database knows no pushed work of first asks
//              GET git/ref/heads/{branch}: no branch, no PR, 1 call in all)
//   open PR:   close (skipped when GitHub shows it closed) + comment + delete ref = read + 3
//   merged PR: the revert (docs/revert.md) + revert PR + comment            = read + revert + 2
//   no PR:     delete ref                                                   = read + 1
// On a resumed attempt a comment is written only if no comment with its
// hidden marker is there (GET issues/{n}/comments).
import type { ListedPull } from '../github/port.ts';
import { mergeCascadeStepProgressSql, saveCascadeStepDecisionSql } from '../../db/sql/cascade-step-progress.ts';
import { decideStep, sameDecision, type StepDecision } from './decide-step.ts';
import { revertMergedPullRequest } from './revert-step.ts';
import { recordFreshPull, type StepPull } from './step-pull.ts';
import { commentMarker, quoteError, type SaveProgress, type StepOutcome, type StepProgress, type StepRecord, type UndoContext } from './undo-context.ts';

export type { StepOutcome, StepProgress, StepRecord, UndoContext } from './undo-context.ts';

const stateOf = (pull: Pick<ListedPull, 'state' | 'merged_at'>) => (pull.merged_at ? 'MERGED' : pull.state === 'closed' ? 'CLOSED' : 'OPEN');

export async function undoBranch(ctx: UndoContext, step: StepRecord): Promise<StepOutcome> {
  const progress: StepProgress = { ...step.progress };
  const save: SaveProgress = async (patch) => {
    Object.assign(progress, patch);
    await ctx.pool.query(mergeCascadeStepProgressSql, [step.id, JSON.stringify(patch)]);
  };
  const resumed = step.attempts > 0;

  // §6: what the app never touches, known without a call
  if (step.branch === ctx.product.base_branch || step.branch === ctx.untouchable.defaultBranch) {
    return { action: 'SKIP', state: 'SKIPPED', warning: `${step.branch} is the base or default branch: never touched` };
  }
  if (progress.probe === 'ref' && !progress.decided && !(await ctx.github.branchExists(ctx.repo, step.branch))) {
    return { action: 'DELETE_BRANCH', state: 'DONE', pullNumber: null, note: 'no branch and no PR on GitHub: nothing to undo' };
  }

  const read = await ctx.github.readPullRequestForBranch(ctx.repo, step.branch, ctx.repositoryId);
  // S19: a PR on a branch of that name in another repository (a fork) is not ours
  const foreign = read.foreign.map((p) => `PR #${p.number} from ${p.head.repo?.full_name ?? '(a deleted fork)'} is not in ${ctx.product.repo}: not touched`);
  const decision = decideStep(read.pulls.map((p) => ({ number: p.number, state: stateOf(p) })), progress.decided);
  if (!sameDecision(progress.decided, decision)) await decide(ctx, step.id, progress, decision);

  let outcome: StepOutcome;
  if (decision.pull === null) {
    outcome = await deleteTheBranch(ctx, step, progress, save, null);
  } else {
    const listed = read.pulls.find((p) => p.number === decision.pull);
    // a PR acted on earlier that the one-page list no longer shows: read it alone
    const pull = await recordFreshPull(ctx.pool, ctx.product, listed ?? (await ctx.github.readPullRequest(ctx.repo, decision.pull)));
    if (decision.action === 'CLOSE_PR') outcome = await closeOpenPullRequest(ctx, step, pull, progress, save, resumed);
    else if (decision.action === 'REVERT_PR') outcome = await revertMergedPullRequest(ctx, step, pull, progress, save, resumed);
    else outcome = await deleteTheBranch(ctx, step, progress, save, pull.number);
  }
  return foreign.length > 0 ? { ...outcome, warning: [outcome.warning, ...foreign].filter(Boolean).join('; ') } : outcome;
}

/**
 * A new decision is saved before its first effect; effects of an earlier one (a
 * delete before a PR appeared) say nothing of it. It replaces the progress, so
 * only the lock's holder may save it.
 */
async function decide(ctx: UndoContext, stepId: string, progress: StepProgress, decision: StepDecision): Promise<void> {
  await ctx.beforeWrite();
  const fresh: StepProgress = { ...(progress.probe ? { probe: progress.probe } : {}), decided: decision };
  for (const key of Object.keys(progress) as (keyof StepProgress)[]) delete progress[key];
  Object.assign(progress, fresh);
  await ctx.pool.query(saveCascadeStepDecisionSql, [stepId, JSON.stringify(fresh), decision.action, decision.pull]);
}

async function closeOpenPullRequest(ctx: UndoContext, step: StepRecord, pr: StepPull, progress: StepProgress, save: SaveProgress, resumed: boolean): Promise<StepOutcome> {
  if (!progress.closed) {
    // closed already: our close whose answer was lost, or a person's; either way no second close
    if (pr.state === 'OPEN') {
      await ctx.beforeWrite();
      const closed = await recordFreshPull(ctx.pool, ctx.product, await ctx.github.closePullRequest(ctx.repo, pr.number));
      if (closed.state === 'MERGED') {
        // merged between the read and the close: undo it with a revert instead
        await decide(ctx, step.id, progress, { action: 'REVERT_PR', pull: pr.number });
        return revertMergedPullRequest(ctx, step, closed, progress, save, resumed);
      }
    }
    await save({ closed: true });
  }
  if (!progress.commented) {
    const tag = commentMarker(ctx.cascadeId, step.branch, 'closed');
    if (!(resumed && (await ctx.github.hasCommentWithMarker(ctx.repo, pr.number, tag)))) {
      await ctx.beforeWrite();
      await ctx.github.commentOnPullRequest(
        ctx.repo,
        pr.number,
        `Closed by the Scrum4Me PBI fail-cascade: task job \`${ctx.failedJob.id}\` in this PBI failed.\n\n${quoteError(ctx.failedJob.error)}\n\n` +
          `Cancelled sibling jobs: ${ctx.cancelledJobIds.length > 0 ? ctx.cancelledJobIds.map((id) => `\`${id}\``).join(', ') : 'none'}.\n\n${tag}`,
      );
    }
    await save({ commented: true });
  }
  if (ctx.untouchable.protectedBranches.includes(step.branch)) {
    return { action: 'CLOSE_PR', state: 'DONE', pullNumber: pr.number, warning: `${step.branch} is protected: PR closed, branch kept` };
  }
  if (!progress.branch_deleted) {
    await ctx.beforeWrite();
    await ctx.github.deleteBranch(ctx.repo, step.branch);
    await save({ branch_deleted: true });
  }
  return { action: 'CLOSE_PR', state: 'DONE', pullNumber: pr.number };
}

/** No PR, or one closed without merging: the branch alone (`DELETE` is its own check: a branch already gone is fine). */
async function deleteTheBranch(ctx: UndoContext, step: StepRecord, progress: StepProgress, save: SaveProgress, pullNumber: number | null): Promise<StepOutcome> {
  if (ctx.untouchable.protectedBranches.includes(step.branch)) {
    return { action: 'DELETE_BRANCH', state: 'SKIPPED', pullNumber, warning: `${step.branch} is protected: not deleted` };
  }
  if (!progress.branch_deleted) {
    await ctx.beforeWrite();
    const result = await ctx.github.deleteBranch(ctx.repo, step.branch);
    await save({ branch_deleted: true });
    if (result === 'missing') return { action: 'DELETE_BRANCH', state: 'DONE', pullNumber, warning: `${step.branch} did not exist on GitHub: nothing to delete` };
  }
  return { action: 'DELETE_BRANCH', state: 'DONE', pullNumber };
}
