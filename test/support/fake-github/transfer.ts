// Transferring a repository to another owner on the fake GitHub: the id stays,
// owner and full name change everywhere GitHub answers them, and the repository
// moves to the new owner's installation. The old name stops resolving (the
// strict case: as once GitHub's redirect is gone or the name is taken).
import { repositoryJson, userJson } from './shapes/accounts.ts';
import type { FakeState, RepoRecord } from './state.ts';

export interface TransferredRepo {
  id: number;
  oldFullName: string;
  fullName: string;
  oldInstallationId: number;
  installationId: number;
  /**
   * What GitHub sends, in order: `repository.transferred`, then (when the
   * installation changed) `installation_repositories` removed from the old
   * installation and added to the new one.
   */
  webhooks: { name: 'repository' | 'installation_repositories'; payload: Record<string, unknown> & { action: string } }[];
}

export function transferRepo(state: FakeState, repo: RepoRecord, newOwner: string, installationId: number): TransferredRepo {
  if (!/^[A-Za-z0-9-]+$/.test(newOwner)) throw new Error(`not an owner: ${newOwner}`);
  const oldFullName = repo.fullName;
  const oldOwner = repo.owner;
  const oldInstallationId = repo.installationId;
  const newFullName = `${newOwner}/${repo.name}`;
  if (state.repos.get(newFullName.toLowerCase())) throw new Error(`repository ${newFullName} exists`);
  if (!state.installations.has(installationId)) {
    state.installations.set(installationId, { id: installationId, account: newOwner, createdAt: state.now() });
  }
  state.repos.delete(oldFullName.toLowerCase());
  repo.owner = newOwner;
  repo.fullName = newFullName;
  repo.installationId = installationId;
  state.repos.set(newFullName.toLowerCase(), repo);

  const json = repositoryJson(state.urls, repo);
  const ref = { id: repo.id, node_id: json.node_id, name: repo.name, full_name: newFullName, private: repo.private };
  const installationRef = (id: number) => {
    const installation = state.installations.get(id)!;
    return { id, account: userJson(state.urls, installation.account), repository_selection: 'selected' };
  };
  const webhooks: TransferredRepo['webhooks'] = [
    {
      name: 'repository',
      payload: {
        action: 'transferred',
        changes: { owner: { from: { user: userJson(state.urls, oldOwner) } } },
        repository: json,
        installation: { id: installationId },
        sender: userJson(state.urls, newOwner),
      },
    },
  ];
  if (installationId !== oldInstallationId) {
    webhooks.push(
      {
        name: 'installation_repositories',
        payload: { action: 'removed', installation: installationRef(oldInstallationId), repository_selection: 'selected', repositories_added: [], repositories_removed: [{ ...ref, full_name: oldFullName }], requester: null, sender: userJson(state.urls, oldOwner) },
      },
      {
        name: 'installation_repositories',
        payload: { action: 'added', installation: installationRef(installationId), repository_selection: 'selected', repositories_added: [ref], repositories_removed: [], requester: null, sender: userJson(state.urls, newOwner) },
      },
    );
  }
  return { id: repo.id, oldFullName, fullName: newFullName, oldInstallationId, installationId, webhooks };
}
