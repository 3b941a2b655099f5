// Repositories with a merged pull request in the fake GitHub, and a Probot Octokit pointed at it.
import { ProbotOctokit } from 'probot';
import type { FakeGitHub, MergeMethod, MergeOutcome } from '../../support/fake-github/index.ts';

export function octokitFor(baseUrl: string): ProbotOctokit {
  return new ProbotOctokit({
    auth: { token: 'ghs_test' },
    baseUrl,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

/** a.txt's twelve lines, some replaced. */
export function lines(replaced: Record<number, string> = {}): string {
  return Array.from({ length: 12 }, (_, index) => replaced[index + 1] ?? `line ${index + 1}`).join('\n') + '\n';
}

export const FEATURE_LINES = { 2: 'two (feature)', 3: 'three (feature)', 10: 'ten (feature)' };

export interface MergedScenario {
  fullName: string;
  owner: string;
  repo: string;
  featureBranch: string;
  outcome: MergeOutcome;
  /** `git revert` arguments giving the expected result. */
  revertArgs: string[];
  /** What the revert input's `merge` should be. */
  merge: { method: MergeMethod; mergeCommitSha: string; parentSha?: string };
}

let counter = 0;

/**
 * A repository whose pull request (two commits: a.txt lines 2, 3 and 10, new dir/new.txt)
 * was merged with `method` after the base had moved on once (b.txt), so merge commits
 * have two real parents and rebases really replay.
 */
export function mergedPullRequest(fake: FakeGitHub, method: MergeMethod): MergedScenario {
  counter += 1;
  const owner = 'acme';
  const repo = `shop-${method}-${counter}`;
  const fullName = `${owner}/${repo}`;
  const featureBranch = 'feature/login';
  fake.createRepo(fullName, { files: { 'a.txt': lines(), 'b.txt': 'b\n', 'c.txt': 'c\n' } });
  fake.commitToBranch(fullName, featureBranch, { 'a.txt': lines({ 2: FEATURE_LINES[2], 3: FEATURE_LINES[3] }) }, 'feat: reword a');
  fake.commitToBranch(fullName, featureBranch, { 'a.txt': lines(FEATURE_LINES), 'dir/new.txt': 'new\n' }, 'feat: add new');
  fake.commitToBranch(fullName, 'main', { 'b.txt': 'b\nb2\n' }, 'chore: extend b');
  const number = fake.openPull(fullName, { head: featureBranch, title: 'Login' });
  const outcome = fake.mergePull(fullName, number, { method });
  const revertArgs =
    method === 'merge'
      ? ['-m', '1', outcome.mergeCommitSha]
      : method === 'squash'
        ? [outcome.mergeCommitSha]
        : [`${outcome.baseShaBefore}..${outcome.mergeCommitSha}`];
  const merge =
    method === 'rebase'
      ? { method, mergeCommitSha: outcome.mergeCommitSha, parentSha: outcome.baseShaBefore }
      : { method, mergeCommitSha: outcome.mergeCommitSha };
  return { fullName, owner, repo, featureBranch, outcome, revertArgs, merge };
}

/** How often each route was called. */
export function routeCounts(routes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const route of routes) counts[route] = (counts[route] ?? 0) + 1;
  return counts;
}

export const ROUTE = {
  getCommit: 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
  getBranch: 'GET /repos/{owner}/{repo}/branches/{branch}',
  createCommit: 'POST /repos/{owner}/{repo}/git/commits',
  createRef: 'POST /repos/{owner}/{repo}/git/refs',
  updateRef: 'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
  deleteRef: 'DELETE /repos/{owner}/{repo}/git/refs/{ref}',
  merge: 'POST /repos/{owner}/{repo}/merges',
} as const;
