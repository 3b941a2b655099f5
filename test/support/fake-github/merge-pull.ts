// Merging a pull request the three ways GitHub does, with real git: merge commit, squash, rebase.
import { branchTip, moveRef } from './branches.ts';
import { cherryPickTree, commitsBetween, mergeCommits } from './git/history.ts';
import { readCommit, writeCommit } from './git/objects.ts';
import { emitPullEvent } from './pull-requests.ts';
import { HttpError } from './router.ts';
import type { FakeState, MergeMethod, PullRecord, RepoRecord } from './state.ts';

export interface MergeRequest {
  method: MergeMethod;
  /** Who merges; the merge commit's author and the PR's `merged_by`. */
  by: string;
  commitTitle?: string;
  commitMessage?: string;
  /** The head sha the merger saw; a different head answers 409 as on GitHub. */
  sha?: string;
}

export interface MergeOutcome {
  /** `merge_commit_sha`: the merge commit, the squash commit, or the last rebased commit. */
  mergeCommitSha: string;
  /** The base tip before the merge: the first parent, or the parent of the first rebased commit. */
  baseShaBefore: string;
  /** The commits added to the base, oldest first. */
  newCommits: string[];
}

const notMergeable = (): HttpError => new HttpError(405, 'Pull Request is not mergeable');

export function mergePullRequest(state: FakeState, repo: RepoRecord, pr: PullRecord, request: MergeRequest): MergeOutcome {
  if (pr.state !== 'open') throw notMergeable();
  const headSha = branchTip(repo, pr.headRef) ?? pr.headSha;
  if (request.sha && request.sha !== headSha) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  }
  const baseSha = branchTip(repo, pr.baseRef);
  if (!baseSha) throw notMergeable();
  const prCommits = commitsBetween(repo.gitDir, baseSha, headSha);
  const author = state.signature(request.by, `${request.by}@users.noreply.github.com`);
  const committer = state.webFlowSignature();

  const newCommits: string[] = [];
  if (request.method === 'rebase') {
    let onto = baseSha;
    for (const sha of prCommits) {
      const original = readCommit(repo.gitDir, sha);
      if (!original) throw notMergeable();
      const picked = cherryPickTree(repo.gitDir, onto, sha, committer);
      if (!picked.clean) throw new HttpError(405, 'This branch can\'t be rebased');
      onto = writeCommit(repo.gitDir, {
        tree: picked.tree,
        parents: [onto],
        message: original.message,
        author: original.author,
        committer: { ...committer, date: state.now() },
      });
      newCommits.push(onto);
    }
  } else {
    const merged = mergeCommits(repo.gitDir, baseSha, headSha);
    if (!merged.clean) throw notMergeable();
    const squash = request.method === 'squash';
    const title = request.commitTitle ?? (squash ? `${pr.title} (#${pr.number})` : `Merge pull request #${pr.number} from ${repo.owner}/${pr.headRef}`);
    const body = request.commitMessage ?? (squash ? squashBody(repo, prCommits) : pr.title);
    newCommits.push(
      writeCommit(repo.gitDir, {
        tree: merged.tree,
        parents: squash ? [baseSha] : [baseSha, headSha],
        message: body ? `${title}\n\n${body}` : title,
        author,
        committer,
      }),
    );
  }
  const mergeCommitSha = newCommits.at(-1) ?? baseSha;
  if (!moveRef(state, repo, `refs/heads/${pr.baseRef}`, mergeCommitSha, baseSha)) {
    throw new HttpError(409, 'Base branch was modified. Review and try the merge again.');
  }

  pr.state = 'closed';
  pr.headSha = headSha;
  pr.baseSha = baseSha;
  pr.mergedAt = state.now();
  pr.closedAt = pr.mergedAt;
  pr.updatedAt = pr.mergedAt;
  pr.mergedBy = request.by;
  pr.mergeCommitSha = mergeCommitSha;
  pr.mergedCommits = prCommits;
  emitPullEvent(state, repo, pr, 'closed', request.by);
  return { mergeCommitSha, baseShaBefore: baseSha, newCommits };
}

function squashBody(repo: RepoRecord, commits: string[]): string {
  return commits.map((sha) => `* ${readCommit(repo.gitDir, sha)?.message.trim() ?? sha}`).join('\n\n');
}
