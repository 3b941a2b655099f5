// The files a branch changes against the base (what verify grades).
//
// GitHub's compare lists at most 300 changed files for the whole comparison
// (on its first page; the other pages only page the commits), and says nothing
// when it cut the list. So:
// - GET /repos/{o}/{r}/compare/{base}...{head}?per_page=100&page=1 — fewer than 300 files:
//   that is the whole list (one call, the usual case);
// - 300 files: the list may be cut, and is never graded as whole. The head is
//   pinned (GET /repos/{o}/{r}/branches/{head}: its commit and tree), its merge
//   base with the base read again for that very commit (compare base...{sha}),
//   and the two trees are compared: GET /repos/{o}/{r}/git/trees/{sha}?recursive=1
//   for each (two calls). Should GitHub cut a recursive tree too (over 100,000
//   entries or 7 MB), only the subtrees that differ are read, level by level.
// (The PR's files, GET /pulls/{n}/files, stop at 3000 and need a PR: trees don't.)
// Every call is one attempt (answerNow): an agent is waiting.
import { isNotFound, type Octokit } from './access.ts';
import { answerNow } from './request-timeout.ts';

type Repo = { owner: string; repo: string };

/** GitHub's cap on a comparison's `files`. */
export const compareFileLimit = 300;

/** The changed paths (a rename counts its old path too), sorted; null when the branch (or base) does not exist. */
export async function listChangedFiles(octokit: Octokit, repo: Repo, base: string, head: string): Promise<string[] | null> {
  let files: { filename: string; previous_filename?: string }[];
  try {
    // page 1 carries the files (all of them, up to 300); the commits on it do not matter here
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}`, per_page: 100, page: 1, request: answerNow });
    files = data.files ?? [];
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  if (files.length < compareFileLimit) {
    const paths = new Set<string>();
    for (const file of files) {
      paths.add(file.filename);
      if (file.previous_filename) paths.add(file.previous_filename);
    }
    return [...paths].sort();
  }
  return listChangedFilesFromTrees(octokit, repo, base, head);
}

/** The whole list, from the trees of the head's commit and of its merge base with `base`. */
export async function listChangedFilesFromTrees(octokit: Octokit, repo: Repo, base: string, head: string): Promise<string[] | null> {
  let headCommit: { sha: string; tree: string };
  let baseTree: string;
  try {
    const { data: branch } = await octokit.rest.repos.getBranch({ ...repo, branch: head, request: answerNow });
    headCommit = { sha: branch.commit.sha, tree: branch.commit.commit.tree.sha };
    const { data: comparison } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${headCommit.sha}`, per_page: 1, request: answerNow });
    baseTree = comparison.merge_base_commit.commit.tree.sha;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  return diffTrees(octokit, repo, baseTree, headCommit.tree);
}

type Entry = { path: string; type: string; sha: string; mode: string };

async function readTree(octokit: Octokit, repo: Repo, sha: string, recursive: boolean): Promise<{ entries: Entry[]; truncated: boolean }> {
  const { data } = await octokit.rest.git.getTree({ ...repo, tree_sha: sha, ...(recursive ? { recursive: '1' } : {}), request: answerNow });
  const entries = data.tree.map((entry) => ({ path: entry.path ?? '', type: entry.type ?? 'blob', sha: entry.sha ?? '', mode: entry.mode ?? '' }));
  return { entries, truncated: data.truncated === true };
}

/** Paths of files (blobs and submodules) that differ between two trees. */
async function diffTrees(octokit: Octokit, repo: Repo, baseTree: string, headTree: string): Promise<string[]> {
  const [before, after] = await Promise.all([readTree(octokit, repo, baseTree, true), readTree(octokit, repo, headTree, true)]);
  if (!before.truncated && !after.truncated) return changedPaths(before.entries, after.entries, '').sort();
  return (await diffLevel(octokit, repo, baseTree, headTree, '')).sort();
}

/** One level of both trees; descends only into subtrees that differ. */
async function diffLevel(octokit: Octokit, repo: Repo, baseTree: string | null, headTree: string | null, prefix: string): Promise<string[]> {
  const [before, after] = await Promise.all([
    baseTree ? readTree(octokit, repo, baseTree, false) : { entries: [], truncated: false },
    headTree ? readTree(octokit, repo, headTree, false) : { entries: [], truncated: false },
  ]);
  const changed = changedPaths(before.entries.filter((e) => e.type !== 'tree'), after.entries.filter((e) => e.type !== 'tree'), prefix);
  const subtrees = new Map<string, { before: string | null; after: string | null }>();
  for (const e of before.entries) if (e.type === 'tree') subtrees.set(e.path, { before: e.sha, after: null });
  for (const e of after.entries) if (e.type === 'tree') subtrees.set(e.path, { before: subtrees.get(e.path)?.before ?? null, after: e.sha });
  for (const [path, pair] of subtrees) {
    if (pair.before === pair.after) continue;
    changed.push(...(await diffLevel(octokit, repo, pair.before, pair.after, `${prefix}${path}/`)));
  }
  return changed;
}

/** Files added, removed or changed (content or mode) between two flat lists of entries. */
function changedPaths(before: Entry[], after: Entry[], prefix: string): string[] {
  const files = (entries: Entry[]) => new Map(entries.filter((e) => e.type !== 'tree').map((e) => [e.path, `${e.mode} ${e.sha}`]));
  const old = files(before);
  const now = files(after);
  const changed = new Set<string>();
  for (const [path, id] of now) if (old.get(path) !== id) changed.add(`${prefix}${path}`);
  for (const path of old.keys()) if (!now.has(path)) changed.add(`${prefix}${path}`);
  return [...changed];
}
