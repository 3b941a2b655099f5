// `repository` webhooks, renamed and transferred: the repository keeps its id and
// changes its name, so the product of that id takes the new name (and its PR
// records and jobs' PR URLs with it) and every later GitHub call uses it.
// A product is matched by id; by its former name only while it does not know
// its id (it learns it here). Which installation reaches the repository after a
// transfer is told by the installation_repositories events (installation-events.ts).
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { AppServices } from '../app-services.ts';
import { adoptRepository, findProductOfRepository, pgSql, type Adoption } from '../products/repository-identity.ts';
import { onceForDeliverySql, type Delivery } from '../pull-requests/deliveries.ts';

type RenamedPayload = EmitterWebhookEvent<'repository.renamed'>['payload'];
type TransferredPayload = EmitterWebhookEvent<'repository.transferred'>['payload'];
export type RepositoryEventPayload = RenamedPayload | TransferredPayload;

export type RepositoryOutcome =
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unchanged'; productId: string }
  | { kind: 'applied'; productId: string; renamed: Adoption['renamed']; learntId: boolean; released: string[] };

/** "owner/name" before the event. */
export function formerFullName(payload: RepositoryEventPayload): string {
  const { repository } = payload;
  if (payload.action === 'renamed') return `${repository.owner.login}/${payload.changes.repository.name.from}`;
  const from = payload.changes.owner.from;
  const owner = from.organization?.login ?? from.user?.login ?? repository.owner.login;
  return `${owner}/${repository.name}`;
}

export async function applyRepositoryEvent(services: Pick<AppServices, 'pool'>, delivery: Delivery, payload: RepositoryEventPayload): Promise<RepositoryOutcome> {
  const { repository } = payload;
  const former = formerFullName(payload);
  const found = await findProductOfRepository(pgSql(services.pool), { id: repository.id, names: [former, repository.full_name] });
  if (!found) return { kind: 'ignored', reason: `no product for repository ${repository.id} (${former} → ${repository.full_name})` };
  const done = await onceForDeliverySql(services.pool, delivery, (sql) =>
    adoptRepository(pgSql(sql), found.id, {
      id: repository.id,
      fullName: repository.full_name,
      updatedAt: repository.updated_at ? new Date(repository.updated_at) : null,
      source: 'event',
    }),
  );
  if (done.duplicate) return { kind: 'duplicate' };
  const adoption = done.result;
  if (!adoption.renamed && !adoption.learntId) return { kind: 'unchanged', productId: found.id };
  return { kind: 'applied', productId: found.id, renamed: adoption.renamed, learntId: adoption.learntId, released: adoption.released };
}
