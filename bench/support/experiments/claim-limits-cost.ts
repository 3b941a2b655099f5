// What max_active_jobs and budgets cost one claim inside PostgreSQL, where the
// claims-per-second comparisons are too noisy to tell a few per cent: the claim
// statement's mean execution time and WAL per call (pg_stat_statements) with
// CLAIM_COST_CONCURRENCY loops of claimNextJob (16; 1 leaves out waiting for the
// CPU), CLAIM_COST_JOBS claims a run (3,000), for open / limits / budgets / both,
// in ABBA order over several rounds.
// Run: CLAIM_COST_CONCURRENCY=1 CLAIM_COST_JOBS=1500 npx tsx bench/support/experiments/claim-limits-cost.ts [rounds]
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../../src/services/jobs/claim.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertQueuedTaskJobs, seedUser, seedWorld } from '../world.ts';
import { applySetting, settingOrder, type Setting } from './limit-settings.ts';

const jobsPerRun = Number(process.env.CLAIM_COST_JOBS ?? 3_000);
const concurrency = Number(process.env.CLAIM_COST_CONCURRENCY ?? 16);
const rounds = Number(process.argv[2] ?? 4);

const env = await startBenchEnvironment({ logLevel: 'silent', sqlStats: true });
try {
  const { prisma, pool } = env.app.db;
  await env.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const world = await seedWorld(prisma);
  let userCounter = 0;
  const apply = (setting: Setting) => applySetting(prisma, world, setting);
  const run = async (setting: Setting) => {
    await apply(setting);
    const user = await seedUser(prisma, `cost-${++userCounter}`, concurrency);
    await insertQueuedTaskJobs(env.pool, world, user.id, `cost-${userCounter}`, jobsPerRun + 200);
    await env.pool.query('VACUUM (ANALYZE) jobs');
    const auths: AuthContext[] = await Promise.all(user.agents.map((agent) => authenticate(pool, `Bearer ${agent.token}`)));
    for (let i = 0; i < 200; i++) await claimNextJob(pool, auths[i % concurrency]!);
    await env.pool.query('SELECT pg_stat_statements_reset()');
    let done = 0;
    const started = performance.now();
    await Promise.all(auths.map(async (auth) => {
      while (done < jobsPerRun) {
        done++;
        await claimNextJob(pool, auth);
      }
    }));
    const perSecond = (done * 1000) / (performance.now() - started);
    const { rows } = await env.pool.query<{ calls: string; mean_us: number; wal_bytes: string; blks: string }>(
      `SELECT calls, mean_exec_time * 1000 AS mean_us, wal_bytes, shared_blks_hit + shared_blks_read + shared_blks_dirtied AS blks
         FROM pg_stat_statements WHERE query LIKE '%claim_passes_over%' AND query NOT LIKE '%EXPLAIN%' ORDER BY calls DESC LIMIT 1`,
    );
    const row = rows[0]!;
    return { perSecond, meanUs: row.mean_us, walPerCall: Number(row.wal_bytes) / Number(row.calls), blksPerCall: Number(row.blks) / Number(row.calls) };
  };
  const results: Record<Setting, { perSecond: number; meanUs: number; walPerCall: number; blksPerCall: number }[]> = { open: [], limits: [], budgets: [], both: [] };
  const order = settingOrder;
  for (let round = 0; round < rounds; round++) {
    for (const setting of order[round % 2]!) results[setting].push(await run(setting));
    console.log(`round ${round + 1}: ${Object.entries(results).map(([s, r]) => `${s} ${r.at(-1)!.meanUs.toFixed(0)} µs ${r.at(-1)!.walPerCall.toFixed(0)} B`).join(', ')}`);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const setting of ['open', 'limits', 'budgets', 'both'] as const) {
    const r = results[setting];
    console.log(`${setting.padEnd(8)} claim statement: ${median(r.map((x) => x.meanUs)).toFixed(0)} µs, ${median(r.map((x) => x.walPerCall)).toFixed(0)} B WAL, ${median(r.map((x) => x.blksPerCall)).toFixed(1)} buffers per call; ${median(r.map((x) => x.perSecond)).toFixed(0)} claims/s (medians of ${rounds})`);
  }
} finally {
  await env.stop();
}
process.exit(0);
