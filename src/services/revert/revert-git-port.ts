// The narrow slice of GitHub the no-clone revert needs: branch heads, commits, refs and server-side merges.

export interface RepoCoordinates {
  owner: string;
  repo: string;
}

export interface CommitSummary {
  sha: string;
  treeSha: string;
  parents: string[];
}

export interface BranchHead extends CommitSummary {
  message: string;
}

export interface NewCommit {
  message: string;
  treeSha: string;
  parents: string[];
}

export type MergeBranchesOutcome =
  | { kind: 'merged'; commit: CommitSummary }
  /** 409: the three-way merge has conflicts; nothing was written. */
  | { kind: 'conflict' }
  /** 204: the base already contains the head; nothing was written. */
  | { kind: 'nothing' };

/**
 * Every method is one GitHub API call (named in its comment). Branch names are short
 * names (`revert/x`), never `refs/heads/...`.
 */
export interface RevertGitPort {
  /** `GET /repos/{owner}/{repo}/branches/{branch}`: the tip with its tree and message; null on 404. */
  getBranchHead(repo: RepoCoordinates, branch: string): Promise<BranchHead | null>;
  /** `GET /repos/{owner}/{repo}/git/commits/{commit_sha}`. */
  getCommit(repo: RepoCoordinates, sha: string): Promise<CommitSummary>;
  /** `POST /repos/{owner}/{repo}/git/commits`, authored by the app. */
  createCommit(repo: RepoCoordinates, commit: NewCommit): Promise<CommitSummary>;
  /** `POST /repos/{owner}/{repo}/git/refs` for `refs/heads/{branch}`; `exists` on 422 "Reference already exists". */
  createRef(repo: RepoCoordinates, branch: string, sha: string): Promise<'created' | 'exists'>;
  /** `PATCH /repos/{owner}/{repo}/git/refs/heads/{branch}`; `force` allows a non-fast-forward move. */
  updateRef(repo: RepoCoordinates, branch: string, sha: string, options: { force: boolean }): Promise<void>;
  /** `DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}`; a branch already gone is not an error. */
  deleteRef(repo: RepoCoordinates, branch: string): Promise<void>;
  /** `POST /repos/{owner}/{repo}/merges`: GitHub's three-way merge of `head` into branch `base`, moving `base`. */
  mergeBranches(repo: RepoCoordinates, merge: { base: string; head: string; message: string }): Promise<MergeBranchesOutcome>;
}
