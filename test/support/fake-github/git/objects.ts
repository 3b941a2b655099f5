// Blobs, trees and commits of a bare repository: read and written with git plumbing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from './cli.ts';

export const EMPTY_TREE_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface GitSignature {
  name: string;
  email: string;
  /** ISO 8601, as GitHub's API shows it (`2024-01-01T00:00:00Z`). */
  date: string;
}

export interface CommitObject {
  sha: string;
  tree: string;
  parents: string[];
  author: GitSignature;
  committer: GitSignature;
  message: string;
}

export type TreeEntryType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  path: string;
  mode: string;
  type: TreeEntryType;
  sha: string;
  /** Blobs only. */
  size?: number;
}

/** One change for {@link buildTree}: GitHub's `POST git/trees` entry, already validated. */
export type TreeChange =
  | { path: string; mode: string; type: 'blob'; content: Buffer }
  | { path: string; mode: string; type: TreeEntryType; sha: string }
  | { path: string; delete: true };

// Objects named by their full sha never change: what was read once is kept (per
// repository), which saves most git processes on busy tests. Misses are not kept.
const fullShaPattern = /^[0-9a-f]{40}$/;
const knownTypes = new Map<string, string>();
const knownCommits = new Map<string, CommitObject>();
const cacheKey = (gitDir: string, sha: string) => `${gitDir}\0${sha}`;
const copyCommit = (commit: CommitObject): CommitObject => ({
  ...commit,
  parents: [...commit.parents],
  author: { ...commit.author },
  committer: { ...commit.committer },
});

export function objectType(gitDir: string, sha: string): string | null {
  if (!/^[0-9a-f]{4,40}$/.test(sha)) return null;
  const known = fullShaPattern.test(sha) ? knownTypes.get(cacheKey(gitDir, sha)) : undefined;
  if (known) return known;
  const run = runGit(gitDir, ['cat-file', '-t', sha], { okStatuses: [1, 128] });
  if (run.status !== 0) return null;
  const type = run.stdout.trim();
  if (fullShaPattern.test(sha)) knownTypes.set(cacheKey(gitDir, sha), type);
  return type;
}

export function writeBlob(gitDir: string, content: Buffer): string {
  return runGit(gitDir, ['hash-object', '-w', '--stdin'], { input: content }).stdout.trim();
}

function parseSignature(line: string): GitSignature {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) throw new Error(`unparsable signature: ${line}`);
  const [, name = '', email = '', seconds = '0'] = match;
  return { name, email, date: new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z') };
}

function gitDate(iso: string): string {
  return `${Math.floor(new Date(iso).getTime() / 1000)} +0000`;
}

export function readCommit(gitDir: string, sha: string): CommitObject | null {
  const known = fullShaPattern.test(sha) ? knownCommits.get(cacheKey(gitDir, sha)) : undefined;
  if (known) return copyCommit(known);
  const commit = readCommitWithGit(gitDir, sha);
  if (commit) knownCommits.set(cacheKey(gitDir, commit.sha), copyCommit(commit));
  return commit;
}

function readCommitWithGit(gitDir: string, sha: string): CommitObject | null {
  if (objectType(gitDir, sha) !== 'commit') return null;
  const fullSha = runGit(gitDir, ['rev-parse', '--verify', `${sha}^{commit}`]).stdout.trim();
  const raw = runGit(gitDir, ['cat-file', 'commit', fullSha]).stdout;
  const split = raw.indexOf('\n\n');
  const headers = (split === -1 ? raw : raw.slice(0, split)).split('\n');
  const message = split === -1 ? '' : raw.slice(split + 2);
  const commit: CommitObject = {
    sha: fullSha,
    tree: '',
    parents: [],
    author: { name: '', email: '', date: '' },
    committer: { name: '', email: '', date: '' },
    message,
  };
  for (const header of headers) {
    const space = header.indexOf(' ');
    const key = header.slice(0, space);
    const value = header.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parseSignature(value);
    else if (key === 'committer') commit.committer = parseSignature(value);
  }
  return commit;
}

export interface NewCommit {
  tree: string;
  parents: readonly string[];
  message: string;
  author: GitSignature;
  committer: GitSignature;
}

export function writeCommit(gitDir: string, commit: NewCommit): string {
  const args = ['commit-tree', commit.tree, ...commit.parents.flatMap((parent) => ['-p', parent]), '-F', '-'];
  return runGit(gitDir, args, {
    input: commit.message,
    env: {
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_AUTHOR_DATE: gitDate(commit.author.date),
      GIT_COMMITTER_NAME: commit.committer.name,
      GIT_COMMITTER_EMAIL: commit.committer.email,
      GIT_COMMITTER_DATE: gitDate(commit.committer.date),
    },
  }).stdout.trim();
}

/** The tree of a tree or commit sha, or null when it names neither. */
export function resolveTree(gitDir: string, treeish: string): string | null {
  const type = objectType(gitDir, treeish);
  if (type !== 'tree' && type !== 'commit') return null;
  return runGit(gitDir, ['rev-parse', '--verify', `${treeish}^{tree}`]).stdout.trim();
}

export function readTree(gitDir: string, tree: string, recursive: boolean): TreeEntry[] {
  const args = ['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), tree];
  return runGit(gitDir, args)
    .stdout.split('\0')
    .filter((line) => line.length > 0)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', sha = '', size = '-'] = line.slice(0, tab).split(/\s+/);
      const entry: TreeEntry = { path: line.slice(tab + 1), mode, type: type as TreeEntryType, sha };
      if (size !== '-') entry.size = Number(size);
      return entry;
    });
}

/**
 * Writes the tree `base` with `changes` applied, like GitHub's `POST git/trees`: nested
 * paths are allowed, a file replaces a directory of the same name and vice versa, and a
 * deletion removes a file or a whole directory.
 */
export function buildTree(gitDir: string, base: string | null, changes: readonly TreeChange[]): string {
  const files = new Map<string, { mode: string; sha: string }>();
  if (base) {
    for (const entry of readTree(gitDir, base, true)) {
      if (entry.type !== 'tree') files.set(entry.path, { mode: entry.mode, sha: entry.sha });
    }
  }
  const removePath = (path: string): void => {
    for (const existing of [...files.keys()]) {
      if (existing === path || existing.startsWith(`${path}/`)) files.delete(existing);
    }
    // A file standing where a directory of the new path must go is replaced.
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) files.delete(parts.slice(0, i).join('/'));
  };
  for (const change of changes) {
    const path = change.path.replace(/^\/+|\/+$/g, '');
    removePath(path);
    if ('delete' in change) continue;
    if ('content' in change) {
      files.set(path, { mode: change.mode, sha: writeBlob(gitDir, change.content) });
    } else if (change.type === 'tree') {
      for (const entry of readTree(gitDir, change.sha, true)) {
        if (entry.type !== 'tree') files.set(`${path}/${entry.path}`, { mode: entry.mode, sha: entry.sha });
      }
    } else {
      files.set(path, { mode: change.mode, sha: change.sha });
    }
  }
  const scratch = mkdtempSync(join(tmpdir(), 'fake-github-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    runGit(gitDir, ['read-tree', '--empty'], { env });
    const lines = [...files].map(([path, file]) => `${file.mode} ${file.sha}\t${path}\0`).join('');
    if (lines) runGit(gitDir, ['update-index', '-z', '--index-info'], { env, input: lines });
    return runGit(gitDir, ['write-tree'], { env }).stdout.trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
