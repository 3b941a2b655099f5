import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbotOctokit } from 'probot';
import { startFakeGitHub, type FakeGitHub } from './index.ts';

let fake: FakeGitHub;
let octokit: ProbotOctokit;

beforeAll(async () => {
  fake = await startFakeGitHub();
  octokit = new ProbotOctokit({ auth: { token: 't' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } });
});

afterAll(async () => {
  await fake.close();
});

describe('fake GitHub renameRepo', () => {
  it('keeps the id, answers the new name in pulls and repository JSON, and redirects the old name', async () => {
    fake.createRepo('acme/before');
    const id = fake.repoId('acme/before');
    fake.commitToBranch('acme/before', 'topic', { 't.txt': 't\n' }, 'topic');
    const number = fake.openPull('acme/before', { head: 'topic', title: 'topic' });

    const renamed = fake.renameRepo('acme/before', 'after');

    expect(renamed).toMatchObject({ id, oldFullName: 'acme/before', fullName: 'acme/after' });
    expect(renamed.webhook.payload).toMatchObject({ action: 'renamed', changes: { repository: { name: { from: 'before' } } } });
    const viaNew = await octokit.rest.pulls.get({ owner: 'acme', repo: 'after', pull_number: number });
    expect(viaNew.data.head.repo?.id).toBe(id);
    expect(viaNew.data.head.repo?.full_name).toBe('acme/after');
    expect(viaNew.data.base.repo.name).toBe('after');
    const viaOld = await octokit.rest.repos.get({ owner: 'acme', repo: 'before' });
    expect(viaOld.data).toMatchObject({ id, full_name: 'acme/after' });
    expect(fake.repoId('acme/after')).toBe(id);
  });

  it('answers 404 for the old name when told the redirect is gone', async () => {
    fake.createRepo('acme/gone');
    fake.renameRepo('acme/gone', 'moved', { redirectOldName: false });

    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'gone' })).rejects.toMatchObject({ status: 404 });
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'moved' })).data.name).toBe('moved');
  });
});
