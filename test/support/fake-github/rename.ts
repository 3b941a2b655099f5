// Renaming a repository on the fake GitHub, as an owner does in its settings:
// the id stays, the name changes everywhere GitHub answers it (pulls' head and
// base repos, repository JSON, links); the old name keeps resolving (GitHub
// redirects it) unless the test says it is gone or taken.
import { repositoryJson } from './shapes/accounts.ts';
import type { FakeState, RepoRecord } from './state.ts';

export interface RenameRepoOptions {
  /** Keep answering the old name, as GitHub's redirect does for a client that follows it (default true). */
  redirectOldName?: boolean;
}

export interface RenamedRepo {
  id: number;
  oldFullName: string;
  fullName: string;
  /** The `repository` webhook (action `renamed`) GitHub sends, to deliver to the app when a test wants it. */
  webhook: { name: 'repository'; payload: Record<string, unknown> & { action: 'renamed' } };
}

/** Old names that still resolve, per state (a redirect); kept outside FakeState so it stays additive. */
const redirects = new WeakMap<FakeState, Map<string, RepoRecord>>();

export function renameRepo(state: FakeState, repo: RepoRecord, newName: string, options: RenameRepoOptions = {}): RenamedRepo {
  if (!/^[A-Za-z0-9._-]+$/.test(newName)) throw new Error(`not a repository name: ${newName}`);
  const oldFullName = repo.fullName;
  const oldName = repo.name;
  const newFullName = `${repo.owner}/${newName}`;
  const taken = state.repos.get(newFullName.toLowerCase());
  if (taken && taken !== repo) throw new Error(`repository ${newFullName} exists`);
  state.repos.delete(oldFullName.toLowerCase());
  repo.name = newName;
  repo.fullName = newFullName;
  state.repos.set(newFullName.toLowerCase(), repo);
  const aliases = redirects.get(state) ?? new Map<string, RepoRecord>();
  redirects.set(state, aliases);
  aliases.delete(newFullName.toLowerCase());
  if (options.redirectOldName ?? true) aliases.set(oldFullName.toLowerCase(), repo);
  return {
    id: repo.id,
    oldFullName,
    fullName: newFullName,
    webhook: {
      name: 'repository',
      payload: {
        action: 'renamed',
        changes: { repository: { name: { from: oldName } } },
        repository: repositoryJson(state.urls, repo),
        installation: { id: repo.installationId },
      },
    },
  };
}

/** The repository an old (renamed-away) name still redirects to, if any. */
export function redirectedRepo(state: FakeState, owner: string, name: string): RepoRecord | undefined {
  return redirects.get(state)?.get(`${owner}/${name}`.toLowerCase());
}
