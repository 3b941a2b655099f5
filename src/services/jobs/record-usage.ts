// What a status call's usage needs around the SQL (src/db/sql/job-usage.ts):
// whether it reports any, the price chosen for its model from the table in
// force, the full path's write, and the Prometheus counters moved by the
// difference each report makes.
import type { Queryable } from '../../db/queryable.ts';
import { publishChangesSql } from '../../db/sql/change-events.ts';
import { recordJobUsageText, type UsageChangeRow } from '../../db/sql/job-usage.ts';
import { priceTableInForceStatement } from '../../db/sql/status-price-table.ts';
import { runStatement, type SqlClient } from '../../db/sql/run-statement.ts';
import type { Metrics } from '../../metrics.ts';
import { choosePrice, priceCacheFor, type PriceChoice } from '../prices/price-book.ts';

export interface UsageInput {
  model_id?: string | undefined;
  input_tokens?: number | undefined;
  output_tokens?: number | undefined;
  cache_read_tokens?: number | undefined;
  cache_write_tokens?: number | undefined;
}

export const reportsUsage = (input: UsageInput): boolean =>
  input.model_id !== undefined ||
  input.input_tokens !== undefined ||
  input.output_tokens !== undefined ||
  input.cache_read_tokens !== undefined ||
  input.cache_write_tokens !== undefined;

/** The price for `modelId` from this process's copy of the table in force (the statement checks it still is). */
export async function cachedPriceChoice(pool: Queryable, modelId: string | null | undefined): Promise<PriceChoice> {
  return choosePrice(await priceCacheFor(pool).current(), modelId);
}

const recordJobUsageStatement = { name: 'record-job-usage', text: recordJobUsageText(publishChangesSql('events')) };

/**
 * The full path's usage write, in its transaction: the table in force read
 * there (the cached copy reloaded when another process replaced it), the
 * price chosen for the job's model as it will be after this call.
 */
export async function recordJobUsage(tx: SqlClient, pool: Queryable, jobId: string, storedModelId: string | null, input: UsageInput): Promise<UsageChangeRow> {
  const cache = priceCacheFor(pool);
  const [newest] = await runStatement<{ id: string | null }>(tx, priceTableInForceStatement, []);
  let book = await cache.current();
  if (book.tableId !== (newest?.id ?? null)) book = await cache.reload(tx);
  const choice = choosePrice(book, input.model_id ?? storedModelId);
  const [row] = await runStatement<UsageChangeRow>(tx, recordJobUsageStatement, [
    jobId,
    input.model_id ?? null,
    input.input_tokens ?? null,
    input.output_tokens ?? null,
    input.cache_read_tokens ?? null,
    input.cache_write_tokens ?? null,
    choice.tableId,
    choice.position,
  ]);
  return row!;
}

const tokenTypes = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cache_read', 'cache_read_tokens'],
  ['cache_write', 'cache_write_tokens'],
] as const;

/** model_id is the agent's to choose: past this many distinct models a process counts the rest as "other". */
export const maxModelLabels = 100;
const seenModels = new WeakMap<Metrics['usageTokens'], Set<string>>();

function modelLabel(metrics: Pick<Metrics, 'usageTokens'>, modelId: string | null): string {
  const model = modelId ?? 'none';
  let seen = seenModels.get(metrics.usageTokens);
  if (!seen) seenModels.set(metrics.usageTokens, (seen = new Set()));
  if (seen.has(model)) return model;
  if (seen.size >= maxModelLabels) return 'other';
  seen.add(model);
  return model;
}

/** Counters only go up: a report that lowers a total (it replaces the stored one) moves nothing. */
export function countUsage(metrics: Pick<Metrics, 'usageTokens' | 'usageCost'>, row: UsageChangeRow): void {
  const model = modelLabel(metrics, row.model_id);
  for (const [type, column] of tokenTypes) {
    const delta = Number(row[column] ?? 0) - Number(row[`old_${column}`] ?? 0);
    if (delta > 0) metrics.usageTokens.inc({ model, type }, delta);
  }
  // a float is fine here: Prometheus counters are floats; the stored costs stay exact
  const cost = Number(row.cost_usd ?? 0) - Number(row.old_cost_usd ?? 0);
  if (cost > 0) metrics.usageCost.inc({ model }, cost);
}
