// `installation` and `installation_repositories` webhooks: keep each
// installation's state and bind products to the installation that reaches
// their repository. A product whose repository the app lost is marked
// (repo_removed_at) and its GitHub work is refused with a reason (github-access.ts).
// Repositories are matched by id; by name only for a product that does not know
// its id, which it learns here. These payloads carry no time for a name, so a
// product renames from them only while it holds no name time (repository-identity.ts).
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { AppServices } from '../app-services.ts';
import { adoptRepository, identityChange, isProductRepository, prismaSql } from '../products/repository-identity.ts';
import { onceForDelivery, type Delivery, type Tx } from '../pull-requests/deliveries.ts';

type InstallationPayload = EmitterWebhookEvent<'installation'>['payload'];
type InstallationRepositoriesPayload = EmitterWebhookEvent<'installation_repositories'>['payload'];
type Installation = InstallationPayload['installation'];
type RepositoryRef = { id: number; full_name: string };

export type InstallationOutcome =
  | { kind: 'duplicate' }
  | { kind: 'applied'; installationId: number; bound: string[]; marked: string[] };

export async function applyInstallationEvent(services: Pick<AppServices, 'prisma'>, delivery: Delivery, payload: InstallationPayload): Promise<InstallationOutcome> {
  const installation = payload.installation;
  const id = BigInt(installation.id);
  const done = await onceForDelivery(services.prisma, delivery, async (tx) => {
    const now = new Date();
    switch (payload.action) {
      case 'created':
        await saveInstallation(tx, installation, { deleted_at: null, suspended_at: null });
        return { bound: await bindRepositories(tx, id, payload.repositories ?? []), marked: [] };
      case 'deleted': {
        await saveInstallation(tx, installation, { deleted_at: now });
        const lost = await tx.product.findMany({ where: { installation_id: id, repo_removed_at: null }, select: { id: true } });
        await tx.product.updateMany({ where: { id: { in: lost.map((p) => p.id) } }, data: { repo_removed_at: now } });
        return { bound: [], marked: lost.map((p) => p.id) };
      }
      case 'suspend':
        await saveInstallation(tx, installation, { suspended_at: installation.suspended_at ? new Date(installation.suspended_at) : now });
        return { bound: [], marked: [] };
      case 'unsuspend':
        await saveInstallation(tx, installation, { suspended_at: null });
        return { bound: [], marked: [] };
      default:
        // new_permissions_accepted: nothing we keep changes
        await saveInstallation(tx, installation, {});
        return { bound: [], marked: [] };
    }
  });
  if (done.duplicate) return { kind: 'duplicate' };
  return { kind: 'applied', installationId: installation.id, ...done.result };
}

export async function applyInstallationRepositoriesEvent(
  services: Pick<AppServices, 'prisma'>,
  delivery: Delivery,
  payload: InstallationRepositoriesPayload,
): Promise<InstallationOutcome> {
  const id = BigInt(payload.installation.id);
  const done = await onceForDelivery(services.prisma, delivery, async (tx) => {
    await saveInstallation(tx, payload.installation, {});
    const bound = await bindRepositories(tx, id, payload.repositories_added);
    const removed = (payload.repositories_removed as { id?: number; full_name?: string }[]).filter(isRepositoryRef);
    const lost = removed.length === 0 ? [] : await tx.product.findMany({ where: { installation_id: id, repo_removed_at: null, ...matching(removed) }, select: { id: true } });
    if (lost.length > 0) await tx.product.updateMany({ where: { id: { in: lost.map((p) => p.id) } }, data: { repo_removed_at: new Date() } });
    return { bound, marked: lost.map((p) => p.id) };
  });
  if (done.duplicate) return { kind: 'duplicate' };
  return { kind: 'applied', installationId: payload.installation.id, ...done.result };
}

async function saveInstallation(tx: Tx, installation: Pick<Installation, 'id' | 'account'>, state: { suspended_at?: Date | null; deleted_at?: Date | null }): Promise<void> {
  const account = installation.account;
  const accountLogin = (account && 'login' in account ? account.login : account?.slug) ?? `installation ${installation.id}`;
  await tx.installation.upsert({
    where: { id: BigInt(installation.id) },
    create: { id: BigInt(installation.id), account_login: accountLogin, suspended_at: state.suspended_at ?? null, deleted_at: state.deleted_at ?? null },
    update: { account_login: accountLogin, ...state },
  });
}

/** Products of these repositories now belong to the installation, and are reachable again. */
async function bindRepositories(tx: Tx, installationId: bigint, repositories: RepositoryRef[]): Promise<string[]> {
  if (repositories.length === 0) return [];
  const products = await tx.product.findMany({ where: matching(repositories), select: { id: true, repo: true, github_repo_id: true, repo_updated_at: true } });
  if (products.length === 0) return [];
  await tx.product.updateMany({ where: { id: { in: products.map((p) => p.id) } }, data: { installation_id: installationId, repo_removed_at: null } });
  for (const product of products) {
    const repository = repositories.find((r) => isProductRepository(product, { id: r.id, fullName: r.full_name }));
    const news = repository && ({ id: repository.id, fullName: repository.full_name, updatedAt: null, source: 'payload' } as const);
    if (news && identityChange(product, news)) await adoptRepository(prismaSql(tx), product.id, news);
  }
  return products.map((p) => p.id);
}

// in an `added` event the removed list's entries are typed all-optional
const isRepositoryRef = (r: { id?: number; full_name?: string }): r is RepositoryRef => typeof r.id === 'number' && typeof r.full_name === 'string';

/**
 * A repository is known by its id, or by its name for products added before we
 * learnt the id: never by name for a product that knows another id (the name
 * may have passed to a new repository).
 */
function matching(repositories: RepositoryRef[]) {
  return {
    OR: [
      { github_repo_id: { in: repositories.map((r) => BigInt(r.id)) } },
      { github_repo_id: null, repo_key: { in: repositories.map((r) => r.full_name.toLowerCase()) } },
    ],
  };
}
