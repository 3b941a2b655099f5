// Pulls API: create (GitHub's 422s), list with filters, get, update/close/reopen, commits, merge.
import { branchTip } from '../branches.ts';
import { commitsBetween } from '../git/history.ts';
import { readCommit } from '../git/objects.ts';
import { mergePullRequest } from '../merge-pull.ts';
import { paginate } from '../pagination.ts';
import { closePull, createPull, emitPullEvent, pullJsonNow, reopenPull } from '../pull-requests.ts';
import {
  HttpError,
  notFound,
  optionalBoolean,
  optionalString,
  requireRepo,
  requireString,
  route,
  validationFailed,
  type Route,
  type RouteContext,
} from '../router.ts';
import { repoCommitJson } from '../shapes/commits.ts';
import type { PullMergeResult, Shape } from '../github-types.ts';
import type { MergeMethod, PullRecord, RepoRecord } from '../state.ts';

function requirePull(ctx: RouteContext): { repo: RepoRecord; pr: PullRecord } {
  const repo = requireRepo(ctx);
  const pr = repo.pulls.find((candidate) => candidate.number === Number(ctx.params.pull_number));
  if (!pr) throw notFound();
  return { repo, pr };
}

/** Who GitHub says acted: the app's bot for installation tokens. */
export function actor(ctx: RouteContext): string {
  return `${ctx.state.app.slug}[bot]`;
}

const MERGE_METHODS: readonly MergeMethod[] = ['merge', 'squash', 'rebase'];

export const pullRoutes: Route[] = [
  route('GET', '/repos/{owner}/{repo}/pulls', (ctx) => {
    const repo = requireRepo(ctx);
    const state = ctx.query.get('state') ?? 'open';
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    const headRef = head === null ? null : head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
    const headOwner = head?.includes(':') ? head.slice(0, head.indexOf(':')).toLowerCase() : repo.owner.toLowerCase();
    const sort = ctx.query.get('sort') ?? 'created';
    const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'desc');
    const key = (pr: PullRecord): string => (sort === 'updated' ? pr.updatedAt : pr.createdAt);
    const matching = repo.pulls
      .filter((pr) => state === 'all' || pr.state === state)
      .filter((pr) => headRef === null || (pr.headRef === headRef && headOwner === repo.owner.toLowerCase()))
      .filter((pr) => base === null || pr.baseRef === base)
      .sort((a, b) => (direction === 'asc' ? 1 : -1) * (key(a).localeCompare(key(b)) || a.number - b.number));
    const page = paginate(ctx, matching);
    return { status: 200, headers: page.headers, body: page.items.map((pr) => pullJsonNow(ctx.urls, repo, pr)) };
  }),

  route('POST', '/repos/{owner}/{repo}/pulls', (ctx) => {
    const repo = requireRepo(ctx);
    const pr = createPull(ctx.state, repo, {
      head: requireString(ctx.body, 'head'),
      base: requireString(ctx.body, 'base'),
      title: requireString(ctx.body, 'title'),
      body: optionalString(ctx.body, 'body') ?? null,
      draft: optionalBoolean(ctx.body, 'draft') ?? false,
      user: actor(ctx),
    });
    return { status: 201, body: pullJsonNow(ctx.urls, repo, pr) };
  }),

  route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', (ctx) => {
    const { repo, pr } = requirePull(ctx);
    return { status: 200, body: pullJsonNow(ctx.urls, repo, pr) };
  }),

  route('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', (ctx) => {
    const { repo, pr } = requirePull(ctx);
    const title = optionalString(ctx.body, 'title');
    const body = optionalString(ctx.body, 'body');
    const base = optionalString(ctx.body, 'base');
    const state = optionalString(ctx.body, 'state');
    if (state !== undefined && state !== 'open' && state !== 'closed') {
      throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    }
    if (base !== undefined && !branchTip(repo, base)) {
      throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    const edited = (title !== undefined && title !== pr.title) || (body !== undefined && body !== pr.body) || (base !== undefined && base !== pr.baseRef);
    if (title !== undefined) pr.title = title;
    if (body !== undefined) pr.body = body;
    if (base !== undefined) pr.baseRef = base;
    if (edited) {
      pr.updatedAt = ctx.state.now();
      emitPullEvent(ctx.state, repo, pr, 'edited', actor(ctx));
    }
    if (state === 'closed') closePull(ctx.state, repo, pr, actor(ctx));
    if (state === 'open') reopenPull(ctx.state, repo, pr, actor(ctx));
    return { status: 200, body: pullJsonNow(ctx.urls, repo, pr) };
  }),

  route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/commits', (ctx) => {
    const { repo, pr } = requirePull(ctx);
    const shas = pr.mergedCommits ?? commitsBetween(repo.gitDir, branchTip(repo, pr.baseRef) ?? pr.baseSha, pr.headSha);
    const page = paginate(ctx, shas.slice(0, 250));
    const commits = page.items.flatMap((sha) => {
      const commit = readCommit(repo.gitDir, sha);
      return commit ? [repoCommitJson(ctx.urls, repo, commit)] : [];
    });
    return { status: 200, headers: page.headers, body: commits };
  }),

  route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', (ctx) => {
    const { pr } = requirePull(ctx);
    if (!pr.mergedAt) throw notFound();
    return { status: 204 };
  }),

  route('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', (ctx) => {
    const { repo, pr } = requirePull(ctx);
    const method = (optionalString(ctx.body, 'merge_method') ?? 'merge') as MergeMethod;
    if (!MERGE_METHODS.includes(method)) {
      throw new HttpError(422, `Invalid request.\n\nFor 'properties/merge_method', "${method}" is not one of ["merge", "squash", "rebase"].`);
    }
    const title = optionalString(ctx.body, 'commit_title');
    const message = optionalString(ctx.body, 'commit_message');
    const sha = optionalString(ctx.body, 'sha');
    const outcome = mergePullRequest(ctx.state, repo, pr, {
      method,
      by: actor(ctx),
      ...(title === undefined ? {} : { commitTitle: title }),
      ...(message === undefined ? {} : { commitMessage: message }),
      ...(sha === undefined ? {} : { sha }),
    });
    const body: Shape<PullMergeResult> = { sha: outcome.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' };
    return { status: 200, body };
  }),
];
