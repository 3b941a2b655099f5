// Undoes one story branch of a cascade (S15, S16, S19, §6 safety). Each
// GitHub call's success is saved in the step's progress before the next one,
// so a resumed step never repeats a finished call.
//   open PR:   close (its answer is the fresh state) + comment + delete ref  = 3 calls
//   merged PR: the revert (docs/revert.md) + open revert PR + comment        = revert + 2
//   no PR:     delete ref                                                     = 1 call
import type { CascadeStepAction, CascadeStepState, MergeMethod, PullRequest } from '../../generated/prisma/client.ts';
import type { PrismaClient } from '../../db/client.ts';
import type { Octokit } from '../github/access.ts';
import { readMergeShape } from '../pull-requests/merge-method.ts';
import { createRevertCommit, octokitRevertPort } from '../revert/index.ts';
import { closePullRequest, commentOnPullRequest, deleteBranch, hasCommentWithMarker, openRevertPullRequest, type Repo } from './cascade-github.ts';
import { revertBranchName } from './plan-steps.ts';

export interface StepProgress {
  closed?: boolean;
  commented?: boolean;
  branch_deleted?: boolean;
  revert_pr?: number;
  revert_pr_url?: string;
  original_commented?: boolean;
  manual_revert_commented?: boolean;
}

export interface StepOutcome {
  action: CascadeStepAction;
  state: Exclude<CascadeStepState, 'PENDING'>;
  warning?: string;
  revertPullNumber?: number;
  revertPrUrl?: string;
}

export interface UndoContext {
  prisma: PrismaClient;
  octokit: Octokit;
  repo: Repo;
  product: { id: string; repo: string; base_branch: string };
  cascadeId: string;
  failedJob: { id: string; error: string | null };
  cancelledJobIds: string[];
  untouchable: { defaultBranch: string; protectedBranches: string[] };
}

export interface StepRecord {
  id: string;
  branch: string;
  action: CascadeStepAction;
  attempts: number;
  progress: StepProgress;
}

const marker = (cascadeId: string, branch: string, kind: string) => `<!-- scrum4me-cascade:${cascadeId}:${branch}:${kind} -->`;
const quote = (text: string | null) => (text ? text.slice(0, 600).split('\n').map((l) => `> ${l}`).join('\n') : '> (no error message)');

export async function undoBranch(ctx: UndoContext, step: StepRecord, pr: PullRequest | null): Promise<StepOutcome> {
  const progress: StepProgress = { ...step.progress };
  const save = async (patch: StepProgress, extra: { action?: CascadeStepAction; pull_number?: number } = {}) => {
    Object.assign(progress, patch);
    await ctx.prisma.cascadeStep.update({ where: { id: step.id }, data: { progress: { ...progress }, ...extra } });
  };
  const resumed = step.attempts > 0;

  // S19 and §6: what the app never touches.
  const productRepo = ctx.product.repo.toLowerCase();
  if (pr && (pr.repo.toLowerCase() !== productRepo || (pr.head_repo !== null && pr.head_repo.toLowerCase() !== productRepo))) {
    return { action: 'SKIP', state: 'SKIPPED', warning: `PR #${pr.number} of ${step.branch} belongs to ${pr.head_repo ?? pr.repo}, not ${ctx.product.repo}: not touched` };
  }
  if (step.branch === ctx.product.base_branch || step.branch === ctx.untouchable.defaultBranch) {
    return { action: 'SKIP', state: 'SKIPPED', warning: `${step.branch} is the base or default branch: never touched` };
  }
  const isProtected = ctx.untouchable.protectedBranches.includes(step.branch);

  let action = step.action;
  let mergedPr = pr;
  if (action === 'CLOSE_PR' && pr) {
    if (!progress.closed) {
      const closed = await closePullRequest(ctx.octokit, ctx.repo, pr.number);
      if (closed.merged) {
        // merged between our last look and now: undo it with a revert instead
        mergedPr = await ctx.prisma.pullRequest.update({
          where: { id: pr.id },
          data: { state: 'MERGED', merge_commit_sha: closed.mergeCommitSha, merged_at: closed.mergedAt ? new Date(closed.mergedAt) : new Date(), github_updated_at: new Date(closed.updatedAt) },
        });
        action = 'REVERT_PR';
        await save({}, { action });
      } else {
        await ctx.prisma.pullRequest.update({ where: { id: pr.id }, data: { state: 'CLOSED', closed_at: new Date(), github_updated_at: new Date(closed.updatedAt) } });
        await save({ closed: true });
      }
    }
    if (action === 'CLOSE_PR') {
      if (!progress.commented) {
        const tag = marker(ctx.cascadeId, step.branch, 'closed');
        if (!(resumed && (await hasCommentWithMarker(ctx.octokit, ctx.repo, pr.number, tag)))) {
          await commentOnPullRequest(
            ctx.octokit,
            ctx.repo,
            pr.number,
            `Closed by the Scrum4Me PBI fail-cascade: task job \`${ctx.failedJob.id}\` in this PBI failed.\n\n${quote(ctx.failedJob.error)}\n\n` +
              `Cancelled sibling jobs: ${ctx.cancelledJobIds.length > 0 ? ctx.cancelledJobIds.map((id) => `\`${id}\``).join(', ') : 'none'}.\n\n${tag}`,
          );
        }
        await save({ commented: true });
      }
      if (isProtected) {
        return { action, state: 'DONE', warning: `${step.branch} is protected: PR closed, branch kept` };
      }
      if (!progress.branch_deleted) {
        await deleteBranch(ctx.octokit, ctx.repo, step.branch);
        await save({ branch_deleted: true });
      }
      return { action, state: 'DONE' };
    }
  }

  if (action === 'REVERT_PR' && mergedPr) {
    return revertMergedPullRequest(ctx, step, mergedPr, progress, save, resumed);
  }

  // no PR (or a closed one): the branch alone
  if (isProtected) return { action: 'DELETE_BRANCH', state: 'SKIPPED', warning: `${step.branch} is protected: not deleted` };
  if (!progress.branch_deleted) {
    const result = await deleteBranch(ctx.octokit, ctx.repo, step.branch);
    await save({ branch_deleted: true });
    if (result === 'missing') return { action: 'DELETE_BRANCH', state: 'DONE', warning: `${step.branch} did not exist on GitHub: nothing to delete` };
  }
  return { action: 'DELETE_BRANCH', state: 'DONE' };
}

async function revertMergedPullRequest(
  ctx: UndoContext,
  step: StepRecord,
  pr: PullRequest,
  progress: StepProgress,
  save: (patch: StepProgress) => Promise<void>,
  resumed: boolean,
): Promise<StepOutcome> {
  if (!pr.merge_commit_sha) {
    return { action: 'REVERT_PR', state: 'FAILED', warning: `PR #${pr.number} is merged but GitHub gave no merge commit: revert it by hand` };
  }
  if (progress.revert_pr === undefined) {
    let method: MergeMethod | null = pr.merge_method;
    let parentSha = pr.merge_parent_sha;
    if (!method || (method === 'REBASE' && !parentSha)) {
      const shape = await readMergeShape(ctx.octokit, ctx.repo, { number: pr.number, mergeCommitSha: pr.merge_commit_sha });
      if (shape.method === null) {
        return { action: 'REVERT_PR', state: 'FAILED', warning: `cannot tell how PR #${pr.number} was merged (${shape.reason}): revert it by hand` };
      }
      method = shape.method;
      parentSha = shape.parentSha;
      await ctx.prisma.pullRequest.update({ where: { id: pr.id }, data: { merge_method: method, merge_parent_sha: parentSha } });
    }
    const revertBranch = revertBranchName(step.branch, ctx.failedJob.id);
    const result = await createRevertCommit(octokitRevertPort(ctx.octokit), {
      owner: ctx.repo.owner,
      repo: ctx.repo.repo,
      baseBranch: ctx.product.base_branch,
      revertBranch,
      message: `Revert "${pr.title}"\n\nThis reverts #${pr.number} (${pr.merge_commit_sha}): task job ${ctx.failedJob.id} in its PBI failed.`,
      merge: { method: method.toLowerCase() as 'merge' | 'squash' | 'rebase', mergeCommitSha: pr.merge_commit_sha, ...(parentSha ? { parentSha } : {}) },
    });
    if (result.kind === 'already_reverted') {
      return { action: 'REVERT_PR', state: 'SKIPPED', warning: `PR #${pr.number} is already undone on ${ctx.product.base_branch}: no revert PR opened` };
    }
    if (result.kind === 'conflict') {
      if (!progress.manual_revert_commented) {
        const tag = marker(ctx.cascadeId, step.branch, 'manual-revert');
        if (!(resumed && (await hasCommentWithMarker(ctx.octokit, ctx.repo, pr.number, tag)))) {
          await commentOnPullRequest(
            ctx.octokit,
            ctx.repo,
            pr.number,
            `The Scrum4Me PBI fail-cascade could not revert this PR automatically: ${ctx.product.base_branch} has changed the same lines since. ` +
              `Task job \`${ctx.failedJob.id}\` in this PBI failed:\n\n${quote(ctx.failedJob.error)}\n\nA manual revert is needed.\n\n${tag}`,
          );
        }
        await save({ manual_revert_commented: true });
      }
      return { action: 'REVERT_PR', state: 'FAILED', warning: `reverting PR #${pr.number} conflicts with ${ctx.product.base_branch}: manual revert needed (commented on the PR)` };
    }
    const opened = await openRevertPullRequest(ctx.octokit, ctx.repo, {
      title: `Revert "${pr.title}"`,
      head: revertBranch,
      base: ctx.product.base_branch,
      body:
        `Reverts #${pr.number} (${pr.html_url}).\n\nThe Scrum4Me PBI fail-cascade opened this PR because task job \`${ctx.failedJob.id}\` failed:\n\n` +
        `${quote(ctx.failedJob.error)}\n\nIt is not merged automatically: review it, then merge it to undo #${pr.number}.`,
    });
    await save({ revert_pr: opened.number, revert_pr_url: opened.htmlUrl });
  }
  if (!progress.original_commented) {
    const tag = marker(ctx.cascadeId, step.branch, 'reverted');
    if (!(resumed && (await hasCommentWithMarker(ctx.octokit, ctx.repo, pr.number, tag)))) {
      await commentOnPullRequest(
        ctx.octokit,
        ctx.repo,
        pr.number,
        `Task job \`${ctx.failedJob.id}\` in this PBI failed, so the Scrum4Me PBI fail-cascade opened a revert of this PR for review: ${progress.revert_pr_url}\n\n${tag}`,
      );
    }
    await save({ original_commented: true });
  }
  return { action: 'REVERT_PR', state: 'DONE', revertPullNumber: progress.revert_pr!, revertPrUrl: progress.revert_pr_url! };
}
