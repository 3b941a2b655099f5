// A status call's usage (S9, SPEC §11), in SQL: the job's new running totals,
// their cost at the price in force, and the totals of its story, PBI and
// product moved by the difference, with a `budget_exceeded` event when that
// moves a budget's spending across it. Both status paths use these pieces: the
// one-statement path (quick-status.ts) in its UPDATE, the full path
// (update-status.ts) as recordJobUsageStatement inside its transaction. Why in
// SQL: the cost is NUMERIC arithmetic on the stored entry (exact to 1e-9, no
// float), and the spent totals must move under the row locks that make "old <
// budget <= new" true for exactly one call.
//
// Lock order (every writer of these rows keeps it, so none deadlocks): job
// rows, then the story's check-refresh key, then the product, the PBI and the
// story rows. The product's active-jobs trigger runs at commit (migration
// 20261203065000), after all of them.

/** The SQL placeholders (or expressions) a statement passes its usage in. */
export interface UsageParams {
  /** boolean: the call carries usage fields (model_id or a token count) */
  reported: string;
  model: string;
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
  /** bigint: the price table the TypeScript side chose from (the newest it knew) */
  tableId: string;
  /** int: that table's entry for the model, null: unpriced */
  position: string;
}

const tokenColumns = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens'] as const;
const priceColumns = ['input', 'output', 'cache_read', 'cache_write'] as const;

/**
 * The cost of counts at entry `e`: Σ tokens × USD per million × 0.000001 (a
 * multiplication: NUMERIC division would round at its own scale), rounded half
 * away from zero to 1e-9.
 */
const costSql = (counts: readonly string[], e: string) =>
  `round((${counts.map((count, i) => `COALESCE(${count}, 0) * ${e}.${priceColumns[i]}`).join(' + ')}) * 0.000001, 9)`;

/**
 * The SET list of `UPDATE jobs <j>` for the usage fields: each reported field
 * replaces the stored one (a running total), and a call that reports any of
 * them prices the job again at the chosen entry (none: cost null, unpriced).
 */
export function usageAssignmentsSql(j: string, p: UsageParams): string {
  const params = [p.input, p.output, p.cacheRead, p.cacheWrite];
  const counts = tokenColumns.map((column, i) => `COALESCE(${params[i]}::bigint, ${j}.${column})`);
  return `model_id = COALESCE(${p.model}::text, ${j}.model_id),
         ${tokenColumns.map((column, i) => `${column} = ${counts[i]}`).join(',\n         ')},
         cost_usd = CASE WHEN ${p.reported}::boolean
                         THEN (SELECT ${costSql(counts, 'e')} FROM price_entries e WHERE e.table_id = ${p.tableId}::bigint AND e.position = ${p.position}::int)
                         ELSE ${j}.cost_usd END,
         price_table_id = CASE WHEN ${p.reported}::boolean THEN ${p.tableId}::bigint ELSE ${j}.price_table_id END,
         usage_at = CASE WHEN ${p.reported}::boolean THEN now() ELSE ${j}.usage_at END`;
}

/** True while `p.tableId` is the newest price table: a statement writes only then. */
export const priceTableInForceSql = (p: UsageParams) =>
  `(NOT ${p.reported}::boolean OR ${p.tableId}::bigint IS NOT DISTINCT FROM (SELECT max(id) FROM price_tables))`;

/** The job's usage columns before the update, for a `previous` CTE that locks the row. */
export const previousUsageColumnsSql = (j: string) =>
  `${tokenColumns.map((column) => `${j}.${column} AS old_${column}`).join(', ')}, ${j}.cost_usd AS old_cost_usd, ${j}.usage_at AS old_usage_at`;

/** A job with usage and no cost is unpriced (its model has no price, or it has no model). */
const unpricedSql = (usageAt: string, cost: string) => `(${usageAt} IS NOT NULL AND ${cost} IS NULL)::int`;

/** Adds a signed difference to a BIGINT total, kept within 0 … 2^63-1 (a total is never the reason a report fails). */
const addCountSql = (total: string, delta: string) => `LEAST(GREATEST(${total}::numeric + ${delta}, 0), 9223372036854775807)::bigint`;

const totalsAssignmentsSql = (t: string, d: string) =>
  `${tokenColumns.map((column) => `usage_${column} = ${addCountSql(`${t}.usage_${column}`, `${d}.${column}`)}`).join(', ')},
   usage_cost_usd = ${t}.usage_cost_usd + ${d}.cost_usd, usage_unpriced_jobs = ${t}.usage_unpriced_jobs + ${d}.unpriced_jobs`;

/**
 * CTEs after `job` (the updated row, with the previous CTE's old_* columns):
 * the differences, the product, PBI and story totals moved by them, and
 * `budget_events` (columns type, user_id, event) for each budget crossed
 * upwards. `after`: a CTE that must run before the product row is locked.
 */
export function usageTotalsSql(job: string, after?: string): string {
  const gate = after ? ` AND (SELECT count(*) FROM ${after}) >= 0` : '';
  return `usage_delta AS (
      SELECT ${job}.product_id, ${job}.pbi_id, ${job}.story_id,
             ${tokenColumns.map((column) => `COALESCE(${job}.${column}, 0) - COALESCE(${job}.old_${column}, 0) AS ${column}`).join(', ')},
             COALESCE(${job}.cost_usd, 0) - COALESCE(${job}.old_cost_usd, 0) AS cost_usd,
             ${unpricedSql(`${job}.usage_at`, `${job}.cost_usd`)} - ${unpricedSql(`${job}.old_usage_at`, `${job}.old_cost_usd`)} AS unpriced_jobs
        FROM ${job}
    ), changed_usage AS (
      SELECT * FROM usage_delta d
       WHERE ${tokenColumns.map((column) => `d.${column} <> 0`).join(' OR ')} OR d.cost_usd <> 0 OR d.unpriced_jobs <> 0
    ), product_usage AS (
      UPDATE products t SET ${totalsAssignmentsSql('t', 'd')}
        FROM changed_usage d WHERE t.id = d.product_id${gate}
      RETURNING t.id, t.budget_usd, t.usage_cost_usd AS spent_usd, t.usage_cost_usd - d.cost_usd AS spent_before
    ), pbi_usage AS (
      UPDATE pbis t SET ${totalsAssignmentsSql('t', 'd')}
        FROM changed_usage d WHERE t.id = d.pbi_id AND (SELECT count(*) FROM product_usage) >= 0
      RETURNING t.id, t.budget_usd, t.usage_cost_usd AS spent_usd, t.usage_cost_usd - d.cost_usd AS spent_before
    ), story_usage AS (
      UPDATE stories t SET ${totalsAssignmentsSql('t', 'd')}
        FROM changed_usage d WHERE t.id = d.story_id AND (SELECT count(*) FROM pbi_usage) >= 0
      RETURNING t.id
    ), budget_events AS (
      SELECT 'budget_exceeded' AS type, NULL::text AS user_id,
             json_build_object('type', 'budget_exceeded', 'product_id', id, 'budget_usd', budget_usd::text, 'spent_usd', spent_usd::text) AS event
        FROM product_usage WHERE spent_before < budget_usd AND spent_usd >= budget_usd
      UNION ALL
      SELECT 'budget_exceeded', NULL::text,
             json_build_object('type', 'budget_exceeded', 'pbi_id', id, 'budget_usd', budget_usd::text, 'spent_usd', spent_usd::text)
        FROM pbi_usage WHERE spent_before < budget_usd AND spent_usd >= budget_usd
    )`;
}

/** The columns a statement answers for the usage metrics (`job`: the updated row with old_*). */
export const usageChangeColumnsSql = (job: string) =>
  `${job}.model_id, ${tokenColumns.map((column) => `${job}.${column}::text AS ${column}, ${job}.old_${column}::text AS old_${column}`).join(', ')},
   ${job}.cost_usd::text AS cost_usd, ${job}.old_cost_usd::text AS old_cost_usd,
   (SELECT count(*) FROM story_usage) AS story_totals`;

export interface UsageChangeRow {
  model_id: string | null;
  input_tokens: string | null;
  old_input_tokens: string | null;
  output_tokens: string | null;
  old_output_tokens: string | null;
  cache_read_tokens: string | null;
  old_cache_read_tokens: string | null;
  cache_write_tokens: string | null;
  old_cache_write_tokens: string | null;
  cost_usd: string | null;
  old_cost_usd: string | null;
}

/**
 * The full path's usage write (update-status.ts), inside its transaction after
 * the job row is locked and its status written: $1 job id, $2 model, $3-$6 the
 * token counts, $7 the price table, $8 its entry (null: unpriced). The event
 * CTEs come from the caller (publishChangesSql, `events` = budget_events).
 */
export const recordJobUsageText = (publishChanges: string) => {
  const p: UsageParams = { reported: 'true', model: '$2', input: '$3', output: '$4', cacheRead: '$5', cacheWrite: '$6', tableId: '$7', position: '$8' };
  return `
    WITH previous AS (
      SELECT id, ${previousUsageColumnsSql('jobs')} FROM jobs WHERE id = $1 FOR UPDATE
    ), job AS (
      UPDATE jobs j SET ${usageAssignmentsSql('j', p)}
        FROM previous WHERE j.id = previous.id
      RETURNING j.*, previous.old_input_tokens, previous.old_output_tokens, previous.old_cache_read_tokens,
                previous.old_cache_write_tokens, previous.old_cost_usd, previous.old_usage_at
    ), ${usageTotalsSql('job')}, events AS (
      SELECT * FROM budget_events
    ), ${publishChanges}
    SELECT ${usageChangeColumnsSql('job')}, (SELECT count(*) FROM announced) AS announced FROM job`;
};
