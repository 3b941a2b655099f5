// A job's usage as the operator sees it (list, job page, board): the running
// token totals the agent last reported (S9). The usage issue (SPEC §11) adds
// cost_usd here, and every list that shows usage gets it from this one place.
import type { Prisma } from '../../generated/prisma/client.ts';

export const jobUsageSelect = {
  model_id: true,
  input_tokens: true,
  output_tokens: true,
  cache_read_tokens: true,
  cache_write_tokens: true,
} satisfies Prisma.JobSelect;

type Count = number | bigint | null;

export interface JobUsageRow {
  model_id: string | null;
  input_tokens: Count;
  output_tokens: Count;
  cache_read_tokens: Count;
  cache_write_tokens: Count;
}

export interface JobUsage {
  model_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
}

// the API bounds each count at 2^53-1, so a number is exact
const count = (value: Count): number | null => (value === null ? null : Number(value));

export function presentUsage(row: JobUsageRow): JobUsage {
  return {
    model_id: row.model_id,
    input_tokens: count(row.input_tokens),
    output_tokens: count(row.output_tokens),
    cache_read_tokens: count(row.cache_read_tokens),
    cache_write_tokens: count(row.cache_write_tokens),
  };
}
