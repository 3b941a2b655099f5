// Where an HTTP claim's time goes, measured in-process (no HTTP) on the bench's
// database: the token lookup, today's claimNextJob (interactive transaction +
// a Prisma read of the job with five relations), and a one-statement claim that
// does the same work (claim + change event + NOTIFY + the joined job view) as a
// candidate replacement. 16 concurrent loops, like the claims benchmark.
// Run: npm run build && node dist/bench/support/experiments/claim-cost.js
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../../src/services/jobs/claim.ts';
import { publishJobStatus } from '../../../src/services/jobs/job-events.ts';
import { bareClaimStatement } from '../../claims.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertQueuedTaskJobs, seedUser, seedWorld, type BenchUser } from '../world.ts';

const jobsPerVariant = 4_000;
const concurrency = 16;
const kinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

/** The claim, its S10 change event, the NOTIFY and the job view: one statement, one round trip, no BEGIN/COMMIT. */
export const oneStatementClaim = `
  WITH claimed AS (
    UPDATE jobs SET status = 'CLAIMED', claimed_by_token_id = $1, claimed_at = now(), heartbeat_at = now(), updated_at = now()
    WHERE id = (SELECT id FROM jobs WHERE user_id = $2 AND status = 'QUEUED' AND kind::text = ANY($3::text[])
                ORDER BY priority DESC, created_at ASC LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING *
  ), event AS (
    INSERT INTO change_events (type, user_id, payload)
    SELECT 'claude_job_status', c.user_id, jsonb_build_object(
             'type', 'claude_job_status', 'job_id', c.id, 'task_id', c.task_id, 'user_id', c.user_id,
             'product_id', c.product_id, 'status', 'claimed', 'branch', c.branch, 'pushed_at', c.pushed_at,
             'pr_url', c.pr_url, 'verify_result', lower(c.verify_result::text), 'summary', c.summary, 'error', c.error)
      FROM claimed c
    RETURNING seq, payload
  ), notified AS (
    SELECT pg_notify('scrum4me_changes', jsonb_build_object('seq', seq::text, 'event', payload)::text) FROM event
  )
  SELECT c.id, c.kind::text AS kind, c.status::text AS status, c.priority, c.claimed_at,
         p.id AS product_id, p.name AS product_name, p.repo, p.base_branch,
         b.id AS pbi_id, b.code AS pbi_code, b.title AS pbi_title,
         s.id AS story_id, s.code AS story_code, s.title AS story_title, s.branch AS story_branch,
         t.id AS task_id, t.title AS task_title, t.plan, t.plan_paths, t.verify_only, t.verify_required::text AS verify_required,
         i.id AS idea_id, i.title AS idea_title, i.body AS idea_body,
         (SELECT count(*) FROM notified) AS notified
    FROM claimed c
    JOIN products p ON p.id = c.product_id
    LEFT JOIN pbis b ON b.id = c.pbi_id
    LEFT JOIN stories s ON s.id = c.story_id
    LEFT JOIN tasks t ON t.id = c.task_id
    LEFT JOIN ideas i ON i.id = c.idea_id`;

const env = await startBenchEnvironment({ logLevel: 'silent' });
try {
  const { prisma, pool } = env.app.db;
  const world = await seedWorld(prisma);
  let userCounter = 0;

  const measure = async (name: string, run: (user: BenchUser, agent: number, auth: AuthContext) => Promise<unknown>) => {
    const user = await seedUser(prisma, `exp-${++userCounter}`, concurrency);
    await insertQueuedTaskJobs(env.pool, world, user.id, `exp-${userCounter}`, jobsPerVariant + 400);
    await env.pool.query('VACUUM (ANALYZE) jobs');
    const auths = await Promise.all(user.agents.map((agent) => authenticate(pool, `Bearer ${agent.token}`)));
    for (let i = 0; i < 200; i++) await run(user, i % concurrency, auths[i % concurrency]!); // warm-up
    let done = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      user.agents.map(async (_agent, i) => {
        while (done < jobsPerVariant) {
          done++;
          await run(user, i, auths[i]!);
        }
      }),
    );
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    console.log(
      `${name.padEnd(62)} ${((done * 1000) / ms).toFixed(0).padStart(6)} /s   app-process CPU ${((used.user + used.system) / done).toFixed(0).padStart(5)} µs per call`,
    );
  };

  console.log(`${jobsPerVariant} calls per line, ${concurrency} concurrent, app pool of 10 connections\n`);
  await measure('authenticate (one pg query)', (user, i) => authenticate(pool, `Bearer ${user.agents[i]!.token}`));
  await measure('bare claim statement through the app pool (pg)', (user, i) =>
    pool.query(bareClaimStatement, [user.agents[i]!.tokenId, user.id, kinds]),
  );
  await measure('bare claim statement through Prisma $queryRawUnsafe', (user, i) =>
    prisma.$queryRawUnsafe(bareClaimStatement, user.agents[i]!.tokenId, user.id, kinds),
  );
  await measure('claim + change event in a Prisma $transaction (no job view)', (_user, _i, auth) =>
    prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Parameters<typeof publishJobStatus>[1][]>(bareClaimStatement, auth.tokenId, auth.userId, kinds);
      if (rows[0]) await publishJobStatus(tx, rows[0]);
    }),
  );
  await measure('claimNextJob (the service: one statement via pg)', (_user, _i, auth) => claimNextJob(pool, auth));
  await measure('one-statement claim (claim + event + NOTIFY + joined view) via pg', (_user, _i, auth) =>
    pool.query(oneStatementClaim, [auth.tokenId, auth.userId, kinds]),
  );
  const withoutNotify = oneStatementClaim.replace(
    "SELECT pg_notify('scrum4me_changes', jsonb_build_object('seq', seq::text, 'event', payload)::text)",
    'SELECT seq',
  );
  await measure('  the same without NOTIFY (claim + event + view)', (_user, _i, auth) => pool.query(withoutNotify, [auth.tokenId, auth.userId, kinds]));
  await measure('  the same, then NOTIFY as its own statement (2 round trips)', async (_user, _i, auth) => {
    const { rows } = await pool.query<{ id: string }>(withoutNotify, [auth.tokenId, auth.userId, kinds]);
    if (rows[0]) await pool.query("SELECT pg_notify('scrum4me_changes', $1)", [JSON.stringify({ job_id: rows[0].id })]);
  });
  await measure('  the same without NOTIFY and change event (claim + view)', (_user, _i, auth) =>
    pool.query(oneStatementClaim.replace(/, event AS \([\s\S]*?\), notified AS \([\s\S]*?\)\n/, '\n').replace(/,\s*\(SELECT count\(\*\) FROM notified\) AS notified/, ''), [
      auth.tokenId,
      auth.userId,
      kinds,
    ]),
  );
  await measure('one-statement claim via Prisma $queryRawUnsafe', (_user, _i, auth) =>
    prisma.$queryRawUnsafe(oneStatementClaim, auth.tokenId, auth.userId, kinds),
  );
} finally {
  await env.stop();
}
process.exit(0);
