// Where a status call's time goes, measured in-process (no HTTP) on the bench's
// database: the token lookup, the baseline's bare UPDATE, and updateJobStatus
// for `running` on an idea job (today: the one-statement path, quick-status.ts).
// Run: npm run build && node dist/bench/support/experiments/status-cost.js
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { updateJobStatus } from '../../../src/services/jobs/update-status.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertClaimedIdeaJobs, seedUser, seedWorld } from '../world.ts';

const callsPerVariant = 3_000;
const concurrency = 10;

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
  await measure("updateJobStatus running (today's service)", (id) => updateJobStatus(env.app.services, auth, id, { status: 'running' }));
} finally {
  await env.stop();
}
process.exit(0);
