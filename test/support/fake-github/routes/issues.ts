// Issue comments on pull requests (the fake has no plain issues).
import { paginate } from '../pagination.ts';
import { notFound, requireRepo, requireString, route, type Route, type RouteContext } from '../router.ts';
import { commentJson } from '../shapes/pulls.ts';
import type { RepoRecord } from '../state.ts';
import { actor } from './pulls.ts';

function requireIssue(ctx: RouteContext): { repo: RepoRecord; issueNumber: number } {
  const repo = requireRepo(ctx);
  const issueNumber = Number(ctx.params.issue_number);
  if (!repo.pulls.some((pr) => pr.number === issueNumber)) throw notFound();
  return { repo, issueNumber };
}

export const issueRoutes: Route[] = [
  route('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (ctx) => {
    const { repo, issueNumber } = requireIssue(ctx);
    const now = ctx.state.now();
    const comment = { id: ctx.state.newId(), issueNumber, body: requireString(ctx.body, 'body'), user: actor(ctx), createdAt: now, updatedAt: now };
    repo.comments.push(comment);
    return { status: 201, body: commentJson(ctx.urls, repo, comment) };
  }),

  route('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (ctx) => {
    const { repo, issueNumber } = requireIssue(ctx);
    const since = ctx.query.get('since');
    const comments = repo.comments.filter((comment) => comment.issueNumber === issueNumber && (since === null || comment.updatedAt >= since));
    const page = paginate(ctx, comments);
    return { status: 200, headers: page.headers, body: page.items.map((comment) => commentJson(ctx.urls, repo, comment)) };
  }),

  route('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (ctx) => {
    const repo = requireRepo(ctx);
    const comment = repo.comments.find((candidate) => candidate.id === Number(ctx.params.comment_id));
    if (!comment) throw notFound();
    comment.body = requireString(ctx.body, 'body');
    comment.updatedAt = ctx.state.now();
    return { status: 200, body: commentJson(ctx.urls, repo, comment) };
  }),
];
