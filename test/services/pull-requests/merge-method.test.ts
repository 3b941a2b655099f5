// Merge-method detection against real git (the fake GitHub merges with git the
// three ways github.com does), with the base moved on after the branch was cut.
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octokitInstallationGitHub } from '../../../src/services/github/octokit-port.ts';
import type { InstallationGitHub } from '../../../src/services/github/port.ts';
import { readMergeShape, sameCommitFacts } from '../../../src/services/pull-requests/merge-method.ts';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github/index.ts';

let fake: FakeGitHub;
let github: InstallationGitHub;
let counter = 0;

beforeAll(async () => {
  fake = await startFakeGitHub();
  github = octokitInstallationGitHub(new ProbotOctokit({ auth: { token: 'test' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } }));
});
afterAll(async () => {
  await fake?.close();
});

/** A repository with a PR of `commits` commits, merged after main moved on. */
function mergedPull(method: 'merge' | 'squash' | 'rebase', commits: number) {
  const fullName = `acme/shape-${++counter}`;
  fake.createRepo(fullName, { files: { 'README.md': 'hello\n', 'a.txt': '1\n' } });
  for (let i = 1; i <= commits; i++) fake.commitToBranch(fullName, 'story/ST-1-work', { [`work-${i}.txt`]: `${i}\n` }, `work step ${i}`);
  fake.commitToBranch(fullName, 'main', { 'a.txt': '1\n2\n' }, 'main moves on');
  const number = fake.openPull(fullName, { head: 'story/ST-1-work', title: 'ST-1: work' });
  const outcome = fake.mergePull(fullName, number, { method });
  fake.clearCalls();
  const [owner, repo] = fullName.split('/') as [string, string];
  return { repo: { owner, repo }, number, outcome };
}

describe('readMergeShape against real git', () => {
  it('a merge commit (two parents): MERGE, parent = the base before the merge, in one call', async () => {
    const { repo, number, outcome } = mergedPull('merge', 3);
    const shape = await readMergeShape(github, repo, { number, mergeCommitSha: outcome.mergeCommitSha });
    expect(shape).toEqual({ method: 'MERGE', parentSha: outcome.baseShaBefore });
    expect(fake.calls).toHaveLength(1);
  });

  it('a squash of three commits: SQUASH, parent = the base before the merge, in two calls', async () => {
    const { repo, number, outcome } = mergedPull('squash', 3);
    const shape = await readMergeShape(github, repo, { number, mergeCommitSha: outcome.mergeCommitSha });
    expect(shape).toEqual({ method: 'SQUASH', parentSha: outcome.baseShaBefore });
    expect(fake.calls).toHaveLength(2);
  });

  it('a rebase of three commits: REBASE, parent = the commit below the first rebased one', async () => {
    const { repo, number, outcome } = mergedPull('rebase', 3);
    expect(outcome.newCommits).toHaveLength(3);
    const shape = await readMergeShape(github, repo, { number, mergeCommitSha: outcome.mergeCommitSha });
    expect(shape).toEqual({ method: 'REBASE', parentSha: outcome.baseShaBefore });
    // merge commit, the PR's commits, then the two rebased commits below it
    expect(fake.callRoutes()).toEqual([
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits',
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
      'GET /repos/{owner}/{repo}/git/commits/{commit_sha}',
    ]);
  });

  it('a one-commit PR: squash and rebase both give the base before the merge (their reverts are the same)', async () => {
    for (const method of ['squash', 'rebase'] as const) {
      const { repo, number, outcome } = mergedPull(method, 1);
      const shape = await readMergeShape(github, repo, { number, mergeCommitSha: outcome.mergeCommitSha });
      expect(shape).toEqual({ method: method === 'squash' ? 'SQUASH' : 'REBASE', parentSha: outcome.baseShaBefore });
    }
  });

  it('a squash whose message repeats the last commit is still a squash (the author date differs)', async () => {
    const fullName = `acme/shape-${++counter}`;
    fake.createRepo(fullName, { files: { 'README.md': 'hello\n' } });
    fake.commitToBranch(fullName, 'story/x', { 'one.txt': '1\n' }, 'first');
    fake.commitToBranch(fullName, 'story/x', { 'two.txt': '2\n' }, 'same words');
    const number = fake.openPull(fullName, { head: 'story/x', title: 'x' });
    const outcome = fake.mergePull(fullName, number, { method: 'squash', commitTitle: 'same words', commitMessage: '' });
    const [owner, repo] = fullName.split('/') as [string, string];
    const shape = await readMergeShape(github, { owner, repo }, { number, mergeCommitSha: outcome.mergeCommitSha });
    expect(shape).toEqual({ method: 'SQUASH', parentSha: outcome.baseShaBefore });
  });
});

describe('sameCommitFacts', () => {
  const facts = { message: 'm\n', author: { name: 'A', email: 'a@x', date: '2024-01-01T00:00:01Z' } };
  it.each([
    ['the same message and author', facts, true],
    ['the same instant written another way', { ...facts, author: { ...facts.author, date: '2024-01-01T01:00:01+01:00' } }, true],
    ['another message', { ...facts, message: 'm (#1)\n' }, false],
    ['another author date', { ...facts, author: { ...facts.author, date: '2024-01-01T00:00:02Z' } }, false],
    ['another author email', { ...facts, author: { ...facts.author, email: 'b@x' } }, false],
    ['no author', { ...facts, author: null }, false],
  ])('%s → %s', (_name, other, expected) => {
    expect(sameCommitFacts(facts, other)).toBe(expected);
  });
});
