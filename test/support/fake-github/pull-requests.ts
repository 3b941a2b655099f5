// Pull request life cycle in the fake: open, close, reopen, follow pushes to the head, and the webhooks GitHub sends.
import { branchTip } from './branches.ts';
import { commitsBetween, diffFiles, mergeBase, mergeCommits } from './git/history.ts';
import { HttpError, validationFailed } from './router.ts';
import { repositoryJson, userJson, type Urls } from './shapes/accounts.ts';
import { pullJson, type PullFigures } from './shapes/pulls.ts';
import type { FakeState, PullRecord, RepoRecord } from './state.ts';

export function pullFigures(repo: RepoRecord, pr: PullRecord): PullFigures {
  const open = pr.state === 'open';
  const baseSha = open ? (branchTip(repo, pr.baseRef) ?? pr.baseSha) : pr.baseSha;
  const base = mergeBase(repo.gitDir, baseSha, pr.headSha);
  const files = diffFiles(repo.gitDir, base, pr.headSha);
  return {
    baseSha,
    commits: pr.mergedCommits?.length ?? commitsBetween(repo.gitDir, baseSha, pr.headSha).length,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changedFiles: files.length,
    mergeable: open ? mergeCommits(repo.gitDir, baseSha, pr.headSha).clean : null,
  };
}

export function pullJsonNow(urls: Urls, repo: RepoRecord, pr: PullRecord) {
  return pullJson(urls, repo, pr, pullFigures(repo, pr));
}

export function emitPullEvent(
  state: FakeState,
  repo: RepoRecord,
  pr: PullRecord,
  action: 'opened' | 'closed' | 'reopened' | 'synchronize' | 'edited',
  sender: string,
  extra: Record<string, unknown> = {},
): void {
  const urls = state.urls;
  state.emit({
    name: 'pull_request',
    payload: {
      action,
      number: pr.number,
      ...extra,
      pull_request: pullJsonNow(urls, repo, pr),
      repository: repositoryJson(urls, repo),
      installation: { id: repo.installationId, node_id: Buffer.from(`Installation${repo.installationId}`).toString('base64') },
      sender: userJson(urls, sender),
    },
  });
}

export interface NewPull {
  head: string;
  base: string;
  title: string;
  body: string | null;
  draft: boolean;
  user: string;
}

export function createPull(state: FakeState, repo: RepoRecord, input: NewPull): PullRecord {
  const [headOwner, headRef] = input.head.includes(':') ? input.head.split(':', 2) : [repo.owner, input.head];
  if (headOwner?.toLowerCase() !== repo.owner.toLowerCase() || !headRef) {
    throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  }
  const baseSha = branchTip(repo, input.base);
  if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
  const headSha = branchTip(repo, headRef);
  if (!headSha) throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  if (repo.pulls.some((pr) => pr.state === 'open' && pr.headRef === headRef && pr.baseRef === input.base)) {
    throw validationFailed([
      { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${headRef}.` },
    ]);
  }
  if (commitsBetween(repo.gitDir, baseSha, headSha).length === 0) {
    throw validationFailed([
      { resource: 'PullRequest', code: 'custom', message: `No commits between ${input.base} and ${headRef}` },
    ]);
  }
  const now = state.now();
  const pr: PullRecord = {
    number: repo.nextNumber++,
    id: state.newId(),
    title: input.title,
    body: input.body,
    state: 'open',
    draft: input.draft,
    user: input.user,
    headRef,
    headSha,
    baseRef: input.base,
    baseSha,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    mergedCommits: null,
  };
  repo.pulls.push(pr);
  emitPullEvent(state, repo, pr, 'opened', input.user);
  return pr;
}

export function closePull(state: FakeState, repo: RepoRecord, pr: PullRecord, actor: string): void {
  if (pr.state === 'closed') return;
  pr.baseSha = branchTip(repo, pr.baseRef) ?? pr.baseSha;
  pr.state = 'closed';
  pr.closedAt = state.now();
  pr.updatedAt = pr.closedAt;
  emitPullEvent(state, repo, pr, 'closed', actor);
}

export function reopenPull(state: FakeState, repo: RepoRecord, pr: PullRecord, actor: string): void {
  if (pr.state === 'open') return;
  if (pr.mergedAt) throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The pull request is merged.' }]);
  const headSha = branchTip(repo, pr.headRef);
  if (!headSha) {
    throw new HttpError(422, 'Validation Failed', {
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The head branch was deleted.' }],
    });
  }
  pr.headSha = headSha;
  pr.state = 'open';
  pr.closedAt = null;
  pr.updatedAt = state.now();
  emitPullEvent(state, repo, pr, 'reopened', actor);
}

/** GitHub follows pushes to an open PR's head (synchronize) and closes PRs whose head or base branch is deleted. */
export function watchPullHeads(state: FakeState): void {
  state.onBranchMoved((repo, branch, after) => {
    for (const pr of repo.pulls) {
      if (pr.state !== 'open') continue;
      if (after === null && (pr.headRef === branch || pr.baseRef === branch)) {
        closePull(state, repo, pr, repo.owner);
      } else if (after !== null && pr.headRef === branch && pr.headSha !== after) {
        const before = pr.headSha;
        pr.headSha = after;
        pr.updatedAt = state.now();
        emitPullEvent(state, repo, pr, 'synchronize', repo.owner, { before, after });
      }
    }
  });
}
