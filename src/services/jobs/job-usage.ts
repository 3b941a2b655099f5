// Usage as answers show it (SPEC §11): a job's running totals as its agent
// last reported them, with their cost, and the totals of a story, PBI or
// product. Every answer that shows usage gets it from here. Money is a decimal
// string with 9 decimals ("0.300000000"), exact: SPEC allows "a decimal string
// or number exact to 1e-9", and a JSON number could not promise that.
import type { Prisma } from '../../generated/prisma/client.ts';

export const jobUsageSelect = {
  model_id: true,
  input_tokens: true,
  output_tokens: true,
  cache_read_tokens: true,
  cache_write_tokens: true,
  cost_usd: true,
  usage_at: true,
} satisfies Prisma.JobSelect;

type Count = number | bigint | string | null;
/** NUMERIC as Prisma (Decimal) or hand-written SQL (text) returns it */
type Money = Prisma.Decimal | string | null;

export interface JobUsageRow {
  model_id: string | null;
  input_tokens: Count;
  output_tokens: Count;
  cache_read_tokens: Count;
  cache_write_tokens: Count;
  cost_usd: Money;
  usage_at: Date | string | null;
}

export interface JobUsage {
  model_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  /** at the price in force when the usage was reported; null: no price for the model, or no usage yet */
  cost_usd: string | null;
  /** 1: usage was reported but its model has no price; 0 otherwise */
  unpriced_jobs: 0 | 1;
}

/** The totals of many jobs: tokens summed, cost_usd summing the priced jobs, unpriced_jobs counting the others. */
export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: string;
  unpriced_jobs: number;
}

// the API bounds each job's count at 2^53-1, so a job's count is exact as a number
const count = (value: Count): number | null => (value === null ? null : Number(value));

/** A NUMERIC(…, 9) as its exact decimal string with 9 decimals. */
export const money = (value: Prisma.Decimal | string): string => (typeof value === 'string' ? value : value.toFixed(9));

export function presentUsage(row: JobUsageRow): JobUsage {
  return {
    model_id: row.model_id,
    input_tokens: count(row.input_tokens),
    output_tokens: count(row.output_tokens),
    cache_read_tokens: count(row.cache_read_tokens),
    cache_write_tokens: count(row.cache_write_tokens),
    cost_usd: row.cost_usd === null ? null : money(row.cost_usd),
    unpriced_jobs: row.usage_at !== null && row.cost_usd === null ? 1 : 0,
  };
}

/** The usage_* total columns of stories, PBIs and products (kept by src/db/sql/job-usage.ts). */
export interface UsageTotalColumns {
  usage_input_tokens: Count;
  usage_output_tokens: Count;
  usage_cache_read_tokens: Count;
  usage_cache_write_tokens: Count;
  usage_cost_usd: Prisma.Decimal | string;
  usage_unpriced_jobs: number;
}

export function presentUsageTotals(row: UsageTotalColumns): UsageTotals {
  // a sum past 2^53 is not exact as a JSON number; it takes 2^53 tokens reported on every one of many jobs
  return {
    input_tokens: Number(row.usage_input_tokens),
    output_tokens: Number(row.usage_output_tokens),
    cache_read_tokens: Number(row.usage_cache_read_tokens),
    cache_write_tokens: Number(row.usage_cache_write_tokens),
    cost_usd: money(row.usage_cost_usd),
    unpriced_jobs: row.usage_unpriced_jobs,
  };
}

export const usageTotalsSelect = {
  usage_input_tokens: true,
  usage_output_tokens: true,
  usage_cache_read_tokens: true,
  usage_cache_write_tokens: true,
  usage_cost_usd: true,
  usage_unpriced_jobs: true,
} as const;
