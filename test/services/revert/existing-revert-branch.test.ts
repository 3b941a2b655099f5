import { describe, expect, it } from 'vitest';
import { judgeExistingRevertBranch, type BranchHead, type RevertExpectation } from '../../../src/services/revert/index.ts';

const expected: RevertExpectation = { baseSha: 'base', baseTreeSha: 'base-tree', message: 'Revert "Login"\n\nbody' };
const finished: BranchHead = { sha: 'revert', treeSha: 'reverted-tree', parents: ['base'], message: expected.message };

describe('judgeExistingRevertBranch', () => {
  it.each<[string, Partial<BranchHead>, Partial<RevertExpectation>, 'reuse' | 'reset']>([
    ['our finished revert on the current base', {}, {}, 'reuse'],
    ['our revert whose message GitHub stored with a trailing newline', { message: `${expected.message}\n` }, {}, 'reuse'],
    ['our revert with the tree the fast path expects', {}, { treeSha: 'reverted-tree' }, 'reuse'],
    ['a revert with another tree than the fast path expects', {}, { treeSha: 'other-tree' }, 'reset'],
    ['a revert of an older base', { parents: ['older-base'] }, {}, 'reset'],
    ['the base tip itself (crash right after the branch was created)', { sha: 'base', parents: ['before-base'], message: 'chore' }, {}, 'reset'],
    ['a left-over temporary merge', { parents: ['base', 'undo'], message: 'Temporary merge' }, {}, 'reset'],
    ['a commit with another message', { message: 'someone else' }, {}, 'reset'],
    ['an empty commit on the base (tree of the base)', { treeSha: 'base-tree' }, {}, 'reset'],
  ])('%s → %s', (_name, tip, expectation, decision) => {
    expect(judgeExistingRevertBranch({ ...finished, ...tip }, { ...expected, ...expectation })).toBe(decision);
  });
});
