// A product's repository is its GitHub id; its name is what GitHub last told us.
// These statements find a product by repository and carry a rename or transfer
// into the rows that hold the name (the product, its PR records, its jobs' PR URLs).
// Plain SQL so the webhook paths (pg transactions) and the installation events
// (Prisma transactions) share one definition; src/services/products/repository-identity.ts
// decides when they run.

/** Columns of a product's repository identity; bigint as text, the zone-less timestamp as UTC. */
const identityColumns = `id, repo, repo_key, github_repo_id::text AS github_repo_id, repo_updated_at AT TIME ZONE 'UTC' AS repo_updated_at`;

/**
 * The product of a repository: the one with its id; otherwise one that does not
 * know its id yet and holds one of the names ($2: lower-cased names). Never a
 * product that knows a different id: a name can pass to a new repository.
 */
export const productOfRepositorySql = `SELECT ${identityColumns} FROM products
  WHERE github_repo_id = $1::bigint OR (github_repo_id IS NULL AND repo_key = ANY($2::text[]))
  ORDER BY github_repo_id IS NULL LIMIT 1`;

/** The product's identity, locked until the transaction ends: two deliveries of one rename apply in turn. */
export const lockProductIdentitySql = `SELECT ${identityColumns} FROM products WHERE id = $1 FOR UPDATE`;

/** Whether another product knows this repository id already (then ours must not claim it). */
export const productWithRepositoryIdSql = `SELECT ${identityColumns} FROM products WHERE github_repo_id = $1::bigint AND id <> $2`;

/** Another product holding the name ($1: lower-cased), whose hold may be stale. */
export const productHoldingNameSql = `SELECT ${identityColumns} FROM products WHERE repo_key = $1 AND id <> $2 FOR UPDATE`;

/**
 * Frees a name held by a product whose repository GitHub says is elsewhere now
 * (renamed away while we missed it): its repo_key stops matching names, its id
 * still matches; it learns its new name from its repository's next news.
 */
export const releaseStaleNameSql = `UPDATE products SET repo_key = repo_key || '#' || id WHERE id = $1`;

/** The product's repository as now known ($4: GitHub's updated_at of the news, null when it had none). */
export const saveProductIdentitySql = `UPDATE products
  SET repo = $2::text, repo_key = lower($2::text), github_repo_id = $3::bigint,
      repo_updated_at = CASE WHEN $4::timestamp(3) IS NULL THEN repo_updated_at ELSE GREATEST(repo_updated_at, $4::timestamp(3)) END
  WHERE id = $1
  RETURNING ${identityColumns}`;

/** `/{old}/pull/` → `/{new}/pull/` in a PR URL ($2 old, $3 new full name), case-insensitive as GitHub's names. */
const renamedUrl = (column: string) =>
  `CASE WHEN strpos(lower(${column}), lower('/' || $2::text || '/pull/')) > 0
     THEN left(${column}, strpos(lower(${column}), lower('/' || $2::text || '/pull/'))) || $3::text
          || substr(${column}, strpos(lower(${column}), lower('/' || $2::text || '/pull/')) + 1 + length($2::text))
     ELSE ${column} END`;

/**
 * The product's PR records follow the rename: every one is a PR of the product's
 * repository (record-pull-request.ts records no other), its head too when the
 * head is that repository ($4: its id; a record without head id by old name).
 */
export const renamePullRequestsSql = `UPDATE pull_requests
  SET repo = $3::text, html_url = ${renamedUrl('html_url')},
      head_repo = CASE WHEN head_repo_id = $4::bigint OR (head_repo_id IS NULL AND lower(head_repo) = lower($2::text)) THEN $3::text ELSE head_repo END,
      updated_at = now()
  WHERE product_id = $1 AND (repo <> $3::text OR strpos(lower(html_url), lower('/' || $2::text || '/pull/')) > 0)`;

/** The product's jobs' PR URLs follow the rename. */
export const renameJobPullRequestUrlsSql = `UPDATE jobs SET pr_url = ${renamedUrl('pr_url')}, updated_at = now()
  WHERE product_id = $1 AND strpos(lower(pr_url), lower('/' || $2::text || '/pull/')) > 0`;
