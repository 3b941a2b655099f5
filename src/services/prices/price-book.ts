// The price table in force, compiled for matching, and a small per-process
// cache of it. The status statements get the table id with the entry chosen
// here and refuse to write when that table is no longer the newest (another
// replica replaced it): the caller then reloads, so a stale copy never prices.
import picomatch from 'picomatch';
import type { Queryable } from '../../db/queryable.ts';
import { newestPriceTableStatement } from '../../db/sql/price-tables.ts';
import { runStatement, type SqlClient } from '../../db/sql/run-statement.ts';

export interface PriceBookEntry {
  position: number;
  model: string;
  /** NUMERIC as text: exact */
  input: string;
  output: string;
  cache_read: string;
  cache_write: string;
  matches(modelId: string): boolean;
}

export interface PriceBook {
  /** the newest price table, null when none was ever stored (every model unpriced) */
  tableId: string | null;
  entries: PriceBookEntry[];
}

/** What pricing a model gives: the table in force and its first matching entry (null: unpriced). */
export interface PriceChoice {
  tableId: string | null;
  position: number | null;
}

/** The first entry whose glob matches the model wins; no model or no match: unpriced. */
export function choosePrice(book: PriceBook, modelId: string | null | undefined): PriceChoice {
  const entry = modelId ? book.entries.find((e) => e.matches(modelId)) : undefined;
  return { tableId: book.tableId, position: entry?.position ?? null };
}

interface PriceRow {
  table_id: string | null;
  position: number | null;
  model: string | null;
  input: string | null;
  output: string | null;
  cache_read: string | null;
  cache_write: string | null;
}

export async function loadPriceBook(db: SqlClient): Promise<PriceBook> {
  const rows = await runStatement<PriceRow>(db, newestPriceTableStatement, []);
  const tableId = rows[0]?.table_id ?? null;
  const entries = rows
    .filter((row): row is PriceRow & { position: number; model: string } => row.position !== null && row.model !== null)
    .map((row) => ({
      position: row.position,
      model: row.model,
      input: row.input!,
      output: row.output!,
      cache_read: row.cache_read!,
      cache_write: row.cache_write!,
      matches: picomatch(row.model),
    }));
  return { tableId, entries };
}

export interface PriceCache {
  /** the cached table, loaded on first use */
  current(): Promise<PriceBook>;
  /** reads the table in force again (after a statement found the cached one outdated) */
  reload(db?: SqlClient): Promise<PriceBook>;
  /** forgets the cached table (a PUT in this process) */
  invalidate(): void;
}

const caches = new WeakMap<Queryable, PriceCache>();

/** One cache per database pool (tests run several apps in one process). */
export function priceCacheFor(pool: Queryable): PriceCache {
  let cache = caches.get(pool);
  if (!cache) {
    let loaded: Promise<PriceBook> | undefined;
    cache = {
      current() {
        loaded ??= loadPriceBook(pool).catch((error: unknown) => {
          loaded = undefined;
          throw error;
        });
        return loaded;
      },
      async reload(db = pool) {
        const book = await loadPriceBook(db);
        loaded = Promise.resolve(book);
        return book;
      },
      invalidate() {
        loaded = undefined;
      },
    };
    caches.set(pool, cache);
  }
  return cache;
}
