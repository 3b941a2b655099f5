// Branch questions asked of GitHub on an agent's behalf.
import { DomainError } from '../errors.ts';
import { GitHubAccessLost, githubAccessProblem, type ProductAccessFacts } from '../installations/github-access.ts';
import type { PushCheck } from '../jobs/status-rules.ts';
import { githubFailure, installationRetryAfterSeconds, isNotFound, type GitHubAccess, type Octokit } from './access.ts';
import { answerNow } from './request-timeout.ts';

type Repo = { owner: string; repo: string };

/**
 * S6, the push check of a task's `done`: is there work on the story branch that
 * the product's base lacks? Only a branch GitHub says does not exist is a
 * failure of the job (`failed`, which fails it and starts the cascade). Anything
 * else that keeps GitHub from answering throws, and the status call writes nothing:
 * - the installation is gone, or lost the repository (known from webhooks, or
 *   GitHub answers 404 for the repository itself) → 422 APP_NOT_INSTALLED;
 * - the installation is suspended, GitHub times out, answers 5xx, rate-limits
 *   or refuses the token → 503 GITHUB_UNAVAILABLE with a Retry-After.
 */
export async function checkStoryBranchPushed(github: GitHubAccess, product: ProductAccessFacts & { base_branch: string }, branch: string): Promise<PushCheck> {
  const problem = githubAccessProblem(product);
  if (problem) {
    const { installation } = product;
    const onlySuspended = installation !== null && installation.suspended_at !== null && installation.deleted_at === null && product.repo_removed_at === null;
    if (onlySuspended) throw new DomainError('GITHUB_UNAVAILABLE', `${problem}; nothing was written`, undefined, { retryAfterSeconds: installationRetryAfterSeconds });
    throw new GitHubAccessLost(`${problem}; nothing was written`);
  }
  const what = `checking the push of ${branch} on ${product.repo}`;
  try {
    const installation = await github.installation(product.installation_id!);
    return await installation.compareBranch(splitRepo(product.repo), product.base_branch, branch);
  } catch (error) {
    throw githubFailure(error, what);
  }
}

/**
 * Is there work on `head` that `base` lacks? One call when the branch is there:
 * GET /repos/{o}/{r}/compare/{base}...{head} (per_page=1: only the counts matter).
 *
 * GitHub answers that compare with the same 404 whether the branch is missing,
 * the base is missing or the repository is out of the installation's reach, so
 * a 404 is told apart by asking again, only then:
 * GET /repos/{o}/{r}/branches/{head} — there: the compare failed for the base
 * (missing, or no common history), not the agent's branch → 503 naming the base;
 * missing: GET /repos/{o}/{r} — there: the branch really is missing (`failed`);
 * 404: the installation lost the repository → 422 APP_NOT_INSTALLED.
 * Each call is one attempt (answerNow): the agent is waiting, and comes back
 * after Retry-After.
 */
export async function checkPushedWork(octokit: Octokit, repo: Repo, base: string, head: string): Promise<PushCheck> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}`, per_page: 1, request: answerNow });
    return data.ahead_by > 0 ? { kind: 'pushed', aheadBy: data.ahead_by } : { kind: 'no_changes' };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const fullName = `${repo.owner}/${repo.repo}`;
  if (await answersFound(() => octokit.rest.repos.getBranch({ ...repo, branch: head, request: answerNow }))) {
    throw new DomainError(
      'GITHUB_UNAVAILABLE',
      `GitHub cannot compare ${head} with the base branch ${base} of ${fullName} (is ${base} missing, or do they share no history?); nothing was written`,
      undefined,
      { retryAfterSeconds: installationRetryAfterSeconds },
    );
  }
  if (!(await answersFound(() => octokit.rest.repos.get({ ...repo, request: answerNow })))) {
    throw new GitHubAccessLost(`the Scrum4Me app's installation cannot reach ${fullName} any more (GitHub answers 404 for it): add the repository to the installation again; nothing was written`);
  }
  return { kind: 'failed', reason: 'branch-missing', detail: `branch ${head} not found on ${fullName}` };
}

/** true for an answer, false for a 404; any other failure is thrown. */
async function answersFound(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export function splitRepo(fullName: string): Repo {
  const [owner, repo] = fullName.split('/') as [string, string];
  return { owner, repo };
}
