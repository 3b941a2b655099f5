// One cascade step against the in-memory GitHub port: what it decides from
// GitHub's answer of the moment, and exactly what it sends (S15, S16, §6).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { undoBranch, type StepProgress, type UndoContext } from '../../../src/services/cascade/undo-branch.ts';
import { commentMarker } from '../../../src/services/cascade/undo-context.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { FakeGitHubPort, gitHubError } from '../../support/fake-github-port.ts';
import { seedProduct } from '../../support/seed.ts';

let test: TestDatabase;
let github: FakeGitHubPort;
let ctx: UndoContext;
const branch = 'story/ST-1-login';
const writesBefore: string[] = [];
let repositories = 100;

beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test?.drop();
});

beforeEach(async () => {
  const seeded = await seedProduct(test.db.prisma);
  const repositoryId = ++repositories;
  const product = await test.db.prisma.product.update({ where: { id: seeded.id }, data: { github_repo_id: BigInt(repositoryId) } });
  const [owner, repo] = product.repo.split('/') as [string, string];
  github = new FakeGitHubPort({ fullName: product.repo, id: repositoryId });
  github.branches.add(branch);
  writesBefore.length = 0;
  ctx = {
    prisma: test.db.prisma,
    pool: test.db.pool,
    github,
    repo: { owner, repo },
    product,
    repositoryId: BigInt(repositoryId),
    cascadeId: 'cascade-1',
    failedJob: { id: 'job-failed', error: 'tests failed' },
    cancelledJobIds: ['job-a'],
    untouchable: { defaultBranch: 'main', protectedBranches: [] },
    // records which calls had been made when each write was allowed
    beforeWrite: async () => {
      writesBefore.push(github.methods().at(-1)!);
    },
  };
});

const step = (progress: StepProgress = {}, attempts = 0) => ({ id: 'step-1', branch, attempts, progress });

describe('undoBranch on the GitHub port', () => {
  it('an open PR: reads, then closes it, comments once and deletes the branch, nothing else', async () => {
    github.addPull({ number: 5, head: branch, title: 'ST-1: Login' });

    const outcome = await undoBranch(ctx, step());

    expect(outcome).toEqual({ action: 'CLOSE_PR', state: 'DONE', pullNumber: 5 });
    expect(github.methods()).toEqual(['readPullRequestForBranch', 'closePullRequest', 'commentOnPullRequest', 'deleteBranch']);
    expect(github.calls[0]!.args).toEqual([ctx.repo, branch, ctx.repositoryId]);
    expect(github.calls[1]!.args).toEqual([ctx.repo, 5]);
    const [, number, body] = github.calls[2]!.args as [unknown, number, string];
    expect(number).toBe(5);
    expect(body).toContain('task job `job-failed` in this PBI failed');
    expect(body).toContain('> tests failed');
    expect(body).toContain('Cancelled sibling jobs: `job-a`.');
    expect(body).toContain(commentMarker('cascade-1', branch, 'closed'));
    expect(github.calls[3]!.args).toEqual([ctx.repo, branch]);
    expect(github.pulls.get(5)!.state).toBe('closed');
    expect(github.branches.has(branch)).toBe(false);
  });

  it('a resumed attempt after the close was sent and the comment written: only the branch is deleted', async () => {
    github.addPull({ number: 5, head: branch, state: 'closed', comments: [`Closed by … ${commentMarker('cascade-1', branch, 'closed')}`] });

    const outcome = await undoBranch(ctx, step({ decided: { action: 'CLOSE_PR', pull: 5 } }, 1));

    expect(outcome).toEqual({ action: 'CLOSE_PR', state: 'DONE', pullNumber: 5 });
    expect(github.methods()).toEqual(['readPullRequestForBranch', 'hasCommentWithMarker', 'deleteBranch']);
    expect(github.pulls.get(5)!.comments).toHaveLength(1);
  });

  it('a merged PR: one revert commit on a revert branch, a revert PR for review, a comment linking it', async () => {
    github.addPull({ number: 8, head: branch, state: 'closed', merged: true, mergeCommitSha: 'm'.repeat(40), title: 'ST-1: Login' });

    const outcome = await undoBranch(ctx, step());

    expect(github.writes().map((c) => c.method)).toEqual(['createRevertCommit', 'openPullRequest', 'commentOnPullRequest']);
    expect(github.reverts).toEqual([
      {
        owner: ctx.repo.owner,
        repo: ctx.repo.repo,
        baseBranch: 'main',
        revertBranch: expect.stringMatching(/^revert\//),
        message: expect.stringContaining('This reverts #8'),
        merge: { method: 'merge', mergeCommitSha: 'm'.repeat(40), parentSha: 'p'.repeat(40) },
      },
    ]);
    const [, opened] = github.writes()[1]!.args as [unknown, { head: string; base: string; title: string; maintainerCanModify: boolean }];
    expect(opened).toMatchObject({ head: github.reverts[0]!.revertBranch, base: 'main', title: 'Revert "ST-1: Login"', maintainerCanModify: false });
    const [, commentedOn, comment] = github.writes()[2]!.args as [unknown, number, string];
    expect(commentedOn).toBe(8);
    expect(comment).toContain(`https://github.com/${ctx.product.repo}/pull/9`);
    expect(outcome).toEqual({ action: 'REVERT_PR', state: 'DONE', pullNumber: 8, revertPullNumber: 9, revertPrUrl: `https://github.com/${ctx.product.repo}/pull/9` });
    // the merged branch itself is left alone
    expect(github.methods()).not.toContain('deleteBranch');
  });

  it('a protected branch: its PR is closed and commented, the branch kept', async () => {
    ctx.untouchable.protectedBranches = [branch];
    github.addPull({ number: 5, head: branch });

    const outcome = await undoBranch(ctx, step());

    expect(outcome).toMatchObject({ action: 'CLOSE_PR', state: 'DONE', warning: `${branch} is protected: PR closed, branch kept` });
    expect(github.writes().map((c) => c.method)).toEqual(['closePullRequest', 'commentOnPullRequest']);
    expect(github.branches.has(branch)).toBe(true);
  });

  it('a close GitHub fails (502) is thrown for the queue to retry, and nothing is sent after it', async () => {
    github.addPull({ number: 5, head: branch });
    github.failNext('closePullRequest', gitHubError(502));

    await expect(undoBranch(ctx, step())).rejects.toMatchObject({ status: 502 });
    expect(github.methods()).toEqual(['readPullRequestForBranch', 'closePullRequest']);
    expect(github.pulls.get(5)!.state).toBe('open');
  });

  it('every write is preceded by the lock check', async () => {
    github.addPull({ number: 5, head: branch });
    await undoBranch(ctx, step());
    // the decision's save, then the close, the comment and the delete: each checked right before it is sent
    expect(writesBefore).toEqual(['readPullRequestForBranch', 'readPullRequestForBranch', 'closePullRequest', 'commentOnPullRequest']);
  });

  it('a PR of a fork on a branch of that name is never touched, and said so', async () => {
    github.addPull({ number: 4, head: branch, headRepoId: 99_999 });

    const outcome = await undoBranch(ctx, step());

    expect(github.writes().map((c) => c.method)).toEqual(['deleteBranch']);
    expect(outcome).toMatchObject({ action: 'DELETE_BRANCH', state: 'DONE', pullNumber: null, warning: expect.stringContaining('PR #4 from fork-99999/') });
  });
});
