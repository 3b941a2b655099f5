// The stored price tables (SPEC §11): GET answers the newest, PUT and the
// prices file add a new one (the old ones stay: costs priced with them stay
// explained). A start with an unchanged file adds nothing.
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../db/client.ts';
import { priceWriteLockKey, transactionLockSql } from '../../db/sql/advisory-locks.ts';
import type { Queryable } from '../../db/queryable.ts';
import type { Logger } from '../../logger.ts';
import { priceCacheFor } from './price-book.ts';
import type { PriceEntryInput, PriceTableView } from './price-schema.ts';

/** Stable over JSON formatting and key order: what makes two tables the same. */
export function priceDigest(entries: PriceEntryInput[]): string {
  const canonical = entries.map((e) => [e.model, String(e.input), String(e.output), String(e.cache_read), String(e.cache_write)]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export async function getPrices(prisma: PrismaClient): Promise<PriceTableView> {
  const table = await prisma.priceTable.findFirst({ orderBy: { id: 'desc' }, include: { entries: { orderBy: { position: 'asc' } } } });
  return {
    // NUMERIC(13,6) holds at most 13 significant digits: a number shows it exactly
    prices: (table?.entries ?? []).map((e) => ({
      model: e.model,
      input: Number(e.input),
      output: Number(e.output),
      cache_read: Number(e.cache_read),
      cache_write: Number(e.cache_write),
    })),
  };
}

/**
 * Stores `entries` as the table in force, unless the newest table already has
 * exactly them (`onlyIfChanged`, the start-up). Returns whether a table was added.
 */
export async function storePrices(
  prisma: PrismaClient,
  pool: Queryable,
  entries: PriceEntryInput[],
  options: { source: 'api' | 'file'; onlyIfChanged?: boolean },
): Promise<boolean> {
  const digest = priceDigest(entries);
  const added = await prisma.$transaction(async (tx) => {
    // both writers (PUT, start-up) take it: two replicas starting with the same file add one table
    await tx.$executeRawUnsafe(transactionLockSql, priceWriteLockKey);
    if (options.onlyIfChanged) {
      const newest = await tx.priceTable.findFirst({ orderBy: { id: 'desc' }, select: { digest: true } });
      if (newest?.digest === digest) return false;
    }
    await tx.priceTable.create({
      data: {
        source: options.source,
        digest,
        entries: {
          create: entries.map((e, position) => ({
            position,
            model: e.model,
            input: String(e.input),
            output: String(e.output),
            cache_read: String(e.cache_read),
            cache_write: String(e.cache_write),
          })),
        },
      },
    });
    return true;
  });
  if (added) priceCacheFor(pool).invalidate();
  return added;
}

export async function replacePrices(prisma: PrismaClient, pool: Queryable, body: PriceTableView): Promise<PriceTableView> {
  await storePrices(prisma, pool, body.prices, { source: 'api' });
  return getPrices(prisma);
}

/** SCRUM4ME_PRICES_FILE at start: its table replaces the stored one when they differ. */
export async function syncPricesFromFile(prisma: PrismaClient, pool: Queryable, file: { path: string; entries: PriceEntryInput[] }, log: Logger): Promise<void> {
  const added = await storePrices(prisma, pool, file.entries, { source: 'file', onlyIfChanged: true });
  log.info({ file: file.path, entries: file.entries.length }, added ? 'prices: the prices file replaced the stored price table' : 'prices: the stored price table already matches the prices file');
}
