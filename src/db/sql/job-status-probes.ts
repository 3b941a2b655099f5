// The full status path's S11/S12 probes after its transaction, in one
// statement: the same EXISTS conditions the one-statement path answers in its
// own statement (job-status-conditions.ts), so both paths ask the same question.
import { hasActiveSiblingsSql, hasQueuedJobsSql } from './job-status-conditions.ts';
import type { Statement } from './run-statement.ts';

export interface StatusProbesRow {
  has_queued: boolean;
  has_active_siblings: boolean;
}

/** $1 user id, $2 story id (null: none), $3 job id, $4 boolean: ask about queued jobs (not for `running`). */
export const statusProbesStatement: Statement = {
  name: 'status-probes',
  text: `SELECT $4::boolean AND ${hasQueuedJobsSql('$1::text')} AS has_queued,
                ${hasActiveSiblingsSql('$2::text', '$3::text')} AS has_active_siblings`,
};
