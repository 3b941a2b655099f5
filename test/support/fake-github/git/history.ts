// History questions and merges: ancestry, ranges, diffs, three-way merges (`git merge-tree --write-tree`).
import { runGit } from './cli.ts';
import { EMPTY_TREE_SHA, readCommit, writeCommit, type GitSignature } from './objects.ts';

export function isAncestor(gitDir: string, ancestor: string, descendant: string): boolean {
  return runGit(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant], { okStatuses: [1] }).status === 0;
}

export function mergeBase(gitDir: string, a: string, b: string): string | null {
  const run = runGit(gitDir, ['merge-base', a, b], { okStatuses: [1] });
  return run.status === 0 ? run.stdout.trim() : null;
}

/** Commits reachable from `to` but not from `from`, oldest first (`git log from..to`, reversed). */
export function commitsBetween(gitDir: string, from: string | null, to: string): string[] {
  const range = from ? [`${from}..${to}`] : [to];
  return runGit(gitDir, ['rev-list', '--reverse', '--topo-order', ...range])
    .stdout.split('\n')
    .filter((line) => line.length > 0);
}

export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflicts: string[] };

/** Three-way merge of two commits with their merge base, as GitHub's server-side merges do. */
export function mergeCommits(gitDir: string, ours: string, theirs: string): MergeTreeResult {
  const run = runGit(gitDir, ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs], {
    okStatuses: [1],
  });
  const [tree = '', ...rest] = run.stdout.split('\n');
  if (run.status === 0) return { clean: true, tree: tree.trim() };
  return { clean: false, conflicts: [...new Set(rest.filter((line) => line.length > 0))] };
}

/**
 * The tree of `commit` applied on top of `onto` (a cherry-pick), without a work tree:
 * git 2.39's merge-tree has no `--merge-base`, so a throwaway sibling commit with
 * `onto`'s tree and `commit`'s parent makes that parent the merge base.
 */
export function cherryPickTree(gitDir: string, onto: string, commit: string, signature: GitSignature): MergeTreeResult {
  const picked = readCommit(gitDir, commit);
  const target = readCommit(gitDir, onto);
  if (!picked || !target) throw new Error(`cherry-pick of unknown commit ${commit} onto ${onto}`);
  const sibling = writeCommit(gitDir, {
    tree: target.tree,
    parents: picked.parents.slice(0, 1),
    message: 'fake-github cherry-pick base\n',
    author: signature,
    committer: signature,
  });
  return mergeCommits(gitDir, sibling, commit);
}

export type DiffStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';

export interface FileDiff {
  filename: string;
  previous_filename?: string;
  status: DiffStatus;
  /** The file's blob in the newer tree (the older one for removed files). */
  sha: string;
  additions: number;
  deletions: number;
  changes: number;
}

const statusByLetter: Record<string, DiffStatus> = {
  A: 'added',
  D: 'removed',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'changed',
};

/** Files changed from tree-ish `from` (null: nothing) to `to`, with rename detection. */
export function diffFiles(gitDir: string, from: string | null, to: string): FileDiff[] {
  const base = from ?? EMPTY_TREE_SHA;
  const raw = runGit(gitDir, ['diff-tree', '-r', '-M', '-z', '--raw', base, to]).stdout.split('\0');
  const numstat = runGit(gitDir, ['diff-tree', '-r', '-M', '-z', '--numstat', base, to]).stdout.split('\0');

  const counts = new Map<string, { additions: number; deletions: number }>();
  for (let i = 0; i < numstat.length; i += 1) {
    const line = numstat[i] ?? '';
    if (!line) continue;
    const [added = '0', deleted = '0', path = ''] = line.split('\t');
    // Renames: "added\tdeleted\t" then old and new path as separate fields.
    const filename = path === '' ? (numstat[(i += 2)] ?? '') : path;
    counts.set(filename, { additions: Number(added) || 0, deletions: Number(deleted) || 0 });
  }

  const files: FileDiff[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    const meta = raw[i] ?? '';
    if (!meta.startsWith(':')) continue;
    const [, , oldSha = '', newSha = '', letters = ''] = meta.slice(1).split(' ');
    const status = statusByLetter[letters.charAt(0)] ?? 'changed';
    const twoPaths = status === 'renamed' || status === 'copied';
    const first = raw[(i += 1)] ?? '';
    const filename = twoPaths ? (raw[(i += 1)] ?? '') : first;
    const { additions, deletions } = counts.get(filename) ?? { additions: 0, deletions: 0 };
    const diff: FileDiff = {
      filename,
      status,
      sha: status === 'removed' ? oldSha : newSha,
      additions,
      deletions,
      changes: additions + deletions,
    };
    if (twoPaths) diff.previous_filename = first;
    files.push(diff);
  }
  return files;
}
