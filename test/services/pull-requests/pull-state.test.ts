import { describe, expect, it } from 'vitest';
import { decidePullUpdate, snapshotOf, type GitHubPull, type HeldPull, type PullSource } from '../../../src/services/pull-requests/pull-state.ts';
import { foreignPullReason } from '../../../src/services/pull-requests/record-pull-request.ts';
import { webhookFixture } from '../../webhooks/support.ts';

const t = (second: number) => new Date(Date.UTC(2024, 0, 1, 12, 0, second));
const webhook = (action: string): PullSource => ({ kind: 'webhook', action });
const reconcile: PullSource = { kind: 'reconcile' };
const held = (state: HeldPull['state'], second: number | null): HeldPull => ({ state, github_updated_at: second === null ? null : t(second) });

describe('decidePullUpdate', () => {
  const table: [string, HeldPull | null, HeldPull['state'], number, PullSource, 'insert' | 'apply' | 'ignore'][] = [
    ['a PR we have no record of is inserted', null, 'OPEN', 10, webhook('opened'), 'insert'],
    ['a newer close applies', held('OPEN', 10), 'CLOSED', 20, webhook('closed'), 'apply'],
    ['a late opened never reopens a closed PR', held('CLOSED', 20), 'OPEN', 10, webhook('opened'), 'ignore'],
    ['a late synchronize never reopens a closed PR', held('CLOSED', 20), 'OPEN', 15, webhook('synchronize'), 'ignore'],
    ['a newer reopened reopens', held('CLOSED', 20), 'OPEN', 30, webhook('reopened'), 'apply'],
    ['a reopened in the same second as the close reopens', held('CLOSED', 20), 'OPEN', 20, webhook('reopened'), 'apply'],
    ['a synchronize in the same second as the close does not reopen', held('CLOSED', 20), 'OPEN', 20, webhook('synchronize'), 'ignore'],
    ['an opened in the same second never overrides what we hold', held('OPEN', 20), 'OPEN', 20, webhook('opened'), 'ignore'],
    ['a synchronize in the same second applies (new head)', held('OPEN', 20), 'OPEN', 20, webhook('synchronize'), 'apply'],
    ['a close in the same second as opened applies', held('OPEN', 20), 'CLOSED', 20, webhook('closed'), 'apply'],
    ['merged is final: a late opened is ignored', held('MERGED', 30), 'OPEN', 10, webhook('opened'), 'ignore'],
    ['merged is final: even a newer non-merged word is ignored', held('MERGED', 30), 'CLOSED', 40, webhook('closed'), 'ignore'],
    ['a merge applies even when older than what we hold', held('OPEN', 40), 'MERGED', 30, webhook('closed'), 'apply'],
    ['a newer word on a merged PR applies (edited after merge)', held('MERGED', 30), 'MERGED', 40, webhook('edited'), 'apply'],
    ['an older word on a merged PR is ignored', held('MERGED', 30), 'MERGED', 20, webhook('edited'), 'ignore'],
    ['a record without GitHub time takes any word', held('OPEN', null), 'CLOSED', 5, webhook('closed'), 'apply'],
    ['reconcile is the truth of now: a same-second reopen applies', held('CLOSED', 20), 'OPEN', 20, reconcile, 'apply'],
    ['reconcile never moves back either', held('CLOSED', 20), 'OPEN', 10, reconcile, 'ignore'],
  ];
  it.each(table)('%s', (_name, current, state, second, source, expected) => {
    expect(decidePullUpdate(current, { state, updatedAt: t(second) }, source).kind).toBe(expected);
  });
});

describe('snapshotOf', () => {
  it('reads a merged PR from the webhook payload, with its merge commit', () => {
    const pull = snapshotOf(webhookFixture('pull_request.closed.merged').pull_request as GitHubPull);
    expect(pull).toMatchObject({
      number: 2,
      state: 'MERGED',
      mergeCommitSha: 'c4295bd74fb0f4fda03689c3df3f2803b658fd85',
      mergedAt: new Date('2019-05-15T15:21:18Z'),
      headRef: 'changes',
      headRepo: 'Codertocat/Hello-World',
      baseRepo: 'Codertocat/Hello-World',
      updatedAt: new Date('2019-05-15T15:21:18Z'),
      commits: 1,
    });
  });

  it("ignores an open PR's test-merge sha and a closed PR's", () => {
    expect(snapshotOf(webhookFixture('pull_request.opened').pull_request as GitHubPull)).toMatchObject({ state: 'OPEN', mergeCommitSha: null });
    expect(snapshotOf(webhookFixture('pull_request.closed').pull_request as GitHubPull)).toMatchObject({ state: 'CLOSED', mergeCommitSha: null, mergedAt: null });
  });

  it('takes a list answer (no `merged` field) as merged when merged_at is set', () => {
    const { merged: _merged, ...listItem } = webhookFixture('pull_request.closed.merged').pull_request;
    expect(snapshotOf(listItem as GitHubPull).state).toBe('MERGED');
  });

  it('keeps a deleted fork head as null', () => {
    const payload = webhookFixture('pull_request.opened');
    payload.pull_request.head.repo = null;
    expect(snapshotOf(payload.pull_request as GitHubPull).headRepo).toBeNull();
  });
});

describe('foreignPullReason', () => {
  const pull = snapshotOf(webhookFixture('pull_request.opened').pull_request as GitHubPull);
  const product = { id: 'p', repo: 'Codertocat/Hello-World', github_repo_id: BigInt(pull.baseRepoId) };

  it('accepts a head branch in the product repository', () => {
    expect(foreignPullReason(product, pull)).toBeNull();
  });
  it('accepts it after the repository was renamed (same GitHub id)', () => {
    expect(foreignPullReason({ ...product, repo: 'Codertocat/Old-Name' }, { ...pull, baseRepo: 'Codertocat/New-Name', headRepo: 'Codertocat/New-Name' })).toBeNull();
  });
  it('compares names when the product has no GitHub id yet', () => {
    expect(foreignPullReason({ ...product, github_repo_id: null, repo: 'codertocat/hello-world' }, pull)).toBeNull();
    expect(foreignPullReason({ ...product, github_repo_id: null, repo: 'someone/else' }, pull)).toMatch(/targets Codertocat\/Hello-World/);
  });
  it('refuses a fork, even with the same branch name, and a deleted fork', () => {
    expect(foreignPullReason(product, { ...pull, headRepo: 'mallory/Hello-World', headRepoId: 666 })).toMatch(/mallory\/Hello-World:changes is not in/);
    expect(foreignPullReason(product, { ...pull, headRepo: null, headRepoId: null })).toMatch(/\(deleted fork\)/);
  });
  it('refuses a PR of another repository', () => {
    expect(foreignPullReason({ ...product, github_repo_id: 1n }, pull)).toMatch(/not Codertocat\/Hello-World/);
  });
});
