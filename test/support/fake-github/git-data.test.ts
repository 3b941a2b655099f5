import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbotOctokit } from 'probot';
import { startFakeGitHub, type FakeGitHub } from './index.ts';

let fake: FakeGitHub;
let octokit: ProbotOctokit;
const repo = { owner: 'acme', repo: 'data' };

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo('acme/data', { files: { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' } });
  octokit = new ProbotOctokit({ auth: { token: 't' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } });
});

afterAll(async () => {
  await fake.close();
});

function statusOf(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  return promise.then(
    () => ({ status: 200, message: '' }),
    (error: { status: number; response?: { data?: { message?: string } } }) => ({
      status: error.status,
      message: error.response?.data?.message ?? '',
    }),
  );
}

describe('fake GitHub git refs', () => {
  it('creates, reads, fast-forwards, force-moves and deletes a branch with slashes', async () => {
    const main = fake.branchSha('acme/data', 'main') ?? '';
    const ahead = fake.commitToBranch('acme/data', 'topic/ahead', { 'c.txt': 'c\n' }, 'ahead');

    const created = await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature/x', sha: main });
    expect(created.status).toBe(201);
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'heads/feature/x' })).data.object.sha).toBe(main);
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/feature/x', sha: ahead });
    expect(await statusOf(octokit.rest.git.updateRef({ ...repo, ref: 'heads/feature/x', sha: main }))).toEqual({
      status: 422,
      message: 'Update is not a fast forward',
    });
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/feature/x', sha: main, force: true });
    expect(fake.branchSha('acme/data', 'feature/x')).toBe(main);

    expect((await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature/x' })).status).toBe(204);
    expect(await statusOf(octokit.rest.git.getRef({ ...repo, ref: 'heads/feature/x' }))).toMatchObject({ status: 404 });
    expect(await statusOf(octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature/x' }))).toEqual({
      status: 422,
      message: 'Reference does not exist',
    });
  });

  it('answers 422 "Reference already exists" and 422 for an unknown object', async () => {
    const main = fake.branchSha('acme/data', 'main') ?? '';

    expect(await statusOf(octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/main', sha: main }))).toEqual({
      status: 422,
      message: 'Reference already exists',
    });
    expect(await statusOf(octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/y', sha: 'f'.repeat(40) }))).toEqual({
      status: 422,
      message: 'Object does not exist',
    });
  });

  it('marks a protected branch and refuses to delete or move it', async () => {
    fake.commitToBranch('acme/data', 'release', { 'r.txt': 'r\n' }, 'release');
    fake.protectBranch('acme/data', 'release');

    expect((await octokit.rest.repos.getBranch({ ...repo, branch: 'release' })).data.protected).toBe(true);
    expect((await octokit.rest.repos.getBranchProtection({ ...repo, branch: 'release' })).status).toBe(200);
    expect(await statusOf(octokit.rest.repos.getBranchProtection({ ...repo, branch: 'main' }))).toEqual({
      status: 404,
      message: 'Branch not protected',
    });
    expect((await statusOf(octokit.rest.git.deleteRef({ ...repo, ref: 'heads/release' }))).status).toBe(422);
    expect(fake.branchSha('acme/data', 'release')).not.toBeNull();
  });
});

describe('fake GitHub git objects', () => {
  it('builds a tree on a base tree from content, a blob sha and a deletion, and commits it', async () => {
    const main = fake.readCommit('acme/data', fake.branchSha('acme/data', 'main') ?? '');
    const blob = await octokit.rest.git.createBlob({ ...repo, content: Buffer.from('blob\n').toString('base64'), encoding: 'base64' });

    const tree = await octokit.rest.git.createTree({
      ...repo,
      base_tree: main.tree,
      tree: [
        { path: 'new/deep.txt', mode: '100644', type: 'blob', content: 'deep\n' },
        { path: 'from-blob.txt', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'dir/b.txt', mode: '100644', type: 'blob', sha: null },
      ],
    });
    const commit = await octokit.rest.git.createCommit({ ...repo, message: 'api commit', tree: tree.data.sha, parents: [main.sha] });
    const read = await octokit.rest.git.getTree({ ...repo, tree_sha: commit.data.tree.sha, recursive: 'true' });

    expect(read.data.tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path)).toEqual([
      'a.txt',
      'from-blob.txt',
      'new/deep.txt',
    ]);
    expect(commit.data.parents.map((parent) => parent.sha)).toEqual([main.sha]);
    expect((await octokit.rest.git.getCommit({ ...repo, commit_sha: commit.data.sha })).data.message).toBe('api commit');
  });
});
