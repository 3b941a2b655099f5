// What the fake GitHub remembers besides git objects: repositories, installations, pulls, comments, checks, events.
import type { GitSignature } from './git/objects.ts';
import type { Urls } from './shapes/accounts.ts';
import { redirectedRepo } from './rename.ts';

export interface InstallationRecord {
  id: number;
  account: string;
  createdAt: string;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  /** The request body of `POST /app/installations/{id}/access_tokens`, as sent. */
  request: Record<string, unknown>;
  repositories: string[] | null;
  permissions: Record<string, string>;
  expiresAt: string;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface PullRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  user: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  /** The PR's own commits, frozen when it is merged. */
  mergedCommits: string[] | null;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
}

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  installationId: number;
  gitDir: string;
  createdAt: string;
  protectedBranches: Set<string>;
  pulls: PullRecord[];
  comments: CommentRecord[];
  checkRuns: CheckRunRecord[];
  /** Issues and pull requests share one sequence, as on GitHub. */
  nextNumber: number;
}

/** A webhook GitHub would have sent; shaped like the delivery's payload. */
export interface FakeWebhookEvent {
  name: 'pull_request';
  id: string;
  payload: Record<string, unknown> & { action: string };
}

export interface FakeApp {
  id: number;
  slug: string;
  name: string;
  owner: string;
}

/** A branch was pushed to (`after` set) or deleted (`after` null). */
export type BranchMoveListener = (repo: RepoRecord, branch: string, after: string | null) => void;

export class FakeState {
  readonly repos = new Map<string, RepoRecord>();
  readonly installations = new Map<number, InstallationRecord>();
  readonly tokens = new Map<string, IssuedToken>();
  readonly events: FakeWebhookEvent[] = [];
  private readonly listeners = new Set<(event: FakeWebhookEvent) => void>();
  private readonly branchListeners = new Set<BranchMoveListener>();
  /** Links in webhook payloads and control answers; set once the server listens. */
  urls: Urls = { api: 'http://127.0.0.1', html: 'http://127.0.0.1' };
  private nextId = 1000;
  private tick = 0;

  constructor(
    readonly root: string,
    readonly app: FakeApp,
    private readonly epochMs = Date.UTC(2024, 0, 1),
  ) {}

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  /** A clock that moves one second per reading: commit shas and timestamps stay deterministic and ordered. */
  now(): string {
    this.tick += 1;
    return new Date(this.epochMs + this.tick * 1000).toISOString().replace('.000Z', 'Z');
  }

  signature(name: string, email: string): GitSignature {
    return { name, email, date: this.now() };
  }

  /** The identity GitHub writes with for API calls of the app's installation. */
  botSignature(): GitSignature {
    return this.signature(`${this.app.slug}[bot]`, `${this.app.id}+${this.app.slug}[bot]@users.noreply.github.com`);
  }

  /** The committer of merges made on github.com. */
  webFlowSignature(): GitSignature {
    return this.signature('GitHub', 'noreply@github.com');
  }

  repo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase()) ?? redirectedRepo(this, owner, name);
  }

  emit(event: Omit<FakeWebhookEvent, 'id'>): void {
    const full: FakeWebhookEvent = { ...event, id: `fake-delivery-${this.newId()}` };
    this.events.push(full);
    for (const listener of this.listeners) listener(full);
  }

  onEvent(listener: (event: FakeWebhookEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onBranchMoved(listener: BranchMoveListener): void {
    this.branchListeners.add(listener);
  }

  branchMoved(repo: RepoRecord, branch: string, after: string | null): void {
    for (const listener of this.branchListeners) listener(repo, branch, after);
  }
}
