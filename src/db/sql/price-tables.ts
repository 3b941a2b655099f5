// The price table in force (src/services/prices/price-book.ts). Why
// hand-written: the newest table and its entries in one read that runs on the
// app's pool (a named statement) or in a Prisma transaction alike (a status call
// that found its cached table outdated reloads it in its own), with the prices
// as exact NUMERIC text, the form the status statements take them in.
import type { Statement } from './run-statement.ts';

/** No parameters. The newest table's entries in order; one row with null entry columns when it has none, none when no table exists. */
export const newestPriceTableStatement: Statement = {
  name: 'newest-price-table',
  text: `
    SELECT t.id::text AS table_id, e.position, e.model, e.input::text AS input, e.output::text AS output,
           e.cache_read::text AS cache_read, e.cache_write::text AS cache_write
      FROM (SELECT max(id) AS id FROM price_tables) t
      LEFT JOIN price_entries e ON e.table_id = t.id
     ORDER BY e.position`,
};
