// The PBI's cascade lock (S13/S17): one transaction-scoped advisory lock per
// PBI, taken by everything that must not interleave with a cascade opening in
// that PBI — a failing status call (before it locks its own job row), the
// cascade's start, an enqueue and a story PR's creation (each before it checks
// for an open cascade). Whoever takes it second waits for the first to commit,
// so it either runs wholly before the cascade opens (and is undone by it) or
// sees the open cascade and stops.
import type { Prisma } from '../../generated/prisma/client.ts';

/** The lock's key, as SQL text hashed by PostgreSQL (one definition). */
export const pbiLockKey = (pbiId: string) => `cascade:${pbiId}`;

/**
 * Takes the PBI's cascade lock until the transaction ends (re-entrant within
 * one transaction). Lock order: this lock first, then any row lock.
 */
export async function lockPbiForCascade(tx: Pick<Prisma.TransactionClient, '$executeRaw'>, pbiId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${pbiLockKey(pbiId)}))`;
}
