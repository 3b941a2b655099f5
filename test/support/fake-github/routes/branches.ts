// Branches API: list, one branch (with `protected`), and its protection (404 when unprotected).
import { branchTip } from '../branches.ts';
import { readCommit } from '../git/objects.ts';
import { listRefs } from '../git/refs.ts';
import { paginate } from '../pagination.ts';
import { HttpError, requireRepo, route, type Route } from '../router.ts';
import { repoCommitJson } from '../shapes/commits.ts';
import type { Urls } from '../shapes/accounts.ts';
import type { BranchProtection, BranchWithProtection, Shape } from '../github-types.ts';
import type { RepoRecord } from '../state.ts';

function protectionJson(urls: Urls, repo: RepoRecord, branch: string): Shape<BranchProtection> {
  const url = `${urls.api}/repos/${repo.fullName}/branches/${encodeURIComponent(branch)}/protection`;
  return {
    url,
    required_status_checks: { url: `${url}/required_status_checks`, strict: false, contexts: [], checks: [] },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: false },
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: false },
    allow_deletions: { enabled: false },
  };
}

function branchNotFound(): HttpError {
  return new HttpError(404, 'Branch not found');
}

export const branchRoutes: Route[] = [
  route('GET', '/repos/{owner}/{repo}/branches', (ctx) => {
    const repo = requireRepo(ctx);
    const onlyProtected = ctx.query.get('protected');
    const branches = listRefs(repo.gitDir, 'refs/heads/')
      .map((entry) => ({ name: entry.ref.slice('refs/heads/'.length), sha: entry.sha }))
      .filter((branch) => onlyProtected === null || repo.protectedBranches.has(branch.name) === (onlyProtected === 'true'));
    const page = paginate(ctx, branches);
    return {
      status: 200,
      headers: page.headers,
      body: page.items.map((branch) => ({
        name: branch.name,
        commit: { sha: branch.sha, url: `${ctx.urls.api}/repos/${repo.fullName}/commits/${branch.sha}` },
        protected: repo.protectedBranches.has(branch.name),
      })),
    };
  }),

  route('GET', '/repos/{owner}/{repo}/branches/{branch*}/protection', (ctx) => {
    const repo = requireRepo(ctx);
    const branch = ctx.params.branch ?? '';
    if (!branchTip(repo, branch)) throw branchNotFound();
    if (!repo.protectedBranches.has(branch)) throw new HttpError(404, 'Branch not protected');
    return { status: 200, body: protectionJson(ctx.urls, repo, branch) };
  }),

  route('GET', '/repos/{owner}/{repo}/branches/{branch*}', (ctx) => {
    const repo = requireRepo(ctx);
    const branch = ctx.params.branch ?? '';
    const sha = branchTip(repo, branch);
    const commit = sha ? readCommit(repo.gitDir, sha) : null;
    if (!commit) throw branchNotFound();
    const isProtected = repo.protectedBranches.has(branch);
    const url = `${ctx.urls.api}/repos/${repo.fullName}/branches/${encodeURIComponent(branch)}`;
    return {
      status: 200,
      body: {
        name: branch,
        commit: repoCommitJson(ctx.urls, repo, commit),
        _links: { self: url, html: `${ctx.urls.html}/${repo.fullName}/tree/${branch}` },
        protected: isProtected,
        protection: isProtected
          ? { enabled: true, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } }
          : { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: `${url}/protection`,
      } satisfies Shape<BranchWithProtection>,
    };
  }),
];
