// The narrow GitHub port: what the domain may ask of GitHub, named for intent.
// Services and handlers get these objects from GitHubAccess, never an Octokit;
// production backs them with Probot's Octokit (octokit-port.ts), domain tests
// with an in-memory fake (test/support/fake-github-port.ts). Each method names
// the REST calls it makes. Errors are GitHub's (an HTTP `status`, read by
// access.ts statusOf / isNotFound / isTransientGitHubError) unless a method
// turns an expected one into an answer.
import type { PushCheck } from '../jobs/status-rules.ts';
import type { RevertInput, RevertResult } from '../revert/index.ts';
import type { CheckRunFields } from './check-runs.ts';
import type { HookDelivery } from './hook-deliveries.ts';
import type { BranchPullRead, FullPull, ListedPull, OpenedPull, Repo } from './pull-requests.ts';
import type { RepositoryGuards, RepositoryFacts } from './repository.ts';

export type { BranchPullRead, CheckRunFields, FullPull, HookDelivery, ListedPull, OpenedPull, Repo, RepositoryFacts, RepositoryGuards };

/** A commit as the merge-method reading needs it: its parents, message and author. */
export interface CommitFacts {
  sha: string;
  parents: { sha: string }[];
  message: string;
  author: { name?: string; email?: string; date?: string } | null | undefined;
}

/** Per-call options: a caller's deadline over all of a method's requests. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** GitHub as one installation: everything on the repositories it reaches. */
export interface InstallationGitHub {
  // pull requests (pull-requests.ts)
  /** `GET pulls?head={owner}:{branch}&state=all&per_page=100`: the branch's own PRs (newest first) and forks' */
  readPullRequestForBranch(repo: Repo, branch: string, repositoryId: number | bigint): Promise<BranchPullRead>;
  /** `GET pulls/{n}` */
  readPullRequest(repo: Repo, pullNumber: number): Promise<FullPull>;
  /** `GET pulls?state=open&per_page=100`, all pages */
  listOpenPullRequests(repo: Repo): Promise<ListedPull[]>;
  /** `POST pulls` (not retried); on 422 adopts the PR already open on the head: `GET pulls?head={owner}:{head}&state=open` */
  openPullRequest(repo: Repo, pr: { title: string; head: string; base: string; body: string; maintainerCanModify?: boolean }): Promise<OpenedPull>;
  /** `PATCH pulls/{n}` body */
  updatePullRequestBody(repo: Repo, pullNumber: number, body: string): Promise<FullPull>;
  /** `PATCH pulls/{n}` state=closed (not retried); on 422 `GET pulls/{n}`: merged meanwhile is an answer */
  closePullRequest(repo: Repo, pullNumber: number): Promise<FullPull>;
  /** `POST issues/{n}/comments` (not retried) */
  commentOnPullRequest(repo: Repo, pullNumber: number, body: string): Promise<void>;
  /** `GET issues/{n}/comments`, all pages: is a comment carrying `marker` there? */
  hasCommentWithMarker(repo: Repo, pullNumber: number, marker: string): Promise<boolean>;
  /** `GET pulls/{n}/commits`, all pages (GitHub lists the oldest 250) */
  listPullRequestCommits(repo: Repo, pullNumber: number, options?: CallOptions): Promise<{ sha: string; commit: Omit<CommitFacts, 'sha' | 'parents'> }[]>;
  /** `GET git/commits/{sha}` */
  readCommit(repo: Repo, sha: string, options?: CallOptions): Promise<CommitFacts>;

  // branches and the repository (branches.ts, repository.ts, changed-files.ts)
  /** `GET compare/{base}...{head}` (per_page=1); on 404 `GET branches/{head}`, then `GET /repos/{o}/{r}` (branches.ts checkPushedWork) */
  compareBranch(repo: Repo, base: string, head: string): Promise<PushCheck>;
  /** `GET compare/{base}...{head}` (page 1); at 300 files the two trees (changed-files.ts); null: no such branch */
  listChangedFiles(repo: Repo, base: string, head: string): Promise<string[] | null>;
  /** `GET git/ref/heads/{branch}`: false on 404 */
  branchExists(repo: Repo, branch: string): Promise<boolean>;
  /** `DELETE git/refs/heads/{branch}`; a branch already gone is `missing` */
  deleteBranch(repo: Repo, branch: string): Promise<'deleted' | 'missing'>;
  /** `GET /repos/{o}/{r}` and `GET branches?protected=true` (all pages) */
  readRepositoryGuards(repo: Repo): Promise<RepositoryGuards>;
  /** `GET /repos/{o}/{r}` */
  readRepository(repo: Repo): Promise<RepositoryFacts>;

  // the revert (revert-git.ts, ../revert/create-revert-commit.ts)
  /** the no-clone revert of a merged PR: 4–8 Git Data calls (docs/revert.md) */
  createRevertCommit(input: RevertInput): Promise<RevertResult>;

  // the story check run (check-runs.ts)
  /**
   * `PATCH check-runs/{knownId}`; with no known id, `GET commits/{sha}/check-runs?check_name=Scrum4Me&filter=all`
   * for ours (by external_id: a creation whose answer was lost), then PATCH it or `POST check-runs` (not retried)
   */
  upsertCheckRun(repo: Repo, run: { headSha: string; externalId: string; knownId: number | null }, fields: CheckRunFields): Promise<{ id: number; created: boolean }>;
}

/** GitHub as the app itself (JWT): installations, tokens, the webhook's delivery log. */
export interface AppGitHub {
  /** `GET /repos/{o}/{r}/installation` */
  findRepositoryInstallation(repo: Repo): Promise<{ id: number; accountLogin: string | null }>;
  /** `POST /app/installations/{id}/access_tokens` scoped to one repository and `permissions` */
  createInstallationToken(
    installationId: number,
    repositoryName: string,
    permissions: { contents: 'write' },
  ): Promise<{ token: string; expiresAt: string; permissions: Record<string, string | undefined> | undefined }>;
  /** `GET /app/hook/deliveries` (newest first, pages followed until older than `since`) */
  listHookDeliveriesSince(since: Date): Promise<HookDelivery[]>;
  /** `POST /app/hook/deliveries/{id}/attempts` */
  redeliverHookDelivery(deliveryId: number): Promise<void>;
}
