// Renders GET /api/v1/admin/usage for people: one line per group, then the total.
import type { UsageReport, UsageSums } from '../services/usage/usage-report.ts';
import { renderTable } from './tables.ts';

const cells = (sums: UsageSums) => [sums.jobs, sums.input_tokens, sums.output_tokens, sums.cache_read_tokens, sums.cache_write_tokens, sums.cost_usd, sums.unpriced_jobs];

export function renderUsage(report: UsageReport): string {
  const table = renderTable(
    [report.group_by, 'jobs', 'input', 'output', 'cache read', 'cache write', 'cost USD', 'unpriced'],
    [...report.rows.map((row) => [row.key ?? '(none)', ...cells(row)]), ['total', ...cells(report.total)]],
  );
  const note = report.total.unpriced_jobs > 0 ? `\n${report.total.unpriced_jobs} job(s) used a model with no price: their tokens are counted, their cost is not` : '';
  return table + note;
}
