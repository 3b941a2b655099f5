// GET /api/v1/admin/usage in one aggregate statement: the jobs that reported
// usage, filtered, summed per key and in total (GROUPING SETS: the total is
// the same scan, not a second query). Why hand-written: Prisma's groupBy has
// neither grouping sets nor an expression key (the day), and its sums of
// NUMERIC come back as floats-in-Decimal only after a round trip per group.
import { runStatement, type SqlClient, type Statement } from './run-statement.ts';

export const usageGroupings = ['model', 'user', 'pbi', 'story', 'day'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

/** Each grouping's key as SQL over `jobs j` and `users u` (a fixed list: nothing from the request goes into the text). */
const keySql: Record<UsageGrouping, string> = {
  model: 'j.model_id',
  user: 'u.name',
  pbi: 'j.pbi_id',
  story: 'j.story_id',
  // usage_at is TIMESTAMP(3) in UTC: the day in UTC
  day: `to_char(j.usage_at, 'YYYY-MM-DD')`,
};

export interface UsageReportRow {
  key: string | null;
  is_total: boolean;
  jobs: number;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  cost_usd: string;
  unpriced_jobs: number;
}

const statement = (groupBy: UsageGrouping): Statement => ({
  name: `usage-report-${groupBy}`,
  text: `
    WITH scoped AS (
      SELECT ${keySql[groupBy]} AS key, j.input_tokens, j.output_tokens, j.cache_read_tokens, j.cache_write_tokens, j.cost_usd
        FROM jobs j
        JOIN users u ON u.id = j.user_id
       WHERE j.usage_at IS NOT NULL
         AND ($1::text IS NULL OR j.product_id = $1::text)
         AND ($2::text IS NULL OR j.pbi_id = $2::text)
         AND ($3::text IS NULL OR u.name = $3::text)
         AND ($4::timestamp IS NULL OR j.usage_at >= $4::timestamp)
         AND ($5::timestamp IS NULL OR j.usage_at < $5::timestamp)
    )
    SELECT key, GROUPING(key) = 1 AS is_total, count(*)::int AS jobs,
           COALESCE(sum(input_tokens), 0)::text AS input_tokens, COALESCE(sum(output_tokens), 0)::text AS output_tokens,
           COALESCE(sum(cache_read_tokens), 0)::text AS cache_read_tokens, COALESCE(sum(cache_write_tokens), 0)::text AS cache_write_tokens,
           COALESCE(sum(cost_usd), 0)::numeric(40, 9)::text AS cost_usd,
           (count(*) FILTER (WHERE cost_usd IS NULL))::int AS unpriced_jobs
      FROM scoped
     GROUP BY GROUPING SETS ((key), ())
     ORDER BY is_total, ${groupBy === 'day' ? 'key' : 'sum(cost_usd) DESC NULLS LAST, key'}`,
});

export interface UsageReportFilter {
  productId: string | null;
  pbiId: string | null;
  user: string | null;
  /** inclusive, UTC */
  from: Date | null;
  /** exclusive, UTC */
  to: Date | null;
}

/** The groups in order, then the total (always one row, even over no jobs). */
export function usageReportRows(db: SqlClient, groupBy: UsageGrouping, f: UsageReportFilter): Promise<UsageReportRow[]> {
  // TIMESTAMP(3) holds UTC wall time: pass it as such, without a zone
  const utc = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').replace('Z', '') : null);
  return runStatement<UsageReportRow>(db, statement(groupBy), [f.productId, f.pbiId, f.user, utc(f.from), utc(f.to)]);
}
