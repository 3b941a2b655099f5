// Where an HTTP claim's time goes, measured in-process (no HTTP) on the bench's
// database: the token lookup, the bare claim statement through pg and Prisma,
// the session-1 shape (claim + event in a Prisma interactive transaction), and
// claimNextJob (today: one statement with budgets, the event, NOTIFY and job
// view), and claimNextJob's own statement (captured from it, as
// ../claim-churn.ts does) without its pg_notify, and without event and NOTIFY.
// 16 concurrent loops, like the claims benchmark.
// Run: npx tsx bench/support/experiments/claim-cost.ts
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../../src/services/jobs/claim.ts';
import { publishJobStatus } from '../../../src/services/jobs/job-events.ts';
import type { Queryable } from '../../../src/db/queryable.ts';
import { bareClaimStatement } from '../../claims.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertQueuedTaskJobs, seedUser, seedWorld, type BenchUser } from '../world.ts';

const jobsPerVariant = 4_000;
const concurrency = 16;
const kinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

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
  // the same statement, text captured from claimNextJob, with parts taken out
  let captured = '';
  const recorder = { query: async (config: { text: string }) => ((captured = config.text), { rows: [{ had_candidate: false, id: null }] }) } as unknown as Queryable;
  await claimNextJob(recorder, { tokenId: 'x', userId: 'x', userName: 'x', admin: false });
  const withoutNotify = captured.replace(/SELECT pg_notify\([^;]*?FROM stored_events\) AS message/s, 'SELECT 1 FROM stored_events');
  const withoutEvent = withoutNotify.replace(/INSERT INTO change_events \(type, user_id, payload\)\s*SELECT type, user_id, event::jsonb FROM events\s*RETURNING seq, user_id, payload/s, 'SELECT 0::bigint AS seq, user_id, event::jsonb AS payload FROM events');
  if (withoutNotify === captured || withoutEvent === withoutNotify) throw new Error('the claim statement changed shape: update the variants');
  await measure("claimNextJob's statement without its pg_notify", (user, i) => pool.query({ name: 'claim-no-notify', text: withoutNotify, values: [user.agents[i]!.tokenId, user.id, kinds] }));
  await measure("claimNextJob's statement without change event and NOTIFY", (user, i) => pool.query({ name: 'claim-no-event', text: withoutEvent, values: [user.agents[i]!.tokenId, user.id, kinds] }));
} finally {
  await env.stop();
}
process.exit(0);
