import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { octokitRevertPort } from '../../../src/services/github/revert-git.ts';
import type { RevertGitPort } from '../../../src/services/revert/index.ts';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github/index.ts';
import { octokitFor } from './scenario.ts';

let fake: FakeGitHub;
let port: RevertGitPort;
const repo = { owner: 'acme', repo: 'port' };
let mainSha: string;

beforeAll(async () => {
  fake = await startFakeGitHub();
  mainSha = fake.createRepo('acme/port', { files: { 'a.txt': 'a\n' } }).headSha ?? '';
  port = octokitRevertPort(octokitFor(fake.url));
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.clearCalls();
});

describe('octokitRevertPort', () => {
  it('reads a branch head with its tree and message in one call, and null for a missing branch', async () => {
    const head = await port.getBranchHead(repo, 'main');

    expect(head).toEqual({ sha: mainSha, treeSha: fake.readCommit('acme/port', mainSha).tree, parents: [], message: 'Initial commit' });
    expect(await port.getBranchHead(repo, 'no/such-branch')).toBeNull();
    expect(fake.callRoutes()).toEqual(['GET /repos/{owner}/{repo}/branches/{branch}', 'GET /repos/{owner}/{repo}/branches/{branch}']);
  });

  it('answers exists for a branch that is already there, instead of throwing', async () => {
    expect(await port.createRef(repo, 'revert/x-1', mainSha)).toBe('created');
    expect(await port.createRef(repo, 'revert/x-1', mainSha)).toBe('exists');
  });

  it('treats deleting a branch that is already gone as done', async () => {
    await port.createRef(repo, 'revert/x-2', mainSha);

    await port.deleteRef(repo, 'revert/x-2');
    await port.deleteRef(repo, 'revert/x-2');

    expect(fake.branchSha('acme/port', 'revert/x-2')).toBeNull();
    expect(fake.calls.map((call) => call.status)).toEqual([201, 204, 422]);
  });

  it('maps GitHub merge answers: 201 merged, 204 nothing to merge, 409 conflict', async () => {
    const feature = fake.commitToBranch('acme/port', 'feature/a', { 'a.txt': 'a feature\n' }, 'feature');
    fake.commitToBranch('acme/port', 'conflicting', { 'a.txt': 'a other\n' }, 'other');
    await port.createRef(repo, 'target', mainSha);

    const merged = await port.mergeBranches(repo, { base: 'target', head: feature, message: 'merge' });
    expect(merged).toMatchObject({ kind: 'merged', commit: { parents: [mainSha, feature] } });
    expect(await port.mergeBranches(repo, { base: 'target', head: feature, message: 'again' })).toEqual({ kind: 'nothing' });
    expect(await port.mergeBranches(repo, { base: 'target', head: 'conflicting', message: 'conflict' })).toEqual({ kind: 'conflict' });
  });

  it('refuses a non-fast-forward move unless forced', async () => {
    const side = fake.commitToBranch('acme/port', 'side', { 'b.txt': 'b\n' }, 'side');
    await port.createRef(repo, 'moving', side);

    await expect(port.updateRef(repo, 'moving', mainSha, { force: false })).rejects.toMatchObject({ status: 422 });
    await port.updateRef(repo, 'moving', mainSha, { force: true });

    expect(fake.branchSha('acme/port', 'moving')).toBe(mainSha);
  });
});
