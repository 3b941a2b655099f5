// The GitHub port (port.ts) on Probot's Octokit: each method is the function
// of the same intent in this folder, bound to one authenticated client.
import { createRevertCommit } from '../revert/index.ts';
import type { Octokit } from './access.ts';
import { checkPushedWork } from './branches.ts';
import { listChangedFiles } from './changed-files.ts';
import { upsertCheckRun } from './check-runs.ts';
import { listPullRequestCommits, readCommit } from './commits.ts';
import { listHookDeliveriesSince, redeliverHookDelivery } from './hook-deliveries.ts';
import type { AppGitHub, InstallationGitHub } from './port.ts';
import {
  closePullRequest,
  commentOnPullRequest,
  hasCommentWithMarker,
  listOpenPullRequests,
  openPullRequest,
  readPullRequest,
  readPullRequestForBranch,
  updatePullRequestBody,
} from './pull-requests.ts';
import { branchExists, deleteBranch, readRepository, readRepositoryGuards } from './repository.ts';
import { octokitRevertPort } from './revert-git.ts';

export function octokitInstallationGitHub(octokit: Octokit): InstallationGitHub {
  return {
    readPullRequestForBranch: (repo, branch, repositoryId) => readPullRequestForBranch(octokit, repo, branch, repositoryId),
    readPullRequest: (repo, pullNumber) => readPullRequest(octokit, repo, pullNumber),
    listOpenPullRequests: (repo) => listOpenPullRequests(octokit, repo),
    openPullRequest: (repo, pr) => openPullRequest(octokit, repo, pr),
    updatePullRequestBody: (repo, pullNumber, body) => updatePullRequestBody(octokit, repo, pullNumber, body),
    closePullRequest: (repo, pullNumber) => closePullRequest(octokit, repo, pullNumber),
    commentOnPullRequest: (repo, pullNumber, body) => commentOnPullRequest(octokit, repo, pullNumber, body),
    hasCommentWithMarker: (repo, pullNumber, marker) => hasCommentWithMarker(octokit, repo, pullNumber, marker),
    listPullRequestCommits: (repo, pullNumber, options) => listPullRequestCommits(octokit, repo, pullNumber, options),
    readCommit: (repo, sha, options) => readCommit(octokit, repo, sha, options),
    compareBranch: (repo, base, head) => checkPushedWork(octokit, repo, base, head),
    listChangedFiles: (repo, base, head) => listChangedFiles(octokit, repo, base, head),
    branchExists: (repo, branch) => branchExists(octokit, repo, branch),
    deleteBranch: (repo, branch) => deleteBranch(octokit, repo, branch),
    readRepositoryGuards: (repo) => readRepositoryGuards(octokit, repo),
    readRepository: (repo) => readRepository(octokit, repo),
    createRevertCommit: (input) => createRevertCommit(octokitRevertPort(octokit), input),
    upsertCheckRun: (repo, run, fields) => upsertCheckRun(octokit, repo, run, fields),
  };
}

export function octokitAppGitHub(octokit: Octokit): AppGitHub {
  return {
    async findRepositoryInstallation(repo) {
      const { data } = await octokit.rest.apps.getRepoInstallation(repo);
      const account = data.account as { login?: string } | null;
      return { id: data.id, accountLogin: account?.login ?? null };
    },
    async createInstallationToken(installationId, repositoryName, permissions) {
      const { data } = await octokit.rest.apps.createInstallationAccessToken({ installation_id: installationId, repositories: [repositoryName], permissions });
      return { token: data.token, expiresAt: data.expires_at, permissions: data.permissions as Record<string, string | undefined> | undefined };
    },
    listHookDeliveriesSince: (since) => listHookDeliveriesSince(octokit, since),
    redeliverHookDelivery: (deliveryId) => redeliverHookDelivery(octokit, deliveryId),
  };
}
