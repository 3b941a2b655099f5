// The merged-PR path of a cascade step (S16): a revert commit on a revert
// branch (docs/revert.md), a revert PR for a human to review, and a comment on
// the original linking it. Every write is preceded by a read on a resumed
// attempt: the revert branch is judged and reused, a revert PR already open on
// it is adopted, and a comment carrying our marker is never written twice.
//   calls: the revert (docs/revert.md: 4–8), POST pulls, POST issues/{n}/comments
import type { MergeMethod } from '../../generated/prisma/client.ts';
import { readMergeShape } from '../pull-requests/merge-method.ts';
import { revertBranchName } from './plan-steps.ts';
import type { StepPull } from './step-pull.ts';
import { commentMarker, quoteError, type SaveProgress, type StepOutcome, type StepProgress, type StepRecord, type UndoContext } from './undo-context.ts';

export async function revertMergedPullRequest(
  ctx: UndoContext,
  step: StepRecord,
  pr: StepPull,
  progress: StepProgress,
  save: SaveProgress,
  resumed: boolean,
): Promise<StepOutcome> {
  const done = (outcome: Omit<StepOutcome, 'action' | 'pullNumber'>): StepOutcome => ({ action: 'REVERT_PR', pullNumber: pr.number, ...outcome });
  if (!pr.mergeCommitSha) {
    return done({ state: 'FAILED', warning: `PR #${pr.number} is merged but GitHub gave no merge commit: revert it by hand` });
  }
  if (progress.revert_pr === undefined) {
    let method: MergeMethod | null = pr.mergeMethod;
    let parentSha = pr.mergeParentSha;
    if (!method || (method === 'REBASE' && !parentSha)) {
      const shape = await readMergeShape(ctx.github, ctx.repo, { number: pr.number, mergeCommitSha: pr.mergeCommitSha });
      if (shape.method === null) {
        return done({ state: 'FAILED', warning: `cannot tell how PR #${pr.number} was merged (${shape.reason}): revert it by hand` });
      }
      method = shape.method;
      parentSha = shape.parentSha;
      if (pr.recordId) await ctx.prisma.pullRequest.update({ where: { id: pr.recordId }, data: { merge_method: method, merge_parent_sha: parentSha } });
    }
    const revertBranch = revertBranchName(step.branch, ctx.failedJob.id);
    await ctx.beforeWrite();
    const result = await ctx.github.createRevertCommit({
      owner: ctx.repo.owner,
      repo: ctx.repo.repo,
      baseBranch: ctx.product.base_branch,
      revertBranch,
      message: `Revert "${pr.title}"\n\nThis reverts #${pr.number} (${pr.mergeCommitSha}): task job ${ctx.failedJob.id} in its PBI failed.`,
      merge: { method: method.toLowerCase() as 'merge' | 'squash' | 'rebase', mergeCommitSha: pr.mergeCommitSha, ...(parentSha ? { parentSha } : {}) },
    });
    if (result.kind === 'already_reverted') {
      return done({ state: 'SKIPPED', warning: `PR #${pr.number} is already undone on ${ctx.product.base_branch}: no revert PR opened` });
    }
    if (result.kind === 'conflict') {
      if (!progress.manual_revert_commented) {
        const tag = commentMarker(ctx.cascadeId, step.branch, 'manual-revert');
        if (!(resumed && (await ctx.github.hasCommentWithMarker(ctx.repo, pr.number, tag)))) {
          await ctx.beforeWrite();
          await ctx.github.commentOnPullRequest(
            ctx.repo,
            pr.number,
            `The Scrum4Me PBI fail-cascade could not revert this PR automatically: ${ctx.product.base_branch} has changed the same lines since. ` +
              `Task job \`${ctx.failedJob.id}\` in this PBI failed:\n\n${quoteError(ctx.failedJob.error)}\n\nA manual revert is needed.\n\n${tag}`,
          );
        }
        await save({ manual_revert_commented: true });
      }
      return done({ state: 'FAILED', warning: `reverting PR #${pr.number} conflicts with ${ctx.product.base_branch}: manual revert needed (commented on the PR)` });
    }
    await ctx.beforeWrite();
    const { pull: opened } = await ctx.github.openPullRequest(ctx.repo, {
      title: `Revert "${pr.title}"`,
      head: revertBranch,
      base: ctx.product.base_branch,
      body:
        `Reverts #${pr.number} (${pr.htmlUrl}).\n\nThe Scrum4Me PBI fail-cascade opened this PR because task job \`${ctx.failedJob.id}\` failed:\n\n` +
        `${quoteError(ctx.failedJob.error)}\n\nIt is not merged automatically: review it, then merge it to undo #${pr.number}.`,
      maintainerCanModify: false,
    });
    await save({ revert_pr: opened.number, revert_pr_url: opened.html_url });
  }
  if (!progress.original_commented) {
    const tag = commentMarker(ctx.cascadeId, step.branch, 'reverted');
    if (!(resumed && (await ctx.github.hasCommentWithMarker(ctx.repo, pr.number, tag)))) {
      await ctx.beforeWrite();
      await ctx.github.commentOnPullRequest(
        ctx.repo,
        pr.number,
        `Task job \`${ctx.failedJob.id}\` in this PBI failed, so the Scrum4Me PBI fail-cascade opened a revert of this PR for review: ${progress.revert_pr_url}\n\n${tag}`,
      );
    }
    await save({ original_commented: true });
  }
  return done({ state: 'DONE', revertPullNumber: progress.revert_pr!, revertPrUrl: progress.revert_pr_url! });
}
