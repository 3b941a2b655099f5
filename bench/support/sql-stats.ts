// --sql-stats: PostgreSQL's own count of the statements a measured run sent
// (pg_stat_statements), to see how many round trips one API call costs.
// Off by default: the extension's bookkeeping is not free.
import type pg from 'pg';

export const sqlStatsSettings = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' };

export interface SqlStats {
  reset(): Promise<void>;
  /** statements since reset, with calls per operation; `operations` is how many API calls ran */
  report(title: string, operations: number): Promise<string>;
}

export async function enableSqlStats(pool: pg.Pool): Promise<SqlStats> {
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    async reset() {
      await pool.query('SELECT pg_stat_statements_reset()');
    },
    async report(title, operations) {
      const { rows } = await pool.query<{ query: string; calls: string; total_ms: number }>(
        `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS total_ms
           FROM pg_stat_statements
          WHERE query NOT ILIKE '%pg_stat_statements%'
          ORDER BY calls DESC, total_exec_time DESC
          LIMIT 25`,
      );
      const totalCalls = rows.reduce((n, row) => n + Number(row.calls), 0);
      const lines = rows
        .filter((row) => Number(row.calls) >= operations / 100)
        .map(
          (row) =>
            `  ${(Number(row.calls) / operations).toFixed(2).padStart(6)} /op  ${((row.total_ms * 1000) / Number(row.calls)).toFixed(0).padStart(5)} µs  ${row.query.slice(0, 150)}`,
        );
      return `${title}: ${(totalCalls / operations).toFixed(1)} statements per operation (${operations} operations)\n${lines.join('\n')}`;
    },
  };
}
