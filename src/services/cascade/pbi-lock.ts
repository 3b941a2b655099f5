// The PBI's cascade lock (S13/S17): one transaction-scoped advisory lock per
// PBI, taken by everything that must not interleave with a cascade opening in
// that PBI — a failing status call (before it locks its own job row), the
// cascade's start, an enqueue and a story PR's creation (each before it checks
// for an open cascade). Whoever takes it second waits for the first to commit,
// so it either runs wholly before the cascade opens (and is undone by it) or
// sees the open cascade and stops. The SQL: src/db/sql/advisory-locks.ts.
import { pbiCascadeLockKey, transactionLockSql } from '../../db/sql/advisory-locks.ts';
import type { Prisma } from '../../generated/prisma/client.ts';

/** The lock's key, as SQL text hashed by PostgreSQL (one definition). */
export const pbiLockKey = pbiCascadeLockKey;

/**
 * Takes the PBI's cascade lock until the transaction ends (re-entrant within
 * one transaction). Lock order: this lock first, then any row lock.
 */
export async function lockPbiForCascade(tx: Pick<Prisma.TransactionClient, '$executeRawUnsafe'>, pbiId: string): Promise<void> {
  await tx.$executeRawUnsafe(transactionLockSql, pbiLockKey(pbiId));
}
