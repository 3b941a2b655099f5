// Branches of a fake repository: reading tips, moving and deleting them (telling pulls), pushing files.
import { readRef, swapRef, deleteRef } from './git/refs.ts';
import { buildTree, objectType, readCommit, writeCommit, type GitSignature } from './git/objects.ts';
import type { FakeState, RepoRecord } from './state.ts';

export function branchTip(repo: RepoRecord, branch: string): string | null {
  return readRef(repo.gitDir, `refs/heads/${branch}`);
}

/** What GitHub accepts as `{ref}` for commits: a sha (also abbreviated), a branch, a tag, `heads/x`. */
export function resolveCommitish(repo: RepoRecord, ref: string): string | null {
  if (/^[0-9a-f]{4,40}$/i.test(ref) && objectType(repo.gitDir, ref) === 'commit') {
    return readCommit(repo.gitDir, ref)?.sha ?? null;
  }
  for (const candidate of [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`, ref]) {
    if (!candidate.startsWith('refs/')) continue;
    const sha = readRef(repo.gitDir, candidate);
    if (sha) return sha;
  }
  return null;
}

/** Compare-and-swap of any ref (`refs/heads/x`); branch moves are announced to the pulls. */
export function moveRef(state: FakeState, repo: RepoRecord, ref: string, sha: string, expected: string | null): boolean {
  if (!swapRef(repo.gitDir, ref, sha, expected)) return false;
  if (ref.startsWith('refs/heads/')) state.branchMoved(repo, ref.slice('refs/heads/'.length), sha);
  return true;
}

export function removeRef(state: FakeState, repo: RepoRecord, ref: string): boolean {
  if (!deleteRef(repo.gitDir, ref)) return false;
  if (ref.startsWith('refs/heads/')) state.branchMoved(repo, ref.slice('refs/heads/'.length), null);
  return true;
}

export interface PushFiles {
  branch: string;
  /** Path → new content; null deletes the file. */
  files: Record<string, string | null>;
  message: string;
  /** Where a new branch starts: a branch or sha (default: the default branch). */
  from?: string;
  author?: GitSignature;
}

/** One real commit on `branch`, as if someone pushed it. Returns the new tip. */
export function pushFiles(state: FakeState, repo: RepoRecord, push: PushFiles): string {
  const before = branchTip(repo, push.branch);
  const parent = before ?? resolveCommitish(repo, push.from ?? repo.defaultBranch);
  const parentTree = parent ? (readCommit(repo.gitDir, parent)?.tree ?? null) : null;
  const tree = buildTree(
    repo.gitDir,
    parentTree,
    Object.entries(push.files).map(([path, content]) =>
      content === null
        ? { path, delete: true as const }
        : { path, mode: '100644', type: 'blob' as const, content: Buffer.from(content, 'utf8') },
    ),
  );
  const author = push.author ?? state.signature('Agent', 'agent@example.com');
  const sha = writeCommit(repo.gitDir, {
    tree,
    parents: parent ? [parent] : [],
    message: push.message,
    author,
    committer: { ...author, date: state.now() },
  });
  if (!moveRef(state, repo, `refs/heads/${push.branch}`, sha, before)) {
    throw new Error(`branch ${push.branch} of ${repo.fullName} moved during the push`);
  }
  return sha;
}
