// Which price table is in force (the newest), read inside the full status
// path's transaction before its usage is priced: another process may have
// replaced the table since this one cached it. Hand-written so it runs as a
// named statement through runStatement on Prisma or pg alike.
import type { Statement } from './run-statement.ts';

export const priceTableInForceStatement: Statement = { name: 'price-table-in-force', text: 'SELECT max(id)::text AS id FROM price_tables' };
