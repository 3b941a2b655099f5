// JSON for pull requests, issue comments and check runs, shaped like GitHub's answers.
import type { CheckRunRecord, CommentRecord, FakeState, PullRecord, RepoRecord } from '../state.ts';
import type { CheckRun, IssueComment, PullRequest, Shape } from '../github-types.ts';
import { repositoryJson, userJson, type Urls } from './accounts.ts';

/** What a PR's JSON needs from git at the moment it is shown. */
export interface PullFigures {
  baseSha: string;
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
  mergeable: boolean | null;
}

export function pullJson(urls: Urls, repo: RepoRecord, pr: PullRecord, figures: PullFigures): Shape<PullRequest> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const html = `${urls.html}/${repo.fullName}/pull/${pr.number}`;
  const repository = repositoryJson(urls, repo);
  const owner = userJson(urls, repo.owner);
  return {
    url: `${api}/pulls/${pr.number}`,
    id: pr.id,
    node_id: Buffer.from(`PullRequest${pr.id}`).toString('base64'),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${pr.headSha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(urls, pr.user),
    body: pr.body,
    labels: [],
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    milestone: null,
    head: {
      label: `${repo.owner}:${pr.headRef}`,
      ref: pr.headRef,
      sha: pr.headSha,
      user: owner,
      repo: repository,
    },
    base: {
      label: `${repo.owner}:${pr.baseRef}`,
      ref: pr.baseRef,
      sha: figures.baseSha,
      user: owner,
      repo: repository,
    },
    author_association: 'NONE',
    auto_merge: null,
    draft: pr.draft,
    merged: pr.mergedAt !== null,
    mergeable: figures.mergeable,
    mergeable_state: figures.mergeable === false ? 'dirty' : figures.mergeable === null ? 'unknown' : 'clean',
    merged_by: pr.mergedBy === null ? null : userJson(urls, pr.mergedBy),
    comments: repo.comments.filter((comment) => comment.issueNumber === pr.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: figures.commits,
    additions: figures.additions,
    deletions: figures.deletions,
    changed_files: figures.changedFiles,
  };
}

export function commentJson(urls: Urls, repo: RepoRecord, comment: CommentRecord): Shape<IssueComment> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: comment.id,
    node_id: Buffer.from(`IssueComment${comment.id}`).toString('base64'),
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${urls.html}/${repo.fullName}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(urls, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: 'NONE',
  };
}

export function checkRunJson(urls: Urls, state: FakeState, repo: RepoRecord, run: CheckRunRecord): Shape<CheckRun> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: run.id,
    node_id: Buffer.from(`CheckRun${run.id}`).toString('base64'),
    head_sha: run.headSha,
    external_id: run.externalId,
    url: `${api}/check-runs/${run.id}`,
    html_url: `${urls.html}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion as Shape<CheckRun>['conclusion'],
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: 0,
      annotations_url: `${api}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id },
    app: {
      id: state.app.id,
      slug: state.app.slug,
      name: state.app.name,
      owner: userJson(urls, state.app.owner),
    },
    pull_requests: repo.pulls
      .filter((pr) => pr.state === 'open' && pr.headSha === run.headSha)
      .map((pr) => ({
        id: pr.id,
        number: pr.number,
        url: `${api}/pulls/${pr.number}`,
        head: { ref: pr.headRef, sha: pr.headSha, repo: { id: repo.id, url: api, name: repo.name } },
        base: { ref: pr.baseRef, sha: pr.baseSha, repo: { id: repo.id, url: api, name: repo.name } },
      })),
  };
}
