// GitHub's own response types (from Probot's Octokit), so every field the fake writes is named as GitHub names it.
import type { ProbotOctokit } from 'probot';

type Rest = ProbotOctokit['rest'];
type DataOf<F> = F extends (...args: never[]) => Promise<{ data: infer D }> ? D : never;

/**
 * Any subset of a GitHub type, checked deeply: a misspelt or invented field is a
 * compile error, a field the fake does not fill is allowed.
 */
export type Shape<T> = T extends readonly (infer E)[]
  ? Shape<E>[]
  : T extends object
    ? { [K in keyof T]?: Shape<T[K]> }
    : T;

export type SimpleUser = NonNullable<DataOf<Rest['pulls']['get']>['user']>;
export type Repository = DataOf<Rest['repos']['get']>;
export type Installation = DataOf<Rest['apps']['getInstallation']>;
export type InstallationToken = DataOf<Rest['apps']['createInstallationAccessToken']>;
export type GitRef = DataOf<Rest['git']['getRef']>;
export type GitCommit = DataOf<Rest['git']['getCommit']>;
export type GitTree = DataOf<Rest['git']['getTree']>;
export type GitBlobCreated = DataOf<Rest['git']['createBlob']>;
export type RepoCommit = DataOf<Rest['repos']['getCommit']>;
export type Comparison = DataOf<Rest['repos']['compareCommitsWithBasehead']>;
export type BranchWithProtection = DataOf<Rest['repos']['getBranch']>;
export type BranchProtection = DataOf<Rest['repos']['getBranchProtection']>;
export type PullRequest = DataOf<Rest['pulls']['get']>;
export type PullMergeResult = DataOf<Rest['pulls']['merge']>;
export type IssueComment = DataOf<Rest['issues']['createComment']>;
export type CheckRun = DataOf<Rest['checks']['get']>;
