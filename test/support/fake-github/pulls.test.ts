import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbotOctokit } from 'probot';
import { startFakeGitHub, type FakeGitHub, type MergeMethod } from './index.ts';

let fake: FakeGitHub;
let octokit: ProbotOctokit;
let counter = 0;

beforeAll(async () => {
  fake = await startFakeGitHub();
  octokit = new ProbotOctokit({ auth: { token: 't' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } });
});

afterAll(async () => {
  await fake.close();
});

/** The webhook actions GitHub sent for one PR. */
function actionsOf(fullName: string, number: number): string[] {
  return fake.events
    .filter((event) => event.payload.number === number && (event.payload.repository as { full_name: string }).full_name === fullName)
    .map((event) => event.payload.action);
}

/** A repository whose base moved on after `feature` (two commits) branched off. */
function repoWithFeature() {
  counter += 1;
  const name = `pulls-${counter}`;
  const fullName = `acme/${name}`;
  fake.createRepo(fullName, { files: { 'a.txt': 'a\n' } });
  const first = fake.commitToBranch(fullName, 'feature', { 'f1.txt': '1\n' }, 'one');
  const second = fake.commitToBranch(fullName, 'feature', { 'f2.txt': '2\n' }, 'two');
  const base = fake.commitToBranch(fullName, 'main', { 'm.txt': 'm\n' }, 'base moved');
  return { fullName, repo: { owner: 'acme', repo: name }, first, second, base };
}

describe('fake GitHub pull requests', () => {
  it('answers 422 with GitHub\'s message for a second open PR of the same head', async () => {
    const { repo } = repoWithFeature();
    await octokit.rest.pulls.create({ ...repo, head: 'feature', base: 'main', title: 'Feature' });

    const error = await octokit.rest.pulls.create({ ...repo, head: 'acme:feature', base: 'main', title: 'Again' }).catch((e: unknown) => e);

    expect(error).toMatchObject({
      status: 422,
      response: { data: { message: 'Validation Failed', errors: [{ code: 'custom', message: 'A pull request already exists for acme:feature.' }] } },
    });
  });

  it('refuses a PR without commits and lists PRs by head and state', async () => {
    const { repo, fullName } = repoWithFeature();
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/same', sha: fake.branchSha(fullName, 'main') ?? '' });
    await expect(octokit.rest.pulls.create({ ...repo, head: 'same', base: 'main', title: 'x' })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'No commits between main and same' }] } },
    });
    const created = await octokit.rest.pulls.create({ ...repo, head: 'feature', base: 'main', title: 'Feature' });
    await octokit.rest.pulls.update({ ...repo, pull_number: created.data.number, state: 'closed' });

    const open = await octokit.rest.pulls.list({ ...repo, head: 'acme:feature', state: 'open' });
    const all = await octokit.rest.pulls.list({ ...repo, head: 'acme:feature', state: 'all' });

    expect(open.data).toEqual([]);
    expect(all.data.map((pr) => [pr.number, pr.state])).toEqual([[created.data.number, 'closed']]);
    expect(actionsOf(fullName, created.data.number)).toEqual(['opened', 'closed']);
  });

  it('follows pushes to the head with synchronize and closes the PR when its head branch is deleted', async () => {
    const { repo, fullName } = repoWithFeature();
    const number = fake.openPull(fullName, { head: 'feature', title: 'F' });
    const pushed = fake.commitToBranch(fullName, 'feature', { 'f3.txt': '3\n' }, 'three');

    expect((await octokit.rest.pulls.get({ ...repo, pull_number: number })).data.head.sha).toBe(pushed);
    await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature' });
    const closed = (await octokit.rest.pulls.get({ ...repo, pull_number: number })).data;

    expect(closed).toMatchObject({ state: 'closed', merged: false, head: { sha: pushed } });
    expect(actionsOf(fullName, number)).toEqual(['opened', 'synchronize', 'closed']);
  });

  it.each<MergeMethod>(['merge', 'squash', 'rebase'])('merges with %s like GitHub: parents, merge_commit_sha, merged tree', async (method) => {
    const { repo, fullName, first, second, base } = repoWithFeature();
    const number = fake.openPull(fullName, { head: 'feature', title: 'Feature' });

    const merged = await octokit.rest.pulls.merge({ ...repo, pull_number: number, merge_method: method });

    const tip = fake.readCommit(fullName, merged.data.sha);
    const pr = (await octokit.rest.pulls.get({ ...repo, pull_number: number })).data;
    expect(fake.branchSha(fullName, 'main')).toBe(merged.data.sha);
    expect(pr).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha });
    if (method === 'merge') expect(tip.parents).toEqual([base, second]);
    if (method === 'squash') expect(tip.parents).toEqual([base]);
    if (method === 'rebase') {
      const replayedFirst = tip.parents[0] ?? '';
      expect(fake.readCommit(fullName, replayedFirst).parents).toEqual([base]);
      expect(fake.readCommit(fullName, replayedFirst).message).toBe('one');
      expect([replayedFirst, tip.sha]).not.toContain(first);
    }
    const commits = await octokit.rest.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits.data.map((commit) => commit.sha)).toEqual([first, second]);
    // Both files of the feature and the base's own are in the merged tree.
    const tree = await octokit.rest.git.getTree({ ...repo, tree_sha: tip.tree });
    expect(tree.data.tree.map((entry) => entry.path).sort()).toEqual(['a.txt', 'f1.txt', 'f2.txt', 'm.txt']);
  });

  it('refuses to merge a conflicting PR with 405', async () => {
    const { repo, fullName } = repoWithFeature();
    fake.commitToBranch(fullName, 'feature', { 'a.txt': 'feature a\n' }, 'feature a');
    fake.commitToBranch(fullName, 'main', { 'a.txt': 'main a\n' }, 'main a');
    const number = fake.openPull(fullName, { head: 'feature', title: 'F' });

    expect((await octokit.rest.pulls.get({ ...repo, pull_number: number })).data.mergeable).toBe(false);
    await expect(octokit.rest.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({ status: 405 });
  });
});
