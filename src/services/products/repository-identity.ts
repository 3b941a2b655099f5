// A product's repository is its GitHub id (SPEC §6): a rename or transfer changes
// its name, never its identity. Every answer and payload that names the repository
// is news of its current name; this module decides what the news changes and
// applies it (statements in src/db/sql/repository-identity.ts):
//   - a product is found by id; by name only while it does not know its id
//     (products added before ids were kept learn it from the first news that
//     names them: a webhook, a reconcile's read);
//   - a name never goes back to an older one: news carries GitHub's updated_at
//     of the repository, and a name older than the one held is ignored. A
//     rename event and a fresh read win a tie; a payload of another event needs
//     a newer time (a late or redelivered one may predate the rename). News
//     without a time (installation events) renames only a product that holds none.
import type { Queryable } from '../../db/queryable.ts';
import {
  lockProductIdentitySql,
  productHoldingNameSql,
  productOfRepositorySql,
  productWithRepositoryIdSql,
  releaseStaleNameSql,
  renameJobPullRequestUrlsSql,
  renamePullRequestsSql,
  saveProductIdentitySql,
} from '../../db/sql/repository-identity.ts';
import type { Prisma } from '../../generated/prisma/client.ts';

/** What GitHub said about a repository, and how fresh that is. */
export interface RepositoryNews {
  id: number | bigint;
  /** "owner/name" as GitHub spells it now */
  fullName: string;
  /** GitHub's updated_at of the repository in the answer or payload; null when it has none */
  updatedAt: Date | null;
  /**
   * `event`: a repository.renamed / transferred delivery; `read`: a fresh answer
   * from GitHub; `payload`: the repository in another webhook's payload.
   */
  source: 'event' | 'read' | 'payload';
}

/** The part of a product its repository identity is. */
export interface ProductIdentity {
  id: string;
  repo: string;
  github_repo_id: bigint | null;
  repo_updated_at: Date | null;
}

export interface Adoption {
  product: ProductIdentity;
  renamed: { from: string; to: string } | null;
  /** the repository id was learnt now */
  learntId: boolean;
  /** other products whose (stale) hold on the new name was released */
  released: string[];
}

type IdentityRow = { id: string; repo: string; repo_key: string; github_repo_id: string | null; repo_updated_at: Date | null };
const identityOf = (row: IdentityRow): ProductIdentity => ({
  id: row.id,
  repo: row.repo,
  github_repo_id: row.github_repo_id === null ? null : BigInt(row.github_repo_id),
  repo_updated_at: row.repo_updated_at,
});

/** The statements' connection: a pg pool or client, or a Prisma transaction (prismaSql). */
export interface IdentitySql {
  /** `name`: a prepared statement's, for the hot path (pg only) */
  query(statement: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

export const pgSql = (sql: Queryable): IdentitySql => ({ query: (statement) => sql.query(statement) });

/** A Prisma transaction as IdentitySql: the installation events run on one. */
export const prismaSql = (tx: Pick<Prisma.TransactionClient, '$queryRawUnsafe'>): IdentitySql => ({
  query: async ({ text, values }) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...values) }),
});

async function rowsOf(sql: IdentitySql, text: string, values: unknown[], name?: string): Promise<IdentityRow[]> {
  return (await sql.query(name === undefined ? { text, values } : { name, text, values })).rows as IdentityRow[];
}

const sqlTime = (at: Date | null) => (at === null ? null : at.toISOString());

/** Whether the news is at least as fresh as the name held (see the module comment). */
function fresherName(held: Date | null, news: RepositoryNews): boolean {
  if (held === null) return true;
  if (news.updatedAt === null) return false;
  return news.source === 'payload' ? news.updatedAt > held : news.updatedAt >= held;
}

/** Whether a repository GitHub names is the product's: by id; by name only while the product does not know its id. */
export function isProductRepository(product: Pick<ProductIdentity, 'repo' | 'github_repo_id'>, repository: { id: number | bigint; fullName: string }): boolean {
  if (product.github_repo_id !== null) return product.github_repo_id === BigInt(repository.id);
  return product.repo.toLowerCase() === repository.fullName.toLowerCase();
}

/**
 * What the news changes for the product: null when nothing (another repository's
 * news, the same name, or an older name).
 */
export function identityChange(product: ProductIdentity, news: RepositoryNews): { learnsId: boolean; renames: boolean } | null {
  const id = BigInt(news.id);
  if (product.github_repo_id !== null && product.github_repo_id !== id) return null;
  const learnsId = product.github_repo_id === null;
  const renames = product.repo !== news.fullName && fresherName(product.repo_updated_at, news);
  return learnsId || renames ? { learnsId, renames } : null;
}

/**
 * The product of a repository: by id, or by one of `names` ("owner/name") among
 * products that do not know their id yet.
 */
export async function findProductOfRepository(sql: IdentitySql, repository: { id: number | bigint; names: string[] }): Promise<ProductIdentity | null> {
  const names = repository.names.map((name) => name.toLowerCase());
  // every pull_request delivery asks this: a prepared statement
  const rows = await rowsOf(sql, productOfRepositorySql, [String(repository.id), names], 'product-of-repository');
  return rows[0] ? identityOf(rows[0]) : null;
}

/**
 * Applies news of the product's repository in the caller's transaction: the
 * product row is locked and the decision taken again on what it holds now. A
 * rename carries into the product's PR records and its jobs' PR URLs. A name
 * held by another product whose repository GitHub says is elsewhere is
 * released from it (unless that product's hold is newer than the news).
 */
export async function adoptRepository(sql: IdentitySql, productId: string, news: RepositoryNews): Promise<Adoption> {
  const [locked] = await rowsOf(sql, lockProductIdentitySql, [productId]);
  if (!locked) throw new Error(`product ${productId} not found`);
  const held = identityOf(locked);
  const unchanged: Adoption = { product: held, renamed: null, learntId: false, released: [] };
  const change = identityChange(held, news);
  if (!change) return unchanged;
  const id = BigInt(news.id);
  if (change.learnsId && (await rowsOf(sql, productWithRepositoryIdSql, [String(id), productId])).length > 0) {
    // another product is this repository; ours matched by a name that moved on
    return unchanged;
  }
  let renames = change.renames;
  const released: string[] = [];
  const newKey = news.fullName.toLowerCase();
  if (renames && newKey !== locked.repo_key) {
    for (const holder of await rowsOf(sql, productHoldingNameSql, [newKey, productId])) {
      const holderAt = holder.repo_updated_at;
      if (holderAt !== null && news.updatedAt !== null && holderAt > news.updatedAt) {
        renames = false;
        break;
      }
      await sql.query({ text: releaseStaleNameSql, values: [holder.id] });
      released.push(holder.id);
    }
  }
  if (!renames && !change.learnsId) return unchanged;
  const name = renames ? news.fullName : held.repo;
  const [saved] = await rowsOf(sql, saveProductIdentitySql, [productId, name, String(id), name === news.fullName ? sqlTime(news.updatedAt) : null]);
  if (renames) {
    await sql.query({ text: renamePullRequestsSql, values: [productId, held.repo, name, String(id)] });
    await sql.query({ text: renameJobPullRequestUrlsSql, values: [productId, held.repo, name] });
  }
  return { product: identityOf(saved!), renamed: renames ? { from: held.repo, to: name } : null, learntId: change.learnsId, released };
}
