// Commits on GitHub as the merge-method reading needs them (../pull-requests/merge-method.ts).
import type { Octokit } from './access.ts';
import type { CallOptions, CommitFacts } from './port.ts';
import type { Repo } from './pull-requests.ts';

const withSignal = (options: CallOptions) => (options.signal ? { request: { signal: options.signal } } : {});

/** `GET /repos/{o}/{r}/git/commits/{sha}` */
export async function readCommit(octokit: Octokit, repo: Repo, sha: string, options: CallOptions = {}): Promise<CommitFacts> {
  const { data } = await octokit.rest.git.getCommit({ ...repo, commit_sha: sha, ...withSignal(options) });
  return { sha: data.sha, parents: data.parents.map((p) => ({ sha: p.sha })), message: data.message, author: data.author };
}

/** `GET /repos/{o}/{r}/pulls/{n}/commits?per_page=100`, all pages (GitHub lists at most the oldest 250). */
export async function listPullRequestCommits(octokit: Octokit, repo: Repo, pullNumber: number, options: CallOptions = {}) {
  const commits = await octokit.paginate(octokit.rest.pulls.listCommits, { ...repo, pull_number: pullNumber, per_page: 100, ...withSignal(options) });
  return commits.map((c) => ({ sha: c.sha, commit: { message: c.commit.message, author: c.commit.author } }));
}
