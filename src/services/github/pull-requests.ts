// Pull requests on GitHub, one function per intent, each naming the REST calls
// it makes. The writes here are not idempotent on GitHub's side (a comment
// sent twice is two comments; a PR created twice is refused or doubled), so
// none of them is retried by Octokit's retry plugin (`retries: 0`): a write
// whose answer was lost is thrown to the caller, which re-reads GitHub before
// it writes again (SPEC §6: "after an answer was lost the app re-reads before
// it writes again"). Rate-limit answers are still retried by the throttling
// plugin: GitHub did not carry those requests out.
import { statusOf, type Octokit } from './access.ts';

export type Repo = { owner: string; repo: string };

export type ListedPull = Awaited<ReturnType<Octokit['rest']['pulls']['list']>>['data'][number];
export type FullPull = Awaited<ReturnType<Octokit['rest']['pulls']['get']>>['data'];

/** Per-request options: no retry by plugin-retry (see the module comment). */
const once = { request: { retries: 0 } } as const;

export interface BranchPullRead {
  /** The PRs whose head is `branch` in the repository itself, any state, newest first. */
  pulls: ListedPull[];
  /** PRs on a branch of that name whose head is in another repository (a fork), never ours to touch. */
  foreign: ListedPull[];
}

/**
 * What GitHub says now of the pull requests whose head is `branch`, in any
 * state: `GET /repos/{o}/{r}/pulls?head={owner}:{branch}&state=all&per_page=100`,
 * one call, one page (newest first; a branch with more than 100 PRs has its
 * 100 newest looked at). A PR is the repository's own when its head and base
 * repositories are the repository itself, compared by GitHub id
 * (`repositoryId`: names change on rename, ids do not).
 */
export async function readPullRequestForBranch(octokit: Octokit, repo: Repo, branch: string, repositoryId: number | bigint): Promise<BranchPullRead> {
  const { data } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${branch}`, state: 'all', sort: 'created', direction: 'desc', per_page: 100 });
  const onBranch = data.filter((pull) => pull.head.ref === branch);
  const id = BigInt(repositoryId);
  // a deleted fork's PR has no head repository
  const own = (pull: ListedPull) => pull.head.repo !== null && BigInt(pull.head.repo.id) === id && BigInt(pull.base.repo.id) === id;
  return { pulls: onBranch.filter(own).sort((a, b) => b.number - a.number), foreign: onBranch.filter((pull) => !own(pull)) };
}

/**
 * `PATCH /repos/{o}/{r}/pulls/{n}` state=closed. Its answer is a fresh read: a PR
 * merged meanwhile says so (`merged`). Should GitHub refuse to close a PR merged
 * meanwhile (422), `GET /repos/{o}/{r}/pulls/{n}` tells what it is now.
 */
export async function closePullRequest(octokit: Octokit, repo: Repo, pullNumber: number): Promise<FullPull> {
  try {
    return (await octokit.rest.pulls.update({ ...repo, pull_number: pullNumber, state: 'closed', ...once })).data;
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pullNumber });
    if (!data.merged) throw error;
    return data;
  }
}

/** `POST /repos/{o}/{r}/issues/{n}/comments` (not retried: a lost answer may be a written comment). */
export async function commentOnPullRequest(octokit: Octokit, repo: Repo, pullNumber: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...repo, issue_number: pullNumber, body, ...once });
}

/** `GET /repos/{o}/{r}/issues/{n}/comments` (all pages, 100 a page): is a comment carrying `marker` there? */
export async function hasCommentWithMarker(octokit: Octokit, repo: Repo, pullNumber: number, marker: string): Promise<boolean> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: pullNumber, per_page: 100 });
  return comments.some((comment) => comment.body?.includes(marker));
}

export type OpenedPull = { kind: 'opened'; pull: FullPull } | { kind: 'adopted'; pull: ListedPull };

/**
 * `POST /repos/{o}/{r}/pulls` (not retried). A 422 because a PR on that head is
 * open already (an earlier attempt whose answer was lost, a sibling, a person)
 * adopts it: `GET /repos/{o}/{r}/pulls?head={owner}:{head}&state=open&per_page=1`.
 */
export async function openPullRequest(
  octokit: Octokit,
  repo: Repo,
  pr: { title: string; head: string; base: string; body: string; maintainerCanModify?: boolean },
): Promise<OpenedPull> {
  const { maintainerCanModify, ...fields } = pr;
  try {
    const { data } = await octokit.rest.pulls.create({ ...repo, ...fields, ...(maintainerCanModify === undefined ? {} : { maintainer_can_modify: maintainerCanModify }), ...once });
    return { kind: 'opened', pull: data };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    const { data } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${pr.head}`, state: 'open', per_page: 1 });
    const existing = data[0];
    if (!existing) throw error;
    return { kind: 'adopted', pull: existing };
  }
}

/** `PATCH /repos/{o}/{r}/pulls/{n}` with a new body (idempotent: retried as usual). */
export async function updatePullRequestBody(octokit: Octokit, repo: Repo, pullNumber: number, body: string): Promise<FullPull> {
  return (await octokit.rest.pulls.update({ ...repo, pull_number: pullNumber, body })).data;
}

/** `GET /repos/{o}/{r}/pulls?state=open&per_page=100`, all pages. */
export async function listOpenPullRequests(octokit: Octokit, repo: Repo): Promise<ListedPull[]> {
  return octokit.paginate(octokit.rest.pulls.list, { ...repo, state: 'open', per_page: 100 });
}

/** `GET /repos/{o}/{r}/pulls/{n}`: one PR as it is now. */
export async function readPullRequest(octokit: Octokit, repo: Repo, pullNumber: number): Promise<FullPull> {
  return (await octokit.rest.pulls.get({ ...repo, pull_number: pullNumber })).data;
}
