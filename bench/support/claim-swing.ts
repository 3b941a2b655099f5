// Why the scale bench's bare claim statement swings between depths and runs (issue 16).
// The scale bench's world and app (./scale-environment.ts, ./scale-world.ts); at each depth,
// rounds of claim runs of several kinds, in rotating order, each from the full depth:
//   fresh    the bare statement, 16 new pg.Clients per run (what bench/scale.ts did until now)
//   kept     the bare statement, 16 pg.Clients connected and warmed once for the whole experiment
//   http     the app over HTTP (16 agents, the load client)
//   barehttp the bare claim server (./bare-claim-server.ts) over HTTP, same load client
// and, per run: claims/s, latency p50/p99, the first query's time per fresh client, the
// autovacuum workers seen in pg_stat_activity during the run (sampled every 20 ms), the
// autovacuum / autoanalyze counts of jobs and change_events, and right after the run the
// statement's EXPLAIN (ANALYZE, BUFFERS) buffers as a custom plan and, on a kept client, as
// its cached plan (EXPLAIN EXECUTE), rolled back.
//   npm run build && flock /tmp/bench.lock node --max-semi-space-size=4 dist/bench/support/claim-swing.js \
//     [--depths 10000,100000] [--rounds 4] [--claims 1000] [--modes fresh,kept,http,barehttp] [--no-autovacuum]
import { parseArgs } from 'node:util';
import pg from 'pg';
import { bareClaimStatement, claimAgents } from '../claims.ts';
import { startBareClaimServer } from './bare-claim-server.ts';
import { startLoadClient } from './load-client.ts';
import { startScaleEnvironment } from './scale-environment.ts';
import { seedScaleWorld, topUpQueue } from './scale-world.ts';
import { percentile, perSecond } from './stats.ts';

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '10000,100000' },
    rounds: { type: 'string', default: '4' },
    claims: { type: 'string', default: '1000' },
    modes: { type: 'string', default: 'fresh,kept,http,barehttp' },
    // autovacuum off for jobs and change_events during the rounds (a manual VACUUM ANALYZE per depth only)
    'no-autovacuum': { type: 'boolean', default: false },
  },
});
const depths = values.depths.split(',').map(Number);
const rounds = Number(values.rounds);
const claims = Number(values.claims);
const modes = values.modes.split(',') as Mode[];
type Mode = 'fresh' | 'kept' | 'http' | 'barehttp';
const allKinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

const env = await startScaleEnvironment();
const load = startLoadClient();
const world = await seedScaleWorld(env.db.prisma, env.db.pool, claimAgents);
const user = world.claimUser;
const agents = user.agents.map((a) => ({ token: a.token, tokenId: a.tokenId, userId: user.id }));
const bareHttp = await startBareClaimServer({ databaseUrl: env.databaseUrl, statement: bareClaimStatement, agents, kinds: allKinds });
const kept = user.agents.map(() => new pg.Client({ connectionString: env.databaseUrl }));
await Promise.all(kept.map((c) => c.connect()));
const explainer = new pg.Client({ connectionString: env.databaseUrl });
await explainer.connect();

const claimOn = (client: pg.Client, i: number) => client.query<{ id: string }>({ name: 'bare-claim', text: bareClaimStatement, values: [user.agents[i]!.tokenId, user.id, allKinds] });

async function bareRun(clients: pg.Client[], count: number) {
  let sent = 0;
  let claimed = 0;
  const latencies: number[] = [];
  const first: number[] = [];
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      let n = 0;
      while (sent < count) {
        sent++;
        const t = performance.now();
        const { rows } = await claimOn(client, i);
        const ms = performance.now() - t;
        latencies.push(ms);
        if (n++ === 0) first.push(ms);
        if (rows.length === 0) return;
        claimed++;
      }
    }),
  );
  return { claimed, elapsedMs: performance.now() - started, latencies, first };
}

async function run(mode: Mode, count: number) {
  if (mode === 'fresh') {
    const clients = user.agents.map(() => new pg.Client({ connectionString: env.databaseUrl }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      return await bareRun(clients, count);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  }
  if (mode === 'kept') return bareRun(kept, count);
  const result = await load.run({
    type: 'claim-count',
    baseUrl: mode === 'http' ? env.app.url : bareHttp.url,
    tokens: user.agents.map((a) => a.token),
    body: JSON.stringify({ wait_seconds: 0 }),
    count,
  });
  if (result.problems.length > 0) throw new Error(`${mode}: ${result.problems.join('; ')}`);
  return { claimed: result.claimedIds.length, elapsedMs: result.elapsedMs, latencies: result.latenciesMs, first: [] as number[] };
}

/** autovacuum workers seen every 20 ms: "table:phase" → samples */
function sampleAutovacuum() {
  const seen = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const monitor = new pg.Client({ connectionString: env.databaseUrl });
  const loop = (async () => {
    await monitor.connect();
    while (!stopped) {
      const { rows } = await monitor.query<{ q: string }>(`SELECT query AS q FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND state <> 'idle'`);
      samples++;
      for (const row of rows) {
        const key = row.q.replace(/^autovacuum: /, '').replace(/public\./, '');
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await monitor.end();
  })();
  return async () => {
    stopped = true;
    await loop;
    return [...seen].map(([k, n]) => `${k} ${((100 * n) / Math.max(1, samples)).toFixed(0)}%`).join(', ') || '-';
  };
}

async function tableCounts() {
  const { rows } = await env.db.pool.query<{ relname: string; v: string; a: string; dead: string }>(
    `SELECT relname, autovacuum_count AS v, autoanalyze_count AS a, n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname IN ('jobs', 'change_events')`,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { v: Number(r.v), a: Number(r.a), dead: Number(r.dead) }]));
}

function buffersOf(plan: string): string {
  // the top line's total buffers, and the claim index scan's
  const lines = plan.split('\n');
  const top = lines.find((l) => l.includes('Buffers:'))?.match(/Buffers: (.*)$/)?.[1] ?? '?';
  const scanAt = lines.findIndex((l) => /Index Scan.* on jobs j|Index Only Scan.* on jobs j|Scan.*jobs_queued/.test(l));
  const scan = scanAt >= 0 ? (lines.slice(scanAt).find((l) => l.includes('Buffers:'))?.match(/Buffers: (.*)$/)?.[1] ?? '?') : `no index scan (${lines.find((l) => /on jobs j/.test(l))?.trim().slice(0, 60)})`;
  return `total ${top}; candidate scan ${scan}`;
}

async function explainNow() {
  await explainer.query('BEGIN');
  try {
    const { rows } = await explainer.query<{ 'QUERY PLAN': string }>({
      text: `EXPLAIN (ANALYZE, BUFFERS) ${bareClaimStatement}`,
      values: [user.agents[0]!.tokenId, user.id, allKinds],
    });
    return buffersOf(rows.map((r) => r['QUERY PLAN']).join('\n'));
  } finally {
    await explainer.query('ROLLBACK');
  }
}

async function explainCached() {
  const client = kept[0]!;
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) EXECUTE "bare-claim"('${user.agents[0]!.tokenId}', '${user.id}', '{${allKinds.join(',')}}')`,
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    return buffersOf(plan);
  } finally {
    await client.query('ROLLBACK');
  }
}

// warm-up: every side, 6+ statements per connection
await topUpQueue(env.db.pool, world, depths[0]!);
await env.db.pool.query('VACUUM (ANALYZE) jobs');
for (let pass = 0; pass < 8; pass++) await Promise.all(kept.map(claimOn));
await bareHttp.warm(agents[0]!);
if (values['no-autovacuum']) {
  for (const table of ['jobs', 'change_events']) await env.db.pool.query(`ALTER TABLE ${table} SET (autovacuum_enabled = off)`);
}
await run('http', 500);
await run('barehttp', 300);

const orders = (round: number): Mode[] => {
  const rotated = modes.map((_, i) => modes[(i + round) % modes.length]!);
  return round % 2 === 1 ? rotated.reverse() : rotated;
};
for (const depth of depths) {
  const added = await topUpQueue(env.db.pool, world, depth);
  const vacuumStarted = Date.now();
  await env.db.pool.query('VACUUM (ANALYZE) jobs');
  console.log(`depth ${depth}: ${added} added, VACUUM ANALYZE ${Date.now() - vacuumStarted} ms; explain now: ${await explainNow()}; cached: ${await explainCached()}`);
  const rates = new Map<Mode, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const mode of orders(round)) {
      await topUpQueue(env.db.pool, world, depth);
      const before = await tableCounts();
      const stop = sampleAutovacuum();
      const r = await run(mode, claims);
      const av = await stop();
      const after = await tableCounts();
      const rate = perSecond(r.claimed, r.elapsedMs);
      rates.set(mode, [...(rates.get(mode) ?? []), rate]);
      const delta = (t: string) => `${t} vac+${after[t]!.v - before[t]!.v} an+${after[t]!.a - before[t]!.a} dead ${after[t]!.dead}`;
      console.log(
        `  d${depth} r${round} ${mode.padEnd(8)} ${rate.toFixed(0).padStart(5)}/s p50 ${percentile(r.latencies, 50).toFixed(1)} p99 ${percentile(r.latencies, 99).toFixed(1)} ms` +
          (r.first.length ? ` first-query max ${Math.max(...r.first).toFixed(1)} mean ${(r.first.reduce((a, b) => a + b, 0) / r.first.length).toFixed(1)} ms` : '') +
          ` | autovacuum: ${av} | ${delta('jobs')}; ${delta('change_events')} | now: ${await explainNow()} | cached: ${await explainCached()}`,
      );
    }
  }
  console.log(`depth ${depth} summary: ${[...rates].map(([m, rs]) => `${m} ${rs.map((x) => x.toFixed(0)).join('/')}`).join('; ')}`);
}

await Promise.all(kept.map((c) => c.end()));
await explainer.end();
await bareHttp.stop();
await load.stop();
await env.stop();
