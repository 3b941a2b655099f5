// The cancellation's database time, measured on the bench's own world right
// before its real failure: the transaction the failing status call runs for
// the cascade (PBI advisory lock, the failed job's row, then the app's own
// startCascade: cancel the siblings with their traces and change events, plan
// the undo steps, queue cascade_undo), run in process and rolled back, so the
// world is untouched and the real failure then finds it the same.
// Two numbers per run: the transaction's wall time as the caller sees it
// (Prisma round trips and its CPU included: how long the locks are held), and
// PostgreSQL's own execution time of its statements from pg_stat_statements,
// told apart from everything else by a role of their own (`bench_probe`).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { connectDatabase } from '../../src/db/client.ts';
import { lockPbiForCascade, startCascade } from '../../src/services/cascade/start-cascade.ts';

export interface CancellationTiming {
  /** BEGIN … ROLLBACK as the caller sees it */
  transactionMs: number;
  /** startCascade alone, inside it */
  startCascadeMs: number;
  /** PostgreSQL's execution time of the transaction's top-level statements */
  serverExecMs: number;
  statements: number;
  cancelled: number;
}

class Rollback extends Error {}

export async function timeCancellation(
  pool: pg.Pool,
  databaseUrl: string,
  world: { pbiId: string; failingJobId: string; error: string },
  runs: number,
): Promise<{ runs: CancellationTiming[]; topStatements: string[] }> {
  const password = randomBytes(12).toString('hex');
  await pool.query(`DROP ROLE IF EXISTS bench_probe`);
  await pool.query(`CREATE ROLE bench_probe LOGIN SUPERUSER PASSWORD '${password}'`);
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const url = new URL(databaseUrl);
  url.username = 'bench_probe';
  url.password = password;
  const probe = connectDatabase(url.toString(), { max: 2 });
  const results: CancellationTiming[] = [];
  let topStatements: string[] = [];
  try {
    // one warm-up (Prisma's query plans, PostgreSQL's caches), then the measured runs
    for (let run = 0; run <= runs; run++) {
      await pool.query('SELECT pg_stat_statements_reset()');
      let startCascadeMs = 0;
      let cancelled = 0;
      const started = performance.now();
      try {
        await probe.prisma.$transaction(
          async (tx) => {
            await lockPbiForCascade(tx, world.pbiId);
            await tx.$queryRaw`SELECT status FROM jobs WHERE id = ${world.failingJobId} FOR UPDATE`;
            const failed = await tx.job.update({
              where: { id: world.failingJobId },
              data: { status: 'FAILED', finished_at: new Date(), heartbeat_at: new Date(), error: world.error },
            });
            const s = performance.now();
            const cascade = await startCascade(tx, { id: failed.id, pbi_id: failed.pbi_id, error: failed.error });
            startCascadeMs = performance.now() - s;
            cancelled = cascade?.cancelled_job_ids.length ?? 0;
            throw new Rollback('measured');
          },
          { timeout: 60_000, maxWait: 10_000 },
        );
      } catch (error) {
        if (!(error instanceof Rollback)) throw error;
      }
      const transactionMs = performance.now() - started;
      const { rows } = await pool.query<{ exec_ms: number; statements: string; query: string; calls: string; total: number }>(
        `SELECT sum(s.total_exec_time) OVER () AS exec_ms, sum(s.calls) OVER () AS statements,
                regexp_replace(s.query, '\\s+', ' ', 'g') AS query, s.calls, s.total_exec_time AS total
           FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
          WHERE r.rolname = 'bench_probe' AND s.toplevel
          ORDER BY s.total_exec_time DESC`,
      );
      const { rows: steps } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cascade_steps');
      if (steps[0]!.n !== 0) throw new Error('cascade bench: the measured cancellation was not rolled back');
      if (run === 0) continue;
      results.push({
        transactionMs,
        startCascadeMs,
        serverExecMs: Number(rows[0]?.exec_ms ?? 0),
        statements: Number(rows[0]?.statements ?? 0),
        cancelled,
      });
      topStatements = rows
        .slice(0, 6)
        .map((r) => `${Number(r.calls)} × ${((r.total * 1000) / Number(r.calls)).toFixed(0)} µs = ${r.total.toFixed(1)} ms: ${r.query.slice(0, 110)}`);
    }
  } finally {
    await probe.close();
  }
  // the rolled-back runs left dead row versions behind: gone before the real failure
  await pool.query('VACUUM (ANALYZE) jobs, trace_entries, change_events, cascades, cascade_steps');
  return { runs: results, topStatements };
}
