// Git Data API: refs (with GitHub's fast-forward and protection rules), commits, trees, blobs.
import { moveRef, removeRef } from '../branches.ts';
import { isAncestor } from '../git/history.ts';
import {
  buildTree,
  objectType,
  readCommit,
  readTree,
  resolveTree,
  writeBlob,
  writeCommit,
  type GitSignature,
  type TreeChange,
  type TreeEntryType,
} from '../git/objects.ts';
import { listRefs, readRef } from '../git/refs.ts';
import {
  HttpError,
  notFound,
  optionalBoolean,
  optionalString,
  requireRepo,
  requireString,
  route,
  type Route,
  type RouteContext,
} from '../router.ts';
import { gitCommitJson, gitRefJson, gitTreeJson } from '../shapes/commits.ts';
import type { FakeState, RepoRecord } from '../state.ts';

function getRef(ctx: RouteContext) {
  const repo = requireRepo(ctx);
  const ref = `refs/${ctx.params.ref}`;
  const sha = readRef(repo.gitDir, ref);
  if (!sha) throw notFound();
  return { status: 200, body: gitRefJson(ctx.urls, repo, ref, sha) };
}

function protectedBranchOf(repo: RepoRecord, ref: string): string | null {
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  return branch !== null && repo.protectedBranches.has(branch) ? branch : null;
}

function signatureFrom(state: FakeState, value: unknown): GitSignature | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, email, date } = value as Record<string, unknown>;
  if (typeof name !== 'string' || typeof email !== 'string') {
    throw new HttpError(422, 'Invalid request.\n\n"name", "email" weren\'t supplied.');
  }
  return { name, email, date: typeof date === 'string' ? date : state.now() };
}

function treeChange(repo: RepoRecord, raw: unknown): TreeChange {
  const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const path = typeof entry.path === 'string' ? entry.path : '';
  const mode = typeof entry.mode === 'string' ? entry.mode : '100644';
  const type = (typeof entry.type === 'string' ? entry.type : 'blob') as TreeEntryType;
  if (!path) throw new HttpError(422, 'Invalid request.\n\n"path" wasn\'t supplied.');
  if (entry.sha === null) return { path, delete: true };
  if (typeof entry.content === 'string') {
    if (entry.sha !== undefined) throw new HttpError(422, 'Invalid request.\n\nOnly one of "content" or "sha" may be supplied.');
    return { path, mode, type: 'blob', content: Buffer.from(entry.content, 'utf8') };
  }
  if (typeof entry.sha !== 'string') throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
  // Submodule entries point at commits of other repositories, so only those go unchecked.
  if (type !== 'commit' && objectType(repo.gitDir, entry.sha) !== type) throw new HttpError(422, 'GitRPC::BadObjectState');
  return { path, mode, type, sha: entry.sha };
}

export const gitDataRoutes: Route[] = [
  route('GET', '/repos/{owner}/{repo}/git/ref/{ref*}', getRef),
  // The older plural form still answers a single ref when the name matches exactly.
  route('GET', '/repos/{owner}/{repo}/git/refs/{ref*}', getRef),

  route('GET', '/repos/{owner}/{repo}/git/matching-refs/{ref*}', (ctx) => {
    const repo = requireRepo(ctx);
    const prefix = `refs/${ctx.params.ref}`;
    const refs = listRefs(repo.gitDir, 'refs/').filter((entry) => entry.ref.startsWith(prefix));
    return { status: 200, body: refs.map((entry) => gitRefJson(ctx.urls, repo, entry.ref, entry.sha)) };
  }),

  route('POST', '/repos/{owner}/{repo}/git/refs', (ctx) => {
    const repo = requireRepo(ctx);
    const ref = requireString(ctx.body, 'ref');
    const sha = requireString(ctx.body, 'sha');
    if (!/^refs\/[^/]+\/.+/.test(ref)) {
      throw new HttpError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    }
    if (objectType(repo.gitDir, sha) !== 'commit') throw new HttpError(422, 'Object does not exist');
    if (readRef(repo.gitDir, ref)) throw new HttpError(422, 'Reference already exists');
    const full = readCommit(repo.gitDir, sha)?.sha ?? sha;
    if (!moveRef(ctx.state, repo, ref, full, null)) throw new HttpError(422, 'Reference already exists');
    return { status: 201, body: gitRefJson(ctx.urls, repo, ref, full) };
  }),

  route('PATCH', '/repos/{owner}/{repo}/git/refs/{ref*}', (ctx) => {
    const repo = requireRepo(ctx);
    const ref = `refs/${ctx.params.ref}`;
    const sha = requireString(ctx.body, 'sha');
    const force = optionalBoolean(ctx.body, 'force') ?? false;
    const current = readRef(repo.gitDir, ref);
    if (!current) throw new HttpError(422, 'Reference does not exist');
    if (objectType(repo.gitDir, sha) !== 'commit') throw new HttpError(422, 'Object does not exist');
    const full = readCommit(repo.gitDir, sha)?.sha ?? sha;
    const branch = protectedBranchOf(repo, ref);
    if (branch !== null) throw new HttpError(422, `Protected branch update failed for ${ref}.`);
    if (!force && !isAncestor(repo.gitDir, current, full)) throw new HttpError(422, 'Update is not a fast forward');
    if (!moveRef(ctx.state, repo, ref, full, current)) throw new HttpError(422, 'Reference cannot be updated');
    return { status: 200, body: gitRefJson(ctx.urls, repo, ref, full) };
  }),

  route('DELETE', '/repos/{owner}/{repo}/git/refs/{ref*}', (ctx) => {
    const repo = requireRepo(ctx);
    const ref = `refs/${ctx.params.ref}`;
    if (protectedBranchOf(repo, ref) !== null) throw new HttpError(422, 'Cannot delete this protected branch');
    if (!removeRef(ctx.state, repo, ref)) throw new HttpError(422, 'Reference does not exist');
    return { status: 204 };
  }),

  route('GET', '/repos/{owner}/{repo}/git/commits/{commit_sha}', (ctx) => {
    const repo = requireRepo(ctx);
    const commit = readCommit(repo.gitDir, ctx.params.commit_sha ?? '');
    if (!commit) throw notFound();
    return { status: 200, body: gitCommitJson(ctx.urls, repo, commit) };
  }),

  route('POST', '/repos/{owner}/{repo}/git/commits', (ctx) => {
    const repo = requireRepo(ctx);
    const message = requireString(ctx.body, 'message');
    const tree = requireString(ctx.body, 'tree');
    const parents = Array.isArray(ctx.body.parents) ? ctx.body.parents.map(String) : [];
    if (objectType(repo.gitDir, tree) !== 'tree') throw new HttpError(422, 'Tree SHA does not exist');
    for (const parent of parents) {
      if (objectType(repo.gitDir, parent) !== 'commit') {
        throw new HttpError(422, 'Parent SHA does not exist or is not a commit object');
      }
    }
    const author = signatureFrom(ctx.state, ctx.body.author) ?? ctx.state.botSignature();
    const committer = signatureFrom(ctx.state, ctx.body.committer) ?? author;
    const sha = writeCommit(repo.gitDir, { tree, parents, message, author, committer });
    const commit = readCommit(repo.gitDir, sha);
    if (!commit) throw new Error(`commit ${sha} vanished`);
    return { status: 201, body: gitCommitJson(ctx.urls, repo, commit) };
  }),

  route('GET', '/repos/{owner}/{repo}/git/trees/{tree_sha}', (ctx) => {
    const repo = requireRepo(ctx);
    const tree = resolveTree(repo.gitDir, ctx.params.tree_sha ?? '');
    if (!tree) throw notFound();
    const recursive = ctx.query.has('recursive');
    return { status: 200, body: gitTreeJson(ctx.urls, repo, tree, readTree(repo.gitDir, tree, recursive)) };
  }),

  route('POST', '/repos/{owner}/{repo}/git/trees', (ctx) => {
    const repo = requireRepo(ctx);
    const baseTree = optionalString(ctx.body, 'base_tree');
    if (!Array.isArray(ctx.body.tree)) throw new HttpError(422, 'Invalid request.\n\n"tree" wasn\'t supplied.');
    const base = baseTree === undefined ? null : resolveTree(repo.gitDir, baseTree);
    if (baseTree !== undefined && !base) throw new HttpError(422, 'GitRPC::BadObjectState');
    const changes = ctx.body.tree.map((entry) => treeChange(repo, entry));
    const sha = buildTree(repo.gitDir, base, changes);
    return { status: 201, body: gitTreeJson(ctx.urls, repo, sha, readTree(repo.gitDir, sha, false)) };
  }),

  route('POST', '/repos/{owner}/{repo}/git/blobs', (ctx) => {
    const repo = requireRepo(ctx);
    const content = typeof ctx.body.content === 'string' ? ctx.body.content : null;
    if (content === null) throw new HttpError(422, 'Invalid request.\n\n"content" wasn\'t supplied.');
    const encoding = optionalString(ctx.body, 'encoding') ?? 'utf-8';
    const sha = writeBlob(repo.gitDir, Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
    return { status: 201, body: { url: `${ctx.urls.api}/repos/${repo.fullName}/git/blobs/${sha}`, sha } };
  }),
];
