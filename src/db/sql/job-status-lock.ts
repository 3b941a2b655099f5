// The full status path's re-check under the row lock: a concurrent call (or
// the cascade) may have changed the job since it was read before GitHub was
// asked. Why hand-written: Prisma has no SELECT … FOR UPDATE. The caller takes
// the PBI's cascade lock first when the call may start a cascade (lock order:
// src/services/cascade/pbi-lock.ts).
import type { Statement } from './run-statement.ts';

export interface LockedJobRow {
  status: string;
  claimed_by_token_id: string | null;
  model_id: string | null;
}

/** $1: the job id. */
export const lockJobForStatusStatement: Statement = {
  name: 'lock-job-for-status',
  text: `SELECT status::text AS status, claimed_by_token_id, model_id FROM jobs WHERE id = $1 FOR UPDATE`,
};
