// Branch questions asked of GitHub on an agent's behalf.
import type { PushCheck } from '../jobs/status-rules.ts';
import { statusOf, type Octokit } from './access.ts';

/**
 * S6: is there work on `head` that `base` lacks? One call:
 * GET /repos/{o}/{r}/compare/{base}...{head} (per_page=1: only the counts matter).
 */
export async function checkPushedWork(octokit: Octokit, repo: { owner: string; repo: string }, base: string, head: string): Promise<PushCheck> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${base}...${head}`,
      per_page: 1,
    });
    return data.ahead_by > 0 ? { kind: 'pushed', aheadBy: data.ahead_by } : { kind: 'no_changes' };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) return { kind: 'failed', reason: 'branch-missing', detail: `branch ${head} not found on ${repo.owner}/${repo.repo}` };
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'failed', reason: status ? `github-${status}` : 'github-unreachable', detail: message };
  }
}

export function splitRepo(fullName: string): { owner: string; repo: string } {
  const [owner, repo] = fullName.split('/') as [string, string];
  return { owner, repo };
}
