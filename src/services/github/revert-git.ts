// The revert's RevertGitPort (../revert/revert-git-port.ts) on Probot's Octokit: one REST call per method, GitHub's expected failures turned into answers.
import type { Octokit } from './access.ts';
import type { RevertGitPort } from '../revert/revert-git-port.ts';

function status(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
    ? error.status
    : undefined;
}

function githubMessage(error: unknown): string {
  const response = (error as { response?: { data?: unknown } }).response;
  const data = response?.data;
  return typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string'
    ? data.message
    : '';
}

export function octokitRevertPort(octokit: Octokit): RevertGitPort {
  return {
    async getBranchHead({ owner, repo }, branch) {
      try {
        const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
        return {
          sha: data.commit.sha,
          treeSha: data.commit.commit.tree.sha,
          parents: data.commit.parents.map((parent) => parent.sha),
          message: data.commit.commit.message,
        };
      } catch (error) {
        if (status(error) === 404) return null;
        throw error;
      }
    },

    async getCommit({ owner, repo }, sha) {
      const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: sha });
      return { sha: data.sha, treeSha: data.tree.sha, parents: data.parents.map((parent) => parent.sha) };
    },

    async createCommit({ owner, repo }, commit) {
      const { data } = await octokit.rest.git.createCommit({
        owner,
        repo,
        message: commit.message,
        tree: commit.treeSha,
        parents: commit.parents,
      });
      return { sha: data.sha, treeSha: data.tree.sha, parents: data.parents.map((parent) => parent.sha) };
    },

    async createRef({ owner, repo }, branch, sha) {
      try {
        await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
        return 'created';
      } catch (error) {
        if (status(error) === 422 && /already exists/i.test(githubMessage(error))) return 'exists';
        throw error;
      }
    },

    async updateRef({ owner, repo }, branch, sha, { force }) {
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force });
    },

    async deleteRef({ owner, repo }, branch) {
      try {
        await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
      } catch (error) {
        // GitHub answers 422 "Reference does not exist" (sometimes 404) for a branch already gone.
        const code = status(error);
        if (code === 404 || (code === 422 && /does not exist/i.test(githubMessage(error)))) return;
        throw error;
      }
    },

    async mergeBranches({ owner, repo }, { base, head, message }) {
      try {
        const response = await octokit.rest.repos.merge({ owner, repo, base, head, commit_message: message });
        // Octokit's types know only 201, but GitHub answers 204 when the base already contains the head.
        const code: number = response.status;
        if (code === 204) return { kind: 'nothing' };
        const { data } = response;
        return {
          kind: 'merged',
          commit: { sha: data.sha, treeSha: data.commit.tree.sha, parents: data.parents.map((parent) => parent.sha) },
        };
      } catch (error) {
        if (status(error) === 409) return { kind: 'conflict' };
        throw error;
      }
    },
  };
}
