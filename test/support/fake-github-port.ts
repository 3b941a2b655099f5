// An in-memory GitHub port (src/services/github/port.ts) for domain tests: one
// repository's pull requests, branches, comments and check runs, every call
// recorded with its arguments (what was sent), and failures injected per
// method. No HTTP: for the REST layer itself use the HTTP fake (fake-github/).
import type { GitHubAccess } from '../../src/services/github/access.ts';
import type { AppGitHub, CheckRunFields, FullPull, InstallationGitHub, ListedPull, OpenedPull, Repo } from '../../src/services/github/port.ts';
import type { PushCheck } from '../../src/services/jobs/status-rules.ts';
import type { RevertInput, RevertResult } from '../../src/services/revert/index.ts';

export type PortMethod = keyof InstallationGitHub;

export interface PortCall {
  method: PortMethod;
  args: unknown[];
}

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  /** the head's repository id: another's is a fork's PR */
  headRepoId: number;
  comments: string[];
  updatedAt: number;
}

export interface FakeCheckRun {
  id: number;
  headSha: string;
  externalId: string;
  fields: CheckRunFields;
}

/** An error as Octokit throws it: an HTTP status and GitHub's message. */
export function gitHubError(status: number, message = `GitHub answered ${status}`): Error & { status: number } {
  return Object.assign(new Error(message), { name: 'HttpError', status });
}

export class FakeGitHubPort implements InstallationGitHub {
  readonly calls: PortCall[] = [];
  readonly pulls = new Map<number, FakePull>();
  readonly branches = new Set<string>();
  readonly checkRuns: FakeCheckRun[] = [];
  readonly reverts: RevertInput[] = [];
  /** what createRevertCommit answers next (then `created`) */
  revertResults: RevertResult[] = [];
  pushCheck: PushCheck = { kind: 'pushed', aheadBy: 1 };
  changedFiles: string[] | null = [];
  readonly repository: { id: number; fullName: string; defaultBranch: string; protectedBranches: string[] };
  private readonly failures = new Map<PortMethod, unknown[]>();
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private nextId = 1;

  constructor(options: { fullName?: string; id?: number; defaultBranch?: string; protectedBranches?: string[] } = {}) {
    this.repository = {
      id: options.id ?? 7,
      fullName: options.fullName ?? 'acme/shop',
      defaultBranch: options.defaultBranch ?? 'main',
      protectedBranches: options.protectedBranches ?? [],
    };
  }

  /** The next `times` calls of `method` throw `error` (before any effect). */
  failNext(method: PortMethod, error: unknown, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array<unknown>(times).fill(error)]);
  }

  /** The calls made, by method name, in order. */
  methods(): PortMethod[] {
    return this.calls.map((c) => c.method);
  }

  /** The writes made: what a test usually asserts exactly. */
  writes(): PortCall[] {
    const writes: PortMethod[] = ['openPullRequest', 'updatePullRequestBody', 'closePullRequest', 'commentOnPullRequest', 'deleteBranch', 'createRevertCommit', 'upsertCheckRun'];
    return this.calls.filter((c) => writes.includes(c.method));
  }

  addPull(pull: Partial<FakePull> & { number: number; head: string }): FakePull {
    const full: FakePull = {
      title: `PR ${pull.number}`,
      body: null,
      base: 'main',
      state: 'open',
      merged: false,
      mergeCommitSha: null,
      headRepoId: this.repository.id,
      comments: [],
      updatedAt: this.tick(),
      ...pull,
    };
    this.pulls.set(full.number, full);
    this.branches.add(full.head);
    return full;
  }

  private tick(): number {
    this.clock += 1000;
    return this.clock;
  }

  private call(method: PortMethod, args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.failures.get(method);
    if (queued && queued.length > 0) throw queued.shift();
  }

  private pull(number: number): FakePull {
    const pull = this.pulls.get(number);
    if (!pull) throw gitHubError(404, 'Not Found');
    return pull;
  }

  /** A pull request the way GitHub's REST API shapes it (the fields the app reads). */
  shape(pull: FakePull): FullPull {
    const [owner] = this.repository.fullName.split('/');
    const repo = { id: this.repository.id, full_name: this.repository.fullName, updated_at: null };
    const headRepo = pull.headRepoId === this.repository.id ? repo : { id: pull.headRepoId, full_name: `fork-${pull.headRepoId}/${this.repository.fullName.split('/')[1]}`, updated_at: null };
    const at = new Date(pull.updatedAt).toISOString();
    return {
      id: 1000 + pull.number,
      number: pull.number,
      title: pull.title,
      body: pull.body,
      html_url: `https://github.com/${this.repository.fullName}/pull/${pull.number}`,
      state: pull.state,
      merged: pull.merged,
      merged_at: pull.merged ? at : null,
      closed_at: pull.state === 'closed' ? at : null,
      merge_commit_sha: pull.mergeCommitSha,
      updated_at: at,
      head: { ref: pull.head, sha: `${pull.number}`.padStart(40, 'a'), repo: headRepo, label: `${owner}:${pull.head}` },
      base: { ref: pull.base, sha: 'b'.repeat(40), repo },
    } as unknown as FullPull;
  }

  async readPullRequestForBranch(repo: Repo, branch: string, repositoryId: number | bigint) {
    this.call('readPullRequestForBranch', [repo, branch, repositoryId]);
    const onBranch = [...this.pulls.values()].filter((p) => p.head === branch).sort((a, b) => b.number - a.number);
    const own = (p: FakePull) => BigInt(p.headRepoId) === BigInt(repositoryId);
    const listed = (p: FakePull) => this.shape(p) as unknown as ListedPull;
    return { pulls: onBranch.filter(own).map(listed), foreign: onBranch.filter((p) => !own(p)).map(listed) };
  }

  async readPullRequest(repo: Repo, pullNumber: number) {
    this.call('readPullRequest', [repo, pullNumber]);
    return this.shape(this.pull(pullNumber));
  }

  async listOpenPullRequests(repo: Repo) {
    this.call('listOpenPullRequests', [repo]);
    return [...this.pulls.values()].filter((p) => p.state === 'open').map((p) => this.shape(p) as unknown as ListedPull);
  }

  async openPullRequest(repo: Repo, pr: { title: string; head: string; base: string; body: string; maintainerCanModify?: boolean }): Promise<OpenedPull> {
    this.call('openPullRequest', [repo, pr]);
    const open = [...this.pulls.values()].find((p) => p.head === pr.head && p.state === 'open');
    if (open) return { kind: 'adopted', pull: this.shape(open) as unknown as ListedPull };
    const number = Math.max(0, ...this.pulls.keys()) + 1;
    return { kind: 'opened', pull: this.shape(this.addPull({ number, head: pr.head, base: pr.base, title: pr.title, body: pr.body })) };
  }

  async updatePullRequestBody(repo: Repo, pullNumber: number, body: string) {
    this.call('updatePullRequestBody', [repo, pullNumber, body]);
    const pull = this.pull(pullNumber);
    Object.assign(pull, { body, updatedAt: this.tick() });
    return this.shape(pull);
  }

  async closePullRequest(repo: Repo, pullNumber: number) {
    this.call('closePullRequest', [repo, pullNumber]);
    const pull = this.pull(pullNumber);
    if (!pull.merged) Object.assign(pull, { state: 'closed', updatedAt: this.tick() });
    return this.shape(pull);
  }

  async commentOnPullRequest(repo: Repo, pullNumber: number, body: string) {
    this.call('commentOnPullRequest', [repo, pullNumber, body]);
    this.pull(pullNumber).comments.push(body);
  }

  async hasCommentWithMarker(repo: Repo, pullNumber: number, marker: string) {
    this.call('hasCommentWithMarker', [repo, pullNumber, marker]);
    return this.pull(pullNumber).comments.some((c) => c.includes(marker));
  }

  async listPullRequestCommits(repo: Repo, pullNumber: number): Promise<never[]> {
    this.call('listPullRequestCommits', [repo, pullNumber]);
    return [];
  }

  async readCommit(repo: Repo, sha: string) {
    this.call('readCommit', [repo, sha]);
    // a merge commit: two parents (the merge-method reading answers MERGE)
    return { sha, parents: [{ sha: 'p'.repeat(40) }, { sha: 'q'.repeat(40) }], message: 'Merge', author: null };
  }

  async compareBranch(repo: Repo, base: string, head: string) {
    this.call('compareBranch', [repo, base, head]);
    return this.pushCheck;
  }

  async listChangedFiles(repo: Repo, base: string, head: string) {
    this.call('listChangedFiles', [repo, base, head]);
    return this.changedFiles;
  }

  async branchExists(repo: Repo, branch: string) {
    this.call('branchExists', [repo, branch]);
    return this.branches.has(branch);
  }

  async deleteBranch(repo: Repo, branch: string) {
    this.call('deleteBranch', [repo, branch]);
    return this.branches.delete(branch) ? ('deleted' as const) : ('missing' as const);
  }

  async readRepositoryGuards(repo: Repo) {
    this.call('readRepositoryGuards', [repo]);
    const { id, fullName, defaultBranch, protectedBranches } = this.repository;
    return { id, fullName, defaultBranch, protectedBranches: [...protectedBranches] };
  }

  async readRepository(repo: Repo) {
    this.call('readRepository', [repo]);
    const { id, fullName, defaultBranch } = this.repository;
    return { id, fullName, defaultBranch, updatedAt: null };
  }

  async createRevertCommit(input: RevertInput): Promise<RevertResult> {
    this.call('createRevertCommit', [input]);
    this.reverts.push(input);
    const result = this.revertResults.shift() ?? { kind: 'created', commitSha: 'r'.repeat(40), treeSha: 't'.repeat(40), reused: false };
    if (result.kind === 'created') this.branches.add(input.revertBranch);
    return result;
  }

  async upsertCheckRun(repo: Repo, run: { headSha: string; externalId: string; knownId: number | null }, fields: CheckRunFields) {
    this.call('upsertCheckRun', [repo, run, fields]);
    const known =
      run.knownId !== null
        ? this.checkRuns.find((r) => r.id === run.knownId)
        : this.checkRuns.filter((r) => r.headSha === run.headSha && r.externalId === run.externalId).sort((a, b) => b.id - a.id)[0];
    if (run.knownId !== null && !known) throw gitHubError(404, 'Not Found');
    if (known) {
      known.fields = { ...known.fields, ...fields };
      return { id: known.id, created: false };
    }
    const created = { id: this.nextId++, headSha: run.headSha, externalId: run.externalId, fields };
    this.checkRuns.push(created);
    return { id: created.id, created: true };
  }
}

/** GitHubAccess whose every installation is `port`; the app side refuses (tests that need it bring their own). */
export function fakeGitHubAccess(port: InstallationGitHub, app?: AppGitHub): GitHubAccess {
  return {
    app: async () => {
      if (!app) throw new Error('no app-level GitHub in this test');
      return app;
    },
    installation: async () => port,
  };
}
