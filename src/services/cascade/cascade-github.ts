// The GitHub calls of the cascade, one function each, named for intent.
import { statusOf, type Octokit } from '../github/access.ts';

export type Repo = { owner: string; repo: string };

export interface ClosedPull {
  merged: boolean;
  mergeCommitSha: string | null;
  title: string;
  htmlUrl: string;
  headSha: string;
  updatedAt: string;
  mergedAt: string | null;
}

/** PATCH /repos/{o}/{r}/pulls/{n} state=closed. Its answer is a fresh read: a PR merged meanwhile says so. */
export async function closePullRequest(octokit: Octokit, repo: Repo, pullNumber: number): Promise<ClosedPull> {
  let data;
  try {
    data = (await octokit.rest.pulls.update({ ...repo, pull_number: pullNumber, state: 'closed' })).data;
  } catch (error) {
    // should GitHub refuse to close a PR merged meanwhile, read what it is now (GET pulls/{n})
    if (statusOf(error) !== 422) throw error;
    data = (await octokit.rest.pulls.get({ ...repo, pull_number: pullNumber })).data;
    if (!data.merged) throw error;
  }
  return {
    merged: data.merged,
    mergeCommitSha: data.merge_commit_sha,
    title: data.title,
    htmlUrl: data.html_url,
    headSha: data.head.sha,
    updatedAt: data.updated_at,
    mergedAt: data.merged_at,
  };
}

/** POST /repos/{o}/{r}/issues/{n}/comments */
export async function commentOnPullRequest(octokit: Octokit, repo: Repo, pullNumber: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...repo, issue_number: pullNumber, body });
}

/** GET /repos/{o}/{r}/issues/{n}/comments (all pages): only when resuming, to never comment twice. */
export async function hasCommentWithMarker(octokit: Octokit, repo: Repo, pullNumber: number, marker: string): Promise<boolean> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: pullNumber, per_page: 100 });
  return comments.some((c) => c.body?.includes(marker));
}

/** DELETE /repos/{o}/{r}/git/refs/heads/{branch}; a branch already gone is fine. */
export async function deleteBranch(octokit: Octokit, repo: Repo, branch: string): Promise<'deleted' | 'missing'> {
  try {
    await octokit.rest.git.deleteRef({ ...repo, ref: `heads/${branch}` });
    return 'deleted';
  } catch (error) {
    const status = statusOf(error);
    // GitHub answers 422 "Reference does not exist" for a missing ref
    if (status === 404 || (status === 422 && /does not exist/i.test((error as Error).message))) return 'missing';
    throw error;
  }
}

/** GET /repos/{o}/{r} (default branch) and GET /repos/{o}/{r}/branches?protected=true (all pages): the branches never to touch. */
export async function readUntouchableBranches(octokit: Octokit, repo: Repo): Promise<{ defaultBranch: string; protectedBranches: string[] }> {
  const [{ data: repository }, protectedBranches] = await Promise.all([
    octokit.rest.repos.get(repo),
    octokit.paginate(octokit.rest.repos.listBranches, { ...repo, protected: true, per_page: 100 }),
  ]);
  return { defaultBranch: repository.default_branch, protectedBranches: protectedBranches.map((b) => b.name) };
}

/**
 * POST /repos/{o}/{r}/pulls; a 422 for an existing PR on the head (a resumed
 * step) adopts it with GET /repos/{o}/{r}/pulls?head=…
 */
export async function openRevertPullRequest(
  octokit: Octokit,
  repo: Repo,
  pr: { title: string; head: string; base: string; body: string },
): Promise<{ number: number; htmlUrl: string }> {
  try {
    const { data } = await octokit.rest.pulls.create({ ...repo, ...pr, maintainer_can_modify: false });
    return { number: data.number, htmlUrl: data.html_url };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    const { data } = await octokit.rest.pulls.list({ ...repo, head: `${repo.owner}:${pr.head}`, state: 'open', per_page: 1 });
    const existing = data[0];
    if (!existing) throw error;
    return { number: existing.number, htmlUrl: existing.html_url };
  }
}
