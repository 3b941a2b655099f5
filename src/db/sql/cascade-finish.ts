// The end of a cascade (src/services/cascade/finish-cascade.ts). Why
// hand-written: two runs finishing at once must serialise on the cascade's row
// (SELECT … FOR UPDATE, which Prisma cannot say), and the cancelled jobs are
// counted by the status they had in one grouped read of the ids the cascade
// recorded, however many there are.

/** $1 the cascade id. Its status, the row locked until the transaction ends; no row: no such cascade. */
export const lockCascadeSql = 'SELECT status::text AS status FROM cascades WHERE id = $1::text FOR UPDATE';

/**
 * $1 the cancelled job ids (text[]). The status each had, read from what the
 * cancel leaves as it was: a running job has started_at (set by `running`), a
 * claimed one claimed_at; a requeue clears both, so a requeued job counts as the
 * queued job it was. Rows `from`, `count` (int).
 */
export const cancelledFromSql = `
    SELECT CASE WHEN started_at IS NOT NULL THEN 'running' WHEN claimed_at IS NOT NULL THEN 'claimed' ELSE 'queued' END AS "from", count(*)::int AS count
      FROM jobs WHERE id = ANY($1::text[]) AND status = 'CANCELLED'
     GROUP BY 1 ORDER BY 1`;
