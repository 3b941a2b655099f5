// The fake GitHub as tests use it: start it, set up repositories, act as people, read the call log.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { branchTip, pushFiles } from './branches.ts';
import { runGitAnywhere } from './git/cli.ts';
import { readCommit, type CommitObject, type GitSignature } from './git/objects.ts';
import { mergePullRequest, type MergeOutcome } from './merge-pull.ts';
import { closePull, createPull, pullJsonNow, watchPullHeads } from './pull-requests.ts';
import { renameRepo, type RenamedRepo, type RenameRepoOptions } from './rename.ts';
import { transferRepo, type TransferredRepo } from './transfer.ts';
import type { Route } from './router.ts';
import { appRoutes } from './routes/apps.ts';
import { branchRoutes } from './routes/branches.ts';
import { checkRoutes } from './routes/checks.ts';
import { commitRoutes } from './routes/commits.ts';
import { gitDataRoutes } from './routes/git-data.ts';
import { issueRoutes } from './routes/issues.ts';
import { pullRoutes } from './routes/pulls.ts';
import { FakeHttpServer, type CallRecord } from './server.ts';
import {
  FakeState,
  type CheckRunRecord,
  type CommentRecord,
  type FakeApp,
  type FakeWebhookEvent,
  type IssuedToken,
  type MergeMethod,
  type RepoRecord,
} from './state.ts';

// Order matters where templates overlap: `commits/{ref}/check-runs` before `commits/{ref}`,
// `branches/{branch}/protection` before `branches/{branch}`.
const ROUTES: readonly Route[] = [...checkRoutes, ...appRoutes, ...gitDataRoutes, ...commitRoutes, ...branchRoutes, ...pullRoutes, ...issueRoutes];

export interface StartFakeGitHubOptions {
  app?: Partial<FakeApp>;
  /** Added to every call, in milliseconds. */
  latencyMs?: number;
}

export interface CreateRepoOptions {
  defaultBranch?: string;
  /** Files of the first commit (path → content); none leaves the repository empty. */
  files?: Record<string, string>;
  private?: boolean;
  /** The owner's installation id (default: one per owner, created on first use). */
  installationId?: number;
}

export interface CreatedRepo {
  fullName: string;
  installationId: number;
  defaultBranch: string;
  /** The bare repository, for cloning in tests. */
  gitDir: string;
  /** The first commit, null for an empty repository. */
  headSha: string | null;
}

export interface OpenPullOptions {
  head: string;
  base?: string;
  title: string;
  body?: string;
  user?: string;
  draft?: boolean;
}

export interface MergePullOptions {
  method?: MergeMethod;
  by?: string;
  commitTitle?: string;
  commitMessage?: string;
}

export async function startFakeGitHub(options: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  const fake = new FakeGitHub(options);
  await fake.start();
  return fake;
}

export class FakeGitHub {
  private readonly state: FakeState;
  private readonly http: FakeHttpServer;
  private origin = '';

  constructor(options: StartFakeGitHubOptions = {}) {
    const root = mkdtempSync(join(tmpdir(), 'fake-github-'));
    this.state = new FakeState(root, { id: 4242, slug: 'scrum4me', name: 'Scrum4Me', owner: 'scrum4me', ...options.app });
    this.http = new FakeHttpServer(this.state, ROUTES);
    this.http.latencyMs = options.latencyMs ?? 0;
    watchPullHeads(this.state);
  }

  async start(): Promise<void> {
    this.origin = await this.http.listen();
    this.state.urls = { api: this.origin, html: this.origin };
  }

  /** `http://127.0.0.1:<port>`: Octokit's `baseUrl` as for api.github.com. */
  get url(): string {
    return this.origin;
  }

  /** `http://127.0.0.1:<port>/api/v3`: what Probot builds from GHE_HOST and GHE_PROTOCOL=http. */
  get enterpriseUrl(): string {
    return `${this.origin}/api/v3`;
  }

  /** For GHE_HOST. */
  get host(): string {
    return this.origin.replace(/^https?:\/\//, '');
  }

  get app(): FakeApp {
    return this.state.app;
  }

  // --- call log, faults, latency ---------------------------------------------------

  get calls(): readonly CallRecord[] {
    return this.http.calls;
  }

  /** The log as `METHOD route` lines (`GET /repos/{owner}/{repo}/git/ref/{ref}`), for asserting API economy. */
  callRoutes(): string[] {
    return this.http.calls.map((call) => call.route ?? `${call.method} ${call.path}`);
  }

  clearCalls(): void {
    this.http.calls.length = 0;
  }

  get faults() {
    return this.http.faults;
  }

  set latencyMs(ms: number) {
    this.http.latencyMs = ms;
  }

  get latencyMs(): number {
    return this.http.latencyMs;
  }

  // --- webhooks and tokens ---------------------------------------------------------

  get events(): readonly FakeWebhookEvent[] {
    return this.state.events;
  }

  /** Called with every webhook GitHub would send (pull_request opened/closed/reopened/synchronize/edited). */
  onEvent(listener: (event: FakeWebhookEvent) => void): () => void {
    return this.state.onEvent(listener);
  }

  /** Installation tokens handed out, with the request body each was asked with. */
  tokens(): IssuedToken[] {
    return [...this.state.tokens.values()];
  }

  // --- repositories ----------------------------------------------------------------

  createRepo(fullName: string, options: CreateRepoOptions = {}): CreatedRepo {
    const [owner = '', name = ''] = fullName.split('/');
    if (!owner || !name) throw new Error(`repository name must be owner/name: ${fullName}`);
    if (this.state.repo(owner, name)) throw new Error(`repository ${fullName} exists`);
    const defaultBranch = options.defaultBranch ?? 'main';
    const installationId = options.installationId ?? this.installationFor(owner);
    if (!this.state.installations.has(installationId)) {
      this.state.installations.set(installationId, { id: installationId, account: owner, createdAt: this.state.now() });
    }
    const gitDir = join(this.state.root, owner, `${name}.git`);
    mkdirSync(join(this.state.root, owner), { recursive: true });
    runGitAnywhere(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, gitDir], this.state.root);
    const repo: RepoRecord = {
      id: this.state.newId(),
      owner,
      name,
      fullName: `${owner}/${name}`,
      defaultBranch,
      private: options.private ?? false,
      installationId,
      gitDir,
      createdAt: this.state.now(),
      protectedBranches: new Set(),
      pulls: [],
      comments: [],
      checkRuns: [],
      nextNumber: 1,
    };
    this.state.repos.set(repo.fullName.toLowerCase(), repo);
    const files = options.files ?? { 'README.md': `# ${name}\n` };
    const headSha =
      Object.keys(files).length === 0
        ? null
        : pushFiles(this.state, repo, { branch: defaultBranch, files, message: 'Initial commit' });
    return { fullName: repo.fullName, installationId, defaultBranch, gitDir, headSha };
  }

  installationFor(owner: string): number {
    for (const installation of this.state.installations.values()) {
      if (installation.account.toLowerCase() === owner.toLowerCase()) return installation.id;
    }
    return this.state.newId();
  }

  gitDir(fullName: string): string {
    return this.repoRecord(fullName).gitDir;
  }

  branchSha(fullName: string, branch: string): string | null {
    return branchTip(this.repoRecord(fullName), branch);
  }

  readCommit(fullName: string, sha: string): CommitObject {
    const commit = readCommit(this.gitDir(fullName), sha);
    if (!commit) throw new Error(`no commit ${sha} in ${fullName}`);
    return commit;
  }

  /**
   * A real commit pushed to `branch` (created from `from`, default the default branch,
   * when missing), as an agent's push; open PRs on it get `synchronize`. Null deletes a file.
   */
  commitToBranch(
    fullName: string,
    branch: string,
    files: Record<string, string | null>,
    message: string,
    options: { from?: string; author?: GitSignature } = {},
  ): string {
    return pushFiles(this.state, this.repoRecord(fullName), { branch, files, message, ...options });
  }

  /** The owner renaming the repository: same id, new name in every answer; the old name redirects unless told not to. */
  renameRepo(fullName: string, newName: string, options: RenameRepoOptions = {}): RenamedRepo {
    return renameRepo(this.state, this.repoRecord(fullName), newName, options);
  }

  /**
   * The owner transferring the repository to `newOwner`: same id, new owner and
   * full name in every answer, the new owner's installation (created when it has
   * none); the old name stops resolving.
   */
  transferRepo(fullName: string, newOwner: string, options: { installationId?: number } = {}): TransferredRepo {
    return transferRepo(this.state, this.repoRecord(fullName), newOwner, options.installationId ?? this.installationFor(newOwner));
  }

  /** The repository's GitHub id (stays across renames). */
  repoId(fullName: string): number {
    return this.repoRecord(fullName).id;
  }

  protectBranch(fullName: string, branch: string): void {
    this.repoRecord(fullName).protectedBranches.add(branch);
  }

  unprotectBranch(fullName: string, branch: string): void {
    this.repoRecord(fullName).protectedBranches.delete(branch);
  }

  // --- people acting on pull requests ----------------------------------------------

  openPull(fullName: string, options: OpenPullOptions): number {
    const repo = this.repoRecord(fullName);
    return createPull(this.state, repo, {
      head: options.head,
      base: options.base ?? repo.defaultBranch,
      title: options.title,
      body: options.body ?? null,
      draft: options.draft ?? false,
      user: options.user ?? 'octocat',
    }).number;
  }

  /** A person merging on github.com, with real git (merge commit, squash, or rebase). */
  mergePull(fullName: string, number: number, options: MergePullOptions = {}): MergeOutcome {
    const repo = this.repoRecord(fullName);
    return mergePullRequest(this.state, repo, this.pullRecord(repo, number), {
      method: options.method ?? 'merge',
      by: options.by ?? 'octocat',
      ...(options.commitTitle === undefined ? {} : { commitTitle: options.commitTitle }),
      ...(options.commitMessage === undefined ? {} : { commitMessage: options.commitMessage }),
    });
  }

  closePull(fullName: string, number: number, by = 'octocat'): void {
    const repo = this.repoRecord(fullName);
    closePull(this.state, repo, this.pullRecord(repo, number), by);
  }

  /** The PR as `GET /repos/{o}/{r}/pulls/{n}` would answer now. */
  pull(fullName: string, number: number) {
    const repo = this.repoRecord(fullName);
    return pullJsonNow(this.state.urls, repo, this.pullRecord(repo, number));
  }

  pullNumbers(fullName: string): number[] {
    return this.repoRecord(fullName).pulls.map((pr) => pr.number);
  }

  comments(fullName: string, number: number): CommentRecord[] {
    return this.repoRecord(fullName).comments.filter((comment) => comment.issueNumber === number);
  }

  checkRuns(fullName: string): CheckRunRecord[] {
    return [...this.repoRecord(fullName).checkRuns];
  }

  async close(): Promise<void> {
    await this.http.close();
    rmSync(this.state.root, { recursive: true, force: true });
  }

  private repoRecord(fullName: string): RepoRecord {
    const [owner = '', name = ''] = fullName.split('/');
    const repo = this.state.repo(owner, name);
    if (!repo) throw new Error(`no repository ${fullName} in the fake GitHub`);
    return repo;
  }

  private pullRecord(repo: RepoRecord, number: number) {
    const pr = repo.pulls.find((candidate) => candidate.number === number);
    if (!pr) throw new Error(`no pull request #${number} in ${repo.fullName}`);
    return pr;
  }
}
