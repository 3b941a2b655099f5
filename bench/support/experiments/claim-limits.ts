// What budgets and max_active_jobs cost a claim, measured in process (no HTTP):
// claimNextJob, 16 concurrent loops on the app's pool, without and with a budget
// on the product and PBI and a max_active_jobs on the product (never reached),
// in ABBA order over several rounds, and the claim's plan with them set (the
// candidate scan must stay an index scan in claim order, the stripe lateral run
// once per row looked at). Also: limits only and budgets only, to say which costs.
// Run: npx tsx bench/support/experiments/claim-limits.ts [rounds]
import { authenticate, type AuthContext } from '../../../src/services/auth/tokens.ts';
import { claimNextJob } from '../../../src/services/jobs/claim.ts';
import { capturedClaimStatement } from '../claim-churn.ts';
import { startBenchEnvironment } from '../environment.ts';
import { insertQueuedTaskJobs, seedUser, seedWorld } from '../world.ts';
import { applySetting, settingOrder, type Setting } from './limit-settings.ts';

const jobsPerRun = 3_000;
const concurrency = 16;
const rounds = Number(process.argv[2] ?? 4);


const env = await startBenchEnvironment({ logLevel: 'silent' });
try {
  const { prisma, pool } = env.app.db;
  const world = await seedWorld(prisma);
  let userCounter = 0;

  const apply = (setting: Setting) => applySetting(prisma, world, setting);

  const run = async (setting: Setting): Promise<number> => {
    await apply(setting);
    const user = await seedUser(prisma, `limits-${++userCounter}`, concurrency);
    await insertQueuedTaskJobs(env.pool, world, user.id, `limits-${userCounter}`, jobsPerRun + 200);
    await env.pool.query('VACUUM (ANALYZE) jobs');
    const auths: AuthContext[] = await Promise.all(user.agents.map((agent) => authenticate(pool, `Bearer ${agent.token}`)));
    for (let i = 0; i < 200; i++) await claimNextJob(pool, auths[i % concurrency]!); // warm-up
    let done = 0;
    let empty = 0;
    const started = performance.now();
    await Promise.all(
      auths.map(async (auth) => {
        while (done < jobsPerRun) {
          done++;
          if (!(await claimNextJob(pool, auth))) empty++;
        }
      }),
    );
    const perSecond = (done * 1000) / (performance.now() - started);
    const { rows } = await env.pool.query(
      `SELECT n_tup_upd, n_tup_hot_upd, n_dead_tup, pg_relation_size('product_slot_stripes') / 8192 AS heap_pages,
              pg_relation_size('product_slot_stripes_pkey') / 8192 AS index_pages
         FROM pg_stat_user_tables WHERE relname = 'product_slot_stripes'`,
    );
    if (process.env.CLAIM_LIMITS_TRACE) console.log(setting, perSecond.toFixed(0), JSON.stringify(rows[0]));
    if (empty > 0) throw new Error(`${setting}: ${empty} claims came back empty with jobs queued`);
    return perSecond;
  };

  // the plan with both set
  await apply('both');
  const planUser = await seedUser(prisma, 'limits-plan', 1);
  await insertQueuedTaskJobs(env.pool, world, planUser.id, 'limits-plan', 10_000);
  await env.pool.query('VACUUM (ANALYZE) jobs');
  const planAuth = await authenticate(pool, `Bearer ${planUser.agents[0]!.token}`);
  const captured = await capturedClaimStatement(planAuth);
  const client = await env.pool.connect();
  await client.query('BEGIN');
  const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${captured.text}`, captured.values);
  await client.query('ROLLBACK');
  client.release();
  console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));

  const rates: Record<Setting, number[]> = { open: [], limits: [], budgets: [], both: [] };
  const order = settingOrder;
  for (let round = 0; round < rounds; round++) {
    for (const setting of order[round % 2]!) rates[setting].push(await run(setting));
    console.log(`round ${round + 1}: ${Object.entries(rates).map(([s, r]) => `${s} ${r.at(-1)!.toFixed(0)}/s`).join(', ')}`);
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  for (const setting of ['limits', 'budgets', 'both'] as const) {
    console.log(`${setting.padEnd(8)} ÷ open: ${((100 * mean(rates[setting])) / mean(rates.open)).toFixed(0)} % (${mean(rates[setting]).toFixed(0)} / ${mean(rates.open).toFixed(0)} claims/s)`);
  }
} finally {
  await env.stop();
}
process.exit(0);
