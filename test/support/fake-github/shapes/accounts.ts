// JSON for users, repositories and installations, shaped like GitHub's answers.
import type { FakeState, InstallationRecord, RepoRecord } from '../state.ts';
import type { Installation, Repository, Shape, SimpleUser } from '../github-types.ts';

/** Where the answer's links point: the API root the request used, and the web root. */
export interface Urls {
  api: string;
  html: string;
}

export const APP_PERMISSIONS = {
  contents: 'write',
  pull_requests: 'write',
  checks: 'write',
  issues: 'write',
  metadata: 'read',
} as const;

export function userJson(urls: Urls, login: string, id = stableId(login)) {
  const bot = login.endsWith('[bot]');
  return {
    login,
    id,
    node_id: Buffer.from(`User${id}`).toString('base64'),
    avatar_url: `${urls.html}/avatars/${login}`,
    url: `${urls.api}/users/${login}`,
    html_url: `${urls.html}/${bot ? `apps/${login.replace('[bot]', '')}` : login}`,
    type: bot ? 'Bot' : 'User',
    site_admin: false,
  } satisfies Shape<SimpleUser>;
}

/** Ids for people the fake never registered, stable across calls. */
function stableId(login: string): number {
  let hash = 7;
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  return 100_000 + hash;
}

export function repositoryJson(urls: Urls, repo: RepoRecord) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    owner: userJson(urls, repo.owner),
    html_url: `${urls.html}/${repo.fullName}`,
    url: api,
    git_url: `git://fake-github/${repo.fullName}.git`,
    clone_url: `${urls.html}/${repo.fullName}.git`,
    pulls_url: `${api}/pulls{/number}`,
    fork: false,
    archived: false,
    disabled: false,
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: false,
  } satisfies Shape<Repository>;
}

export function installationJson(urls: Urls, state: FakeState, installation: InstallationRecord): Shape<Installation> {
  return {
    id: installation.id,
    account: userJson(urls, installation.account),
    repository_selection: 'all',
    access_tokens_url: `${urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.html}/settings/installations/${installation.id}`,
    app_id: state.app.id,
    app_slug: state.app.slug,
    target_id: installation.id,
    target_type: 'Organization',
    permissions: { ...APP_PERMISSIONS },
    events: ['pull_request', 'check_run', 'installation', 'installation_repositories'],
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}
