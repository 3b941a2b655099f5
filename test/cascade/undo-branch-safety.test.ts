// The branches the cascade never touches are refused before any GitHub call.
import { describe, expect, it } from 'vitest';
import { undoBranch, type UndoContext } from '../../src/services/cascade/undo-branch.ts';
import type { PullRequest } from '../../src/generated/prisma/client.ts';

/** A context whose GitHub and database throw on any use: a skip must need neither. */
function untouchableContext(overrides: Partial<UndoContext> = {}): UndoContext {
  const refuse = new Proxy({}, { get: () => { throw new Error('no call expected'); } });
  return {
    prisma: refuse as UndoContext['prisma'],
    octokit: refuse as UndoContext['octokit'],
    repo: { owner: 'acme', repo: 'shop' },
    product: { id: 'p', repo: 'acme/shop', base_branch: 'develop' },
    cascadeId: 'c',
    failedJob: { id: 'j', error: 'x' },
    cancelledJobIds: [],
    untouchable: { defaultBranch: 'main', protectedBranches: [] },
    ...overrides,
  };
}

const step = (branch: string, action: 'CLOSE_PR' | 'DELETE_BRANCH' | 'REVERT_PR' = 'DELETE_BRANCH') => ({ id: 's', branch, action, attempts: 0, progress: {} });
const pr = (fields: Partial<PullRequest>) => ({ number: 9, repo: 'acme/shop', head_repo: 'acme/shop', ...fields }) as PullRequest;

describe('undoBranch safety (S19, SPEC §6)', () => {
  it.each([
    ['the base branch', 'develop'],
    ['the default branch', 'main'],
  ])('never touches %s', async (_what, branch) => {
    for (const action of ['DELETE_BRANCH', 'CLOSE_PR', 'REVERT_PR'] as const) {
      const outcome = await undoBranch(untouchableContext(), step(branch, action), action === 'DELETE_BRANCH' ? null : pr({ state: 'OPEN' }));
      expect(outcome).toMatchObject({ action: 'SKIP', state: 'SKIPPED', warning: expect.stringContaining('never touched') });
    }
  });

  it('never touches a PR of another repository, or from a fork', async () => {
    const other = await undoBranch(untouchableContext(), step('story/x', 'CLOSE_PR'), pr({ repo: 'evil/shop' }));
    expect(other).toMatchObject({ state: 'SKIPPED', warning: expect.stringContaining('not touched') });
    const fork = await undoBranch(untouchableContext(), step('story/x', 'REVERT_PR'), pr({ head_repo: 'mallory/shop' }));
    expect(fork).toMatchObject({ state: 'SKIPPED', warning: expect.stringContaining('mallory/shop') });
  });

  it('does not delete a protected branch without a PR', async () => {
    const outcome = await undoBranch(untouchableContext({ untouchable: { defaultBranch: 'main', protectedBranches: ['story/keep'] } }), step('story/keep'), null);
    expect(outcome).toMatchObject({ action: 'DELETE_BRANCH', state: 'SKIPPED', warning: expect.stringContaining('protected') });
  });
});
