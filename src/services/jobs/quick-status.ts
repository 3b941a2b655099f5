// The status call's fast path: one statement (src/db/sql/job-status-quick.ts)
// for `running` of any job and `done` of an idea job. It writes only what the
// status rules allow (the statement's conditions are made from status-rules.ts)
// and answers the locked row either way, so a call it did not apply to is
// explained by the same decideStatusReport the full path uses.
import type { Queryable } from '../../db/queryable.ts';
import { quickStatusStatement, type QuickStatusResultRow, type QuickStatusRow } from '../../db/sql/job-status-quick.ts';
import type { JobKind, JobStatus } from '../../generated/prisma/client.ts';
import type { PriceChoice } from '../prices/price-book.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { queueCheckRefreshSql } from '../checks/queue-check-refresh.ts';
import type { StatusSnapshot } from './status-rules.ts';
import type { StatusInput } from './update-status.ts';

export type { QuickStatusRow };

/** Applied: the written row. Not applied: the locked row's snapshot for decideStatusReport (null: no such job). */
export type QuickStatusOutcome = ({ applied: true } & QuickStatusRow) | { applied: false; snapshot: StatusSnapshot | null };

const statement = quickStatusStatement(queueCheckRefreshSql);

export async function quickStatusUpdate(
  pool: Queryable,
  auth: AuthContext,
  jobId: string,
  input: StatusInput & { status: 'running' | 'done' },
  /** the price of the reported model from the table this process knows; null: the call reports no usage */
  price: PriceChoice | null = null,
): Promise<QuickStatusOutcome> {
  // named: each connection plans it once
  const { rows } = await pool.query<QuickStatusResultRow>({ ...statement, values: [
    jobId,
    auth.userId,
    auth.tokenId,
    input.status === 'running' ? 'RUNNING' : 'DONE',
    input.branch ?? null,
    input.summary ?? null,
    input.error ?? null,
    input.model_id ?? null,
    input.input_tokens ?? null,
    input.output_tokens ?? null,
    input.cache_read_tokens ?? null,
    input.cache_write_tokens ?? null,
    price !== null,
    price?.tableId ?? null,
    price?.position ?? null,
  ] });
  const row = rows[0];
  if (!row) return { applied: false, snapshot: null };
  if (row.applied) return row as unknown as { applied: true } & QuickStatusRow;
  return {
    applied: false,
    snapshot: {
      user_id: row.snapshot_user_id,
      status: row.snapshot_status as JobStatus,
      claimed_by_token_id: row.snapshot_token_id,
      kind: row.snapshot_kind as JobKind,
      story_branch: row.snapshot_story_branch,
    },
  };
}
