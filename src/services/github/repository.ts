// A repository and its branches on GitHub, as the cascade and product binding
// ask of them; one function each, naming its REST call.
import { statusOf, type Octokit } from './access.ts';
import type { Repo } from './pull-requests.ts';

/** `DELETE /repos/{o}/{r}/git/refs/heads/{branch}`; a branch already gone is fine (an earlier attempt, or a person). */
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

/** `GET /repos/{o}/{r}/git/ref/heads/{branch}`: does the branch exist (404: no)? */
export async function branchExists(octokit: Octokit, repo: Repo, branch: string): Promise<boolean> {
  try {
    await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

export interface RepositoryGuards {
  /** the repository's GitHub id: what the name answers for now */
  id: number;
  fullName: string;
  defaultBranch: string;
  protectedBranches: string[];
}

/**
 * What the cascade must never touch, read once per run: `GET /repos/{o}/{r}`
 * (its id and default branch) and `GET /repos/{o}/{r}/branches?protected=true`
 * (all pages).
 */
export async function readRepositoryGuards(octokit: Octokit, repo: Repo): Promise<RepositoryGuards> {
  const [{ data: repository }, protectedBranches] = await Promise.all([
    octokit.rest.repos.get(repo),
    octokit.paginate(octokit.rest.repos.listBranches, { ...repo, protected: true, per_page: 100 }),
  ]);
  return { id: repository.id, fullName: repository.full_name, defaultBranch: repository.default_branch, protectedBranches: protectedBranches.map((b) => b.name) };
}

export interface RepositoryFacts {
  id: number;
  fullName: string;
  defaultBranch: string;
  /** GitHub's updated_at: how fresh the name is */
  updatedAt: string | null;
}

/** `GET /repos/{o}/{r}` (a renamed repository redirects: the name given back may differ). */
export async function readRepository(octokit: Octokit, repo: Repo): Promise<RepositoryFacts> {
  const { data } = await octokit.rest.repos.get(repo);
  return { id: data.id, fullName: data.full_name, defaultBranch: data.default_branch, updatedAt: data.updated_at ?? null };
}
