// Where a status call's time goes, measured in-process (no HTTP) on the bench's
// database: the token lookup, today's updateJobStatus for `running` on an idea
// job, and a one-statement conditional update (status change + change event +
// NOTIFY + the counts the answer needs) as a candidate fast path.
// Run: npm run build && node dist/bench/support/experiments/status-cost.js
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { updateJobStatus } from '../../../src/services/jobs/update-status.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertClaimedIdeaJobs, seedUser, seedWorld } from '../world.ts';

const callsPerVariant = 3_000;
const concurrency = 10;

/** `running` as one statement: the conditional update is the lock (0 rows → re-read to say why). */
export const oneStatementRunning = `
  WITH updated AS (
    UPDATE jobs SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), updated_at = now()
     WHERE id = $1 AND user_id = $2 AND claimed_by_token_id = $3 AND status IN ('CLAIMED', 'RUNNING')
    RETURNING *
  ), event AS (
    INSERT INTO change_events (type, user_id, payload)
    SELECT 'claude_job_status', u.user_id, jsonb_build_object(
             'type', 'claude_job_status', 'job_id', u.id, 'task_id', u.task_id, 'user_id', u.user_id,
             'product_id', u.product_id, 'status', 'running', 'branch', u.branch, 'pushed_at', u.pushed_at,
             'pr_url', u.pr_url, 'verify_result', lower(u.verify_result::text), 'summary', u.summary, 'error', u.error)
      FROM updated u
    RETURNING seq, payload
  ), notified AS (
    SELECT pg_notify('scrum4me_changes', jsonb_build_object('seq', seq::text, 'event', payload)::text) FROM event
  )
  SELECT u.id, u.status::text AS status, u.branch, u.pushed_at, u.pr_url, u.verify_result::text AS verify_result,
         u.summary, u.error, u.started_at, u.finished_at,
         (SELECT count(*) FROM jobs q WHERE q.user_id = u.user_id AND q.status = 'QUEUED') AS queued,
         (SELECT count(*) FROM notified) AS notified
    FROM updated u`;

const env = await startBenchEnvironment({ logLevel: 'silent' });
try {
  const { prisma, pool } = env.app.db;
  const world = await seedWorld(prisma);
  const user = await seedUser(prisma, 'exp-status', 1);
  const agent = user.agents[0]!;
  const auth: AuthContext = await authenticate(pool, `Bearer ${agent.token}`);
  let batch = 0;

  const measure = async (name: string, run: (jobId: string) => Promise<unknown>) => {
    const ids = await insertClaimedIdeaJobs(env.pool, world, user.id, agent, `exp-status-${++batch}`, callsPerVariant + 200);
    await env.pool.query('VACUUM (ANALYZE) jobs');
    for (const id of ids.slice(callsPerVariant)) await run(id); // warm-up
    let next = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < callsPerVariant) await run(ids[next++]!);
      }),
    );
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(
      `${name.padEnd(58)} ${((callsPerVariant * 1000) / ms).toFixed(0).padStart(6)} /s   app-process CPU ${((used.user + used.system) / callsPerVariant).toFixed(0).padStart(5)} µs per call`,
    );
  };

  console.log(`${callsPerVariant} calls per line, ${concurrency} concurrent, app pool of 10 connections\n`);
  await measure('authenticate (one pg query)', () => authenticate(pool, `Bearer ${agent.token}`));
  await measure('bare UPDATE (the baseline statement) via pg', (id) =>
    pool.query(
      `UPDATE jobs SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), updated_at = now()
        WHERE id = $1 AND claimed_by_token_id = $2 AND status IN ('CLAIMED', 'RUNNING') RETURNING id`,
      [id, agent.tokenId],
    ),
  );
  await measure("updateJobStatus running (today's service)", (id) => updateJobStatus(env.app.services, {}, auth, id, { status: 'running' }));
  await measure('one-statement running (update + event + NOTIFY + count) via pg', (id) => pool.query(oneStatementRunning, [id, user.id, agent.tokenId]));
} finally {
  await env.stop();
}
process.exit(0);
