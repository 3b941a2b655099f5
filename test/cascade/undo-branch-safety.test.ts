// The branches the cascade never touches are refused before any GitHub call.
import { describe, expect, it } from 'vitest';
import { undoBranch, type UndoContext } from '../../src/services/cascade/undo-branch.ts';
import { decideStep } from '../../src/services/cascade/decide-step.ts';

/** A context whose GitHub and database throw on any use: a skip must need neither. */
function untouchableContext(overrides: Partial<UndoContext> = {}): UndoContext {
  const refuse = new Proxy({}, { get: () => { throw new Error('no call expected'); } });
  return {
    prisma: refuse as UndoContext['prisma'],
    pool: refuse as UndoContext['pool'],
    github: refuse as UndoContext['github'],
    repo: { owner: 'acme', repo: 'shop' },
    product: { id: 'p', repo: 'acme/shop', base_branch: 'develop', github_repo_id: 7n, repo_updated_at: null } as UndoContext['product'],
    repositoryId: 7n,
    cascadeId: 'c',
    failedJob: { id: 'j', error: 'x' },
    cancelledJobIds: [],
    untouchable: { defaultBranch: 'main', protectedBranches: [] },
    beforeWrite: () => Promise.reject(new Error('no write expected')),
    ...overrides,
  };
}

const step = (branch: string, progress = {}) => ({ id: 's', branch, attempts: 0, progress });

describe('undoBranch safety (S19, SPEC §6)', () => {
  it.each([
    ['the base branch', 'develop'],
    ['the default branch', 'main'],
  ])('never touches %s, whatever an earlier attempt decided', async (_what, branch) => {
    for (const decided of [undefined, { action: 'CLOSE_PR', pull: 3 }, { action: 'REVERT_PR', pull: 3 }, { action: 'DELETE_BRANCH', pull: null }]) {
      const outcome = await undoBranch(untouchableContext(), step(branch, decided ? { decided } : {}));
      expect(outcome).toMatchObject({ action: 'SKIP', state: 'SKIPPED', warning: expect.stringContaining('never touched') });
    }
  });
});

describe('decideStep: the action comes from GitHub now, and a begun close or revert is seen through', () => {
  const open = { number: 5, state: 'OPEN' as const };
  const merged = { number: 5, state: 'MERGED' as const };
  const closed = { number: 5, state: 'CLOSED' as const };
  it.each([
    ['no PR', [], undefined, { action: 'DELETE_BRANCH', pull: null }],
    ['an open PR', [open], undefined, { action: 'CLOSE_PR', pull: 5 }],
    ['a merged PR', [merged], undefined, { action: 'REVERT_PR', pull: 5 }],
    ['a PR closed unmerged', [closed], undefined, { action: 'DELETE_BRANCH', pull: 5 }],
    ['the newest of several', [{ number: 8, state: 'OPEN' as const }, merged], undefined, { action: 'CLOSE_PR', pull: 8 }],
    ['our close whose answer was lost', [closed], { action: 'CLOSE_PR' as const, pull: 5 }, { action: 'CLOSE_PR', pull: 5 }],
    ['a PR merged after we decided to close it', [merged], { action: 'CLOSE_PR' as const, pull: 5 }, { action: 'REVERT_PR', pull: 5 }],
    ['a resumed revert', [merged], { action: 'REVERT_PR' as const, pull: 5 }, { action: 'REVERT_PR', pull: 5 }],
    ['a PR opened after we decided to delete', [open], { action: 'DELETE_BRANCH' as const, pull: null }, { action: 'CLOSE_PR', pull: 5 }],
  ])('%s', (_what, pulls, earlier, expected) => {
    expect(decideStep(pulls, earlier)).toEqual(expected);
  });
});
