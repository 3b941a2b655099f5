// Repos API over history: one commit, compare (paginated like GitHub), and server-side merges.
import { branchTip, moveRef, resolveCommitish } from '../branches.ts';
import { commitsBetween, diffFiles, isAncestor, mergeBase, mergeCommits } from '../git/history.ts';
import { readCommit, writeCommit, type CommitObject } from '../git/objects.ts';
import { linkHeader } from '../pagination.ts';
import { HttpError, notFound, optionalString, requireRepo, requireString, route, type Route } from '../router.ts';
import { diffEntryJson, repoCommitJson } from '../shapes/commits.ts';
import type { Comparison, Shape } from '../github-types.ts';
import type { RepoRecord } from '../state.ts';

/** `owner:branch` names a branch of that owner's fork; only the repository's own owner is known here. */
function stripOwner(repo: RepoRecord, ref: string): string {
  const colon = ref.indexOf(':');
  if (colon === -1) return ref;
  return ref.slice(0, colon).toLowerCase() === repo.owner.toLowerCase() ? ref.slice(colon + 1) : ref;
}

function commitOrThrow(repo: RepoRecord, sha: string): CommitObject {
  const commit = readCommit(repo.gitDir, sha);
  if (!commit) throw new Error(`commit ${sha} missing from ${repo.fullName}`);
  return commit;
}

export const commitRoutes: Route[] = [
  route('GET', '/repos/{owner}/{repo}/commits/{ref*}', (ctx) => {
    const repo = requireRepo(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref ?? '');
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref}`);
    const commit = commitOrThrow(repo, sha);
    return { status: 200, body: repoCommitJson(ctx.urls, repo, commit, diffFiles(repo.gitDir, commit.parents[0] ?? null, sha)) };
  }),

  route('GET', '/repos/{owner}/{repo}/compare/{basehead*}', (ctx) => {
    const repo = requireRepo(ctx);
    const [baseName = '', headName = ''] = (ctx.params.basehead ?? '').split(/\.{2,3}/, 2);
    const base = resolveCommitish(repo, stripOwner(repo, baseName));
    const head = resolveCommitish(repo, stripOwner(repo, headName));
    if (!base || !head) throw notFound();
    const common = mergeBase(repo.gitDir, base, head);
    if (!common) throw notFound();
    const ahead = commitsBetween(repo.gitDir, base, head);
    const behindBy = commitsBetween(repo.gitDir, head, base).length;
    const status = ahead.length > 0 ? (behindBy > 0 ? 'diverged' : 'ahead') : behindBy > 0 ? 'behind' : 'identical';

    // Without paging parameters GitHub sends the newest 250 commits; with them, pages oldest first,
    // and the changed files (all of them, up to 300) only on the first page.
    const paged = ctx.query.has('per_page') || ctx.query.has('page');
    let shown = ahead.slice(-250);
    let page = 1;
    let headers: Record<string, string> = {};
    if (paged) {
      const perPage = Math.min(Math.max(Number(ctx.query.get('per_page')) || 30, 1), 100);
      page = Math.max(Number(ctx.query.get('page')) || 1, 1);
      shown = ahead.slice((page - 1) * perPage, page * perPage);
      headers = linkHeader(ctx, page, Math.max(Math.ceil(ahead.length / perPage), 1), perPage);
    }
    const api = `${ctx.urls.api}/repos/${repo.fullName}`;
    const html = `${ctx.urls.html}/${repo.fullName}/compare/${baseName}...${headName}`;
    return {
      status: 200,
      headers,
      body: {
        url: `${api}/compare/${baseName}...${headName}`,
        html_url: html,
        permalink_url: `${ctx.urls.html}/${repo.fullName}/compare/${base}...${head}`,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: repoCommitJson(ctx.urls, repo, commitOrThrow(repo, base)),
        merge_base_commit: repoCommitJson(ctx.urls, repo, commitOrThrow(repo, common)),
        status,
        ahead_by: ahead.length,
        behind_by: behindBy,
        total_commits: ahead.length,
        commits: shown.map((sha) => repoCommitJson(ctx.urls, repo, commitOrThrow(repo, sha))),
        files: page === 1 ? diffFiles(repo.gitDir, common, head).slice(0, 300).map((file) => diffEntryJson(ctx.urls, repo, head, file)) : [],
      } satisfies Shape<Comparison>,
    };
  }),

  route('POST', '/repos/{owner}/{repo}/merges', (ctx) => {
    const repo = requireRepo(ctx);
    const baseName = requireString(ctx.body, 'base');
    const headName = requireString(ctx.body, 'head');
    const message = optionalString(ctx.body, 'commit_message');
    const base = branchTip(repo, baseName);
    if (!base) throw new HttpError(404, 'Base does not exist');
    const head = resolveCommitish(repo, headName);
    if (!head) throw new HttpError(404, 'Head does not exist');
    if (isAncestor(repo.gitDir, head, base)) return { status: 204 };
    const merged = mergeCommits(repo.gitDir, base, head);
    if (!merged.clean) throw new HttpError(409, 'Merge conflict');
    const sha = writeCommit(repo.gitDir, {
      tree: merged.tree,
      parents: [base, head],
      message: message ?? `Merge ${headName} into ${baseName}`,
      author: ctx.state.botSignature(),
      committer: ctx.state.webFlowSignature(),
    });
    if (!moveRef(ctx.state, repo, `refs/heads/${baseName}`, sha, base)) throw new HttpError(409, 'Merge conflict');
    return { status: 201, body: repoCommitJson(ctx.urls, repo, commitOrThrow(repo, sha)) };
  }),
];
