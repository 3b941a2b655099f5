// Webhook deliveries for tests: fixture payloads adapted to a test world, sent
// signed through the app's real HTTP path, and the GitHub reads a merged PR needs.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import type { TestApp } from '../support/app.ts';
import { webhookSecret } from '../support/app.ts';

export const api = 'https://api.github.com';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are GitHub's JSON, adapted freely in tests
export type Payload = Record<string, any>;

export function webhookFixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`../fixtures/webhooks/${name}.json`, import.meta.url), 'utf8')) as Payload;
}

export function sign(body: string, secret = webhookSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Sent {
  status: number;
  text: string;
  id: string;
  ms: number;
}

/** POSTs a delivery to /api/github/webhooks as GitHub does (signed, with event and delivery headers). */
export async function deliver(app: TestApp, event: string, payload: Payload, options: { id?: string; signature?: string } = {}): Promise<Sent> {
  const body = JSON.stringify(payload);
  const id = options.id ?? randomUUID();
  const started = performance.now();
  const response = await fetch(`${app.url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': options.signature ?? sign(body),
    },
    body,
  });
  return { status: response.status, text: await response.text(), id, ms: performance.now() - started };
}

export interface PullOptions {
  repo: string;
  installationId: number;
  number: number;
  headRef: string;
  /** "owner/name" of the head; default: the repository itself */
  headRepo?: string;
  headSha?: string;
  updatedAt?: string;
  mergeCommitSha?: string;
  commits?: number;
}

/** A fixture `pull_request.<kind>` payload moved into the test's repository. */
export function pullRequestPayload(kind: 'opened' | 'reopened' | 'edited' | 'synchronize' | 'closed' | 'closed.merged', options: PullOptions): Payload {
  const payload = webhookFixture(`pull_request.${kind}`);
  const [owner, name] = options.repo.split('/') as [string, string];
  const repository = { ...payload.repository, name, full_name: options.repo, id: repoId(options.repo), owner: { ...payload.repository.owner, login: owner } };
  const headRepo = options.headRepo ?? options.repo;
  const pull = payload.pull_request;
  payload.repository = repository;
  payload.number = options.number;
  payload.installation = { ...payload.installation, id: options.installationId };
  pull.number = options.number;
  pull.id = 900_000 + options.number;
  pull.html_url = `https://github.com/${options.repo}/pull/${options.number}`;
  pull.base = { ...pull.base, repo: repository, ref: 'main' };
  pull.head = {
    ...pull.head,
    ref: options.headRef,
    label: `${headRepo.split('/')[0]}:${options.headRef}`,
    sha: options.headSha ?? pull.head.sha,
    repo: { ...repository, full_name: headRepo, id: repoId(headRepo), name: headRepo.split('/')[1] },
  };
  if (options.updatedAt) pull.updated_at = options.updatedAt;
  if (options.mergeCommitSha) pull.merge_commit_sha = options.mergeCommitSha;
  if (options.commits !== undefined) pull.commits = options.commits;
  return payload;
}

/** A stable fake repository id per name. */
export function repoId(fullName: string): number {
  let hash = 7;
  for (const c of fullName.toLowerCase()) hash = (hash * 31 + c.charCodeAt(0)) % 1_000_000_007;
  return hash;
}

/** Probot caches installation tokens: optional, so tests sharing an installation each may ask. */
export function mockInstallationToken(installationId: number) {
  return nock(api)
    .post(`/app/installations/${installationId}/access_tokens`)
    .optionally()
    .reply(201, { token: 'ghs_test_installation_token', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} });
}

// ---- git objects as GitHub's REST API answers them ----

export interface FakeCommit {
  sha: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string };
}

/** GET /repos/{o}/{r}/git/commits/{sha} */
export function gitCommitResponse(commit: FakeCommit, repo: string) {
  return {
    sha: commit.sha,
    node_id: `C_${commit.sha.slice(0, 8)}`,
    url: `${api}/repos/${repo}/git/commits/${commit.sha}`,
    html_url: `https://github.com/${repo}/commit/${commit.sha}`,
    author: commit.author,
    committer: { name: 'GitHub', email: 'noreply@github.com', date: '2019-05-15T15:21:18Z' },
    tree: { sha: `tree${commit.sha.slice(4)}`, url: `${api}/repos/${repo}/git/trees/tree${commit.sha.slice(4)}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/repos/${repo}/git/commits/${sha}`, html_url: `https://github.com/${repo}/commit/${sha}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
  };
}

/** One entry of GET /repos/{o}/{r}/pulls/{n}/commits */
export function pullCommitResponse(commit: FakeCommit, repo: string) {
  return {
    sha: commit.sha,
    node_id: `C_${commit.sha.slice(0, 8)}`,
    url: `${api}/repos/${repo}/commits/${commit.sha}`,
    html_url: `https://github.com/${repo}/commit/${commit.sha}`,
    commit: {
      author: commit.author,
      committer: commit.author,
      message: commit.message,
      tree: { sha: `tree${commit.sha.slice(4)}`, url: '' },
      url: `${api}/repos/${repo}/git/commits/${commit.sha}`,
      comment_count: 0,
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/repos/${repo}/commits/${sha}` })),
  };
}

export const sha = (label: string) => createHmac('sha1', 'sha').update(label).digest('hex');

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
