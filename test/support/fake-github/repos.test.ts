import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbotOctokit } from 'probot';
import { startFakeGitHub, type FakeGitHub } from './index.ts';

let fake: FakeGitHub;
let octokit: ProbotOctokit;
const repo = { owner: 'acme', repo: 'history' };
const commits: string[] = [];

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo('acme/history', { files: { 'a.txt': 'a\n' } });
  for (let i = 1; i <= 5; i += 1) {
    commits.push(fake.commitToBranch('acme/history', 'topic', { [`file-${i}.txt`]: `${i}\n` }, `commit ${i}`));
  }
  fake.commitToBranch('acme/history', 'main', { 'base.txt': 'base\n' }, 'base moved');
  octokit = new ProbotOctokit({ auth: { token: 't' }, baseUrl: fake.url, retry: { enabled: false }, throttle: { enabled: false } });
});

afterAll(async () => {
  await fake.close();
});

describe('fake GitHub compare', () => {
  it('answers status, ahead/behind, merge base and files like GitHub', async () => {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...topic' });

    expect(data).toMatchObject({ status: 'diverged', ahead_by: 5, behind_by: 1, total_commits: 5 });
    expect(data.commits.map((commit) => commit.sha)).toEqual(commits);
    expect(data.merge_base_commit.sha).toBe(fake.readCommit('acme/history', commits[0] ?? '').parents[0]);
    expect(data.files?.map((file) => [file.filename, file.status])).toEqual(
      [1, 2, 3, 4, 5].map((i) => [`file-${i}.txt`, 'added']),
    );
  });

  it('pages the commits oldest first with a Link header, files only on the first page', async () => {
    const first = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...topic', per_page: 2 });
    const third = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...topic', per_page: 2, page: 3 });

    expect(first.data.commits.map((commit) => commit.sha)).toEqual(commits.slice(0, 2));
    expect(first.headers.link).toMatch(/page=2[^>]*>; rel="next".*page=3[^>]*>; rel="last"/);
    expect(first.data.files).toHaveLength(5);
    expect(third.data.commits.map((commit) => commit.sha)).toEqual(commits.slice(4));
    expect(third.data.files).toEqual([]);
    expect(third.headers.link).toMatch(/rel="prev".*rel="first"/);
    expect(third.headers.link).not.toMatch(/rel="next"/);
  });
});

describe('fake GitHub commits and merges', () => {
  it('shows one commit with parents and the files it changed', async () => {
    const { data } = await octokit.rest.repos.getCommit({ ...repo, ref: 'topic' });

    expect(data.sha).toBe(commits[4]);
    expect(data.parents.map((parent) => parent.sha)).toEqual([commits[3]]);
    expect(data.files?.map((file) => file.filename)).toEqual(['file-5.txt']);
  });

  it('merges server-side: 201 with a two-parent commit moving the base, 204 when contained, 409 on conflict', async () => {
    const before = fake.branchSha('acme/history', 'main');
    const merged = await octokit.rest.repos.merge({ ...repo, base: 'main', head: 'topic', commit_message: 'merge topic' });
    expect(merged.status).toBe(201);
    expect(merged.data.parents.map((parent) => parent.sha)).toEqual([before, commits[4]]);
    expect(fake.branchSha('acme/history', 'main')).toBe(merged.data.sha);

    expect((await octokit.rest.repos.merge({ ...repo, base: 'main', head: commits[2] ?? '' })).status).toBe(204);

    fake.commitToBranch('acme/history', 'left', { 'a.txt': 'left\n' }, 'left');
    fake.commitToBranch('acme/history', 'right', { 'a.txt': 'right\n' }, 'right');
    await expect(octokit.rest.repos.merge({ ...repo, base: 'left', head: 'right' })).rejects.toMatchObject({
      status: 409,
      response: { data: { message: 'Merge conflict' } },
    });
  });
});
