// The transaction-scoped advisory locks, all in one place so their keys are
// seen side by side and never meet. Why hand-written: Prisma has no word for
// advisory locks. Each is one-key (hashtext of a text key, prefixed by its
// concept); the cascade step's session lock uses the two-key form
// (cascade-step-lock.ts), so the two kinds never collide.
//   - `cascade:<pbi id>`: the PBI's cascade lock (services/cascade/pbi-lock.ts);
//   - `backlog:<product id>`: a product's backlog import (branch names stay unique);
//   - `scrum4me:prices`: the writers of the price table (PUT and the prices file at start).
//   - `slots:<product id>`: transactions freeing slots of a product's max_active_jobs, taken by
//     the jobs_free_slot trigger (migration 20261203151326; SQL only, so no function here).

/** $1 the lock's key (text). Held until the transaction ends; re-entrant within it. */
export const transactionLockSql = 'SELECT pg_advisory_xact_lock(hashtext($1::text))';

export const pbiCascadeLockKey = (pbiId: string) => `cascade:${pbiId}`;
export const backlogImportLockKey = (productId: string) => `backlog:${productId}`;
export const priceWriteLockKey = 'scrum4me:prices';
