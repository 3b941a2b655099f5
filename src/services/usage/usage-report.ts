// GET /api/v1/admin/usage (SPEC §11): tokens and cost of the jobs that
// reported usage, filtered by product, PBI, user and time, grouped by model,
// user, PBI, story or day, with the total.
import type { Queryable } from '../../db/queryable.ts';
import { usageReportRows, type UsageGrouping, type UsageReportRow } from '../../db/sql/usage-report.ts';

export interface UsageReportQuery {
  product_id?: string | undefined;
  pbi_id?: string | undefined;
  user?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  group_by?: UsageGrouping | undefined;
}

export interface UsageSums {
  jobs: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** the priced jobs' cost: an exact decimal string (9 decimals) */
  cost_usd: string;
  /** jobs that reported usage with a model that has no price */
  unpriced_jobs: number;
}

export interface UsageReport {
  group_by: UsageGrouping;
  rows: (UsageSums & { key: string | null })[];
  total: UsageSums;
}

const sums = (row: UsageReportRow): UsageSums => ({
  jobs: row.jobs,
  input_tokens: Number(row.input_tokens),
  output_tokens: Number(row.output_tokens),
  cache_read_tokens: Number(row.cache_read_tokens),
  cache_write_tokens: Number(row.cache_write_tokens),
  cost_usd: row.cost_usd,
  unpriced_jobs: row.unpriced_jobs,
});

export async function usageReport(pool: Queryable, query: UsageReportQuery): Promise<UsageReport> {
  const groupBy = query.group_by ?? 'model';
  const rows = await usageReportRows(pool, groupBy, {
    productId: query.product_id ?? null,
    pbiId: query.pbi_id ?? null,
    user: query.user ?? null,
    from: query.from ?? null,
    to: query.to ?? null,
  });
  const total = rows.find((row) => row.is_total)!;
  return { group_by: groupBy, rows: rows.filter((row) => !row.is_total).map((row) => ({ key: row.key, ...sums(row) })), total: sums(total) };
}
