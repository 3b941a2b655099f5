// JSON for git data objects and for the repos API's commit, shaped like GitHub's answers.
import type { CommitObject, TreeEntry } from '../git/objects.ts';
import type { FileDiff } from '../git/history.ts';
import type { RepoRecord } from '../state.ts';
import type { GitCommit, GitRef, GitTree, RepoCommit, Shape } from '../github-types.ts';
import type { Urls } from './accounts.ts';

const unsigned = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null } as const;

export function gitRefJson(urls: Urls, repo: RepoRecord, ref: string, sha: string): Shape<GitRef> {
  return {
    ref,
    node_id: Buffer.from(`Ref${repo.id}:${ref}`).toString('base64'),
    url: `${urls.api}/repos/${repo.fullName}/git/${ref}`,
    object: { sha, type: 'commit', url: `${urls.api}/repos/${repo.fullName}/git/commits/${sha}` },
  };
}

export function gitCommitJson(urls: Urls, repo: RepoRecord, commit: CommitObject): Shape<GitCommit> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: commit.sha,
    node_id: Buffer.from(`Commit${repo.id}:${commit.sha}`).toString('base64'),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${urls.html}/${repo.fullName}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${urls.html}/${repo.fullName}/commit/${sha}`,
    })),
    verification: unsigned,
  };
}

export function gitTreeJson(urls: Urls, repo: RepoRecord, sha: string, entries: TreeEntry[]): Shape<GitTree> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    truncated: false,
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
      url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
    })),
  };
}

export function diffEntryJson(urls: Urls, repo: RepoRecord, headSha: string, file: FileDiff) {
  const path = file.filename.split('/').map(encodeURIComponent).join('/');
  return {
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.changes,
    blob_url: `${urls.html}/${repo.fullName}/blob/${headSha}/${path}`,
    raw_url: `${urls.html}/${repo.fullName}/raw/${headSha}/${path}`,
    contents_url: `${urls.api}/repos/${repo.fullName}/contents/${path}?ref=${headSha}`,
    ...(file.previous_filename === undefined ? {} : { previous_filename: file.previous_filename }),
  } satisfies Shape<NonNullable<RepoCommit['files']>[number]>;
}

/** The repos API's commit (`GET /repos/{o}/{r}/commits/{ref}`); `files` only where GitHub sends them. */
export function repoCommitJson(
  urls: Urls,
  repo: RepoRecord,
  commit: CommitObject,
  files?: FileDiff[],
): Shape<RepoCommit> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const json: Shape<RepoCommit> = {
    sha: commit.sha,
    node_id: Buffer.from(`Commit${repo.id}:${commit.sha}`).toString('base64'),
    url: `${api}/commits/${commit.sha}`,
    html_url: `${urls.html}/${repo.fullName}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      verification: unsigned,
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${urls.html}/${repo.fullName}/commit/${sha}`,
    })),
  };
  if (files) {
    const additions = files.reduce((sum, file) => sum + file.additions, 0);
    const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
    json.stats = { additions, deletions, total: additions + deletions };
    json.files = files.map((file) => diffEntryJson(urls, repo, commit.sha, file));
  }
  return json;
}
