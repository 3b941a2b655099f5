// A pull request as GitHub last told us, and the rule deciding whether a newer
// word from GitHub replaces the one we hold. GitHub delivers late, twice and out
// of order; this decision is what keeps a PR from ever moving backwards.
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { PullRequestState } from '../../generated/prisma/client.ts';
import type { FullPull, ListedPull } from '../github/port.ts';

type WebhookPull = EmitterWebhookEvent<'pull_request'>['payload']['pull_request'];

/** A pull request object from a webhook, `GET pulls/{n}` or `GET pulls` (GitHub's own types). */
export type GitHubPull = FullPull | ListedPull | WebhookPull;

/** The fields of a pull request we keep, as GitHub reported them. */
export interface PullSnapshot {
  number: number;
  githubId: bigint;
  title: string;
  body: string | null;
  htmlUrl: string;
  headRef: string;
  headSha: string;
  /** "owner/name" of the head repository; null when the fork was deleted */
  headRepo: string | null;
  headRepoId: number | null;
  /** "owner/name" of the base repository */
  baseRepo: string;
  baseRepoId: number;
  /** GitHub's updated_at of the base repository: how fresh its name is */
  baseRepoUpdatedAt: Date | null;
  baseRef: string;
  state: PullRequestState;
  mergedAt: Date | null;
  closedAt: Date | null;
  mergeCommitSha: string | null;
  /** GitHub's updated_at: the order of what we are told */
  updatedAt: Date;
  /** how many commits the PR has, when GitHub said (not in list answers) */
  commits: number | null;
}

const date = (value: string | null | undefined): Date | null => (value ? new Date(value) : null);

export function snapshotOf(pull: GitHubPull): PullSnapshot {
  // list answers have no `merged`; merged_at says the same thing
  const merged = ('merged' in pull && pull.merged === true) || Boolean(pull.merged_at);
  return {
    number: pull.number,
    githubId: BigInt(pull.id),
    title: pull.title,
    body: pull.body ?? null,
    htmlUrl: pull.html_url,
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    headRepo: pull.head.repo?.full_name ?? null,
    headRepoId: pull.head.repo?.id ?? null,
    baseRepo: pull.base.repo.full_name,
    baseRepoId: pull.base.repo.id,
    baseRepoUpdatedAt: date(pull.base.repo.updated_at),
    baseRef: pull.base.ref,
    state: merged ? 'MERGED' : pull.state === 'closed' ? 'CLOSED' : 'OPEN',
    mergedAt: merged ? date(pull.merged_at) : null,
    closedAt: date(pull.closed_at),
    // GitHub fills merge_commit_sha with a test merge while a PR is open: only a merge's counts
    mergeCommitSha: merged ? (pull.merge_commit_sha ?? null) : null,
    updatedAt: new Date(pull.updated_at),
    commits: 'commits' in pull && typeof pull.commits === 'number' ? pull.commits : null,
  };
}

/** What we hold for a PR: the part of the PullRequest row the decision reads. */
export interface HeldPull {
  state: PullRequestState;
  github_updated_at: Date | null;
}

/**
 * Where the news comes from: a webhook (with its action) or a fresh read of
 * the PR from GitHub (`reconcile`), which is the truth as of now.
 */
export type PullSource = { kind: 'webhook'; action: string } | { kind: 'reconcile' };

export type PullDecision = { kind: 'insert' } | { kind: 'apply' } | { kind: 'ignore'; reason: string };

/**
 * Decision table (held → incoming):
 *
 * | held           | incoming          | GitHub's updated_at      | decision                               |
 * |----------------|-------------------|--------------------------|----------------------------------------|
 * | none           | any               | –                        | insert                                 |
 * | OPEN / CLOSED  | MERGED            | any                      | apply: a merge is a fact, and final    |
 * | MERGED         | OPEN / CLOSED     | any                      | ignore: merged is final                |
 * | any            | any               | no time held             | apply                                  |
 * | any            | any               | incoming older           | ignore (late delivery)                 |
 * | any            | any               | incoming newer           | apply                                  |
 * | CLOSED         | OPEN              | same second              | apply only for `reopened` or reconcile |
 * | any            | any               | same second, `opened`    | ignore: `opened` is a PR's first word  |
 * | any            | any               | same second, otherwise   | apply                                  |
 *
 * GitHub's updated_at has one-second resolution, hence the same-second rows.
 */
export function decidePullUpdate(held: HeldPull | null, incoming: Pick<PullSnapshot, 'state' | 'updatedAt'>, source: PullSource): PullDecision {
  if (!held) return { kind: 'insert' };
  if (incoming.state === 'MERGED' && held.state !== 'MERGED') return { kind: 'apply' };
  if (held.state === 'MERGED' && incoming.state !== 'MERGED') return { kind: 'ignore', reason: 'the PR is merged: merged is final' };
  if (!held.github_updated_at) return { kind: 'apply' };
  const incomingTime = incoming.updatedAt.getTime();
  const heldTime = held.github_updated_at.getTime();
  if (incomingTime < heldTime) return { kind: 'ignore', reason: 'older than the state we hold' };
  if (incomingTime > heldTime) return { kind: 'apply' };
  if (source.kind === 'reconcile') return { kind: 'apply' };
  if (held.state === 'CLOSED' && incoming.state === 'OPEN' && source.action !== 'reopened') {
    return { kind: 'ignore', reason: `a ${source.action} in the same second never reopens a closed PR` };
  }
  if (source.action === 'opened') return { kind: 'ignore', reason: 'an opened event never overrides a state we hold from the same second' };
  return { kind: 'apply' };
}
