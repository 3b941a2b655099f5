// Claims: 16 agents of one user claim 10,000 queued jobs over HTTP
// (POST /api/v1/jobs/claim, wait_seconds 0) until the queue answers 204,
// against the bare claim statement run by 16 pg clients on the same database.
// Also samples the app process's RSS while the HTTP claims run, and runs the
// HTTP claims again with a budget on every product and PBI and a
// max_active_jobs on every product (none reached: each claim checks them and
// takes a slot in one of the product's stripes), next to runs without,
// alternating in short rounds so the machine's changing load falls on both
// (SPEC §11: within 10 %). And the HTTP ceiling: the same bare statement behind a
// bare node:http server (./support/bare-claim-server.ts), driven by the same load
// client with the same 16 agents, right before and after the HTTP run.
import pg from 'pg';
import { claimCtes } from '../src/db/sql/claim-job.ts';
import { startBareClaimServer } from './support/bare-claim-server.ts';
import type { BenchEnvironment } from './support/environment.ts';
import type { LoadClient } from './support/load-client.ts';
import { memoryBreakdown, rssMb, sampleRss } from './support/memory.ts';
import { perSecond, percentile } from './support/stats.ts';
import { shareOfBaselineRow, type BenchRow } from './support/table.ts';
import { insertQueuedTaskJobs, seedUser, settleJobsTable, type BenchUser, type BenchWorld } from './support/world.ts';

export const claimAgents = 16;
export const claimJobs = 10_000;
/** Rounds of the budgets-and-limits comparison: each claims this many jobs without, then as many with. */
const limitRounds = 4;
const limitRoundJobs = 2_500;
const warmupJobs = 1_000;
const allKinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];

/**
 * The claim of src/db/sql/claim-job.ts (its budget and limit checks included:
 * the same CTEs) without the change event and the joined job view.
 */
export const bareClaimStatement = `
      WITH ${claimCtes}
      SELECT id, task_id, user_id, product_id, status::text AS status, branch, pushed_at, pr_url,
             verify_result::text AS verify_result, summary, error
        FROM claimed`;

export interface ClaimsOutcome {
  claims: BenchRow[];
  memory: BenchRow[];
  /** correctness failures (double claims, errors): the bench exits non-zero */
  failures: string[];
  notes: string[];
}

interface RunVerdict {
  claimed: number;
  elapsedMs: number;
  failures: string[];
  /** this process's CPU over the run (bare SQL only) */
  cpuMs?: number;
}

export async function benchClaims(env: BenchEnvironment, load: LoadClient, world: BenchWorld): Promise<ClaimsOutcome> {
  const { prisma } = env.app.db;
  const failures: string[] = [];
  const notes: string[] = [];
  const [warmUser, sqlBeforeUser, httpUser, sqlAfterUser, bareHttpBeforeUser, bareHttpAfterUser, ...limitUsers] = await Promise.all([
    seedUser(prisma, 'bench-claims-warmup', claimAgents),
    seedUser(prisma, 'bench-claims-sql-before', claimAgents),
    seedUser(prisma, 'bench-claims-http', claimAgents),
    seedUser(prisma, 'bench-claims-sql-after', claimAgents),
    seedUser(prisma, 'bench-claims-bare-http-before', claimAgents),
    seedUser(prisma, 'bench-claims-bare-http-after', claimAgents),
    ...Array.from({ length: 4 * limitRounds }, (_, i) => seedUser(prisma, `bench-claims-${['http-open', 'sql-open', 'http-limits', 'sql-limits'][i % 4]}-${i >> 2}`, claimAgents)),
  ]);

  notes.push(`memory before the claim warm-up: ${memoryBreakdown()}`);
  // Warm-up: JIT, Prisma's query plans, the pools' connections.
  await insertQueuedTaskJobs(env.pool, world, warmUser.id, 'warm-claim', warmupJobs);
  const warm = await claimOverHttp(env, load, warmUser);
  notes.push(`memory after ${warmupJobs} warm-up claims: ${memoryBreakdown()}`);
  failures.push(...warm.verdict.failures.map((f) => `warm-up: ${f}`));

  // Baseline: the bare statement, 16 clients, same table, same row count; run
  // before and after the HTTP run (it is short), so drift in the machine's load
  // shows and is averaged.
  const bareSqlRun = async (user: BenchUser, tag: string) => {
    await insertQueuedTaskJobs(env.pool, world, user.id, `sql-claim-${tag}`, claimJobs);
    await settleJobsTable(env.pool);
    const verdict = await claimWithBareSql(env, user);
    failures.push(...verdict.failures.map((f) => `bare SQL (${tag}): ${f}`));
    return verdict;
  };
  const sqlBefore = await bareSqlRun(sqlBeforeUser, 'before');

  // The HTTP ceiling: the bare statement behind node:http, half the jobs right before the app's run, half right after
  const bareHttpRun = async (user: BenchUser, tag: string) => {
    const server = await startBareClaimServer({
      databaseUrl: env.databaseUrl,
      statement: bareClaimStatement,
      agents: user.agents.map((agent) => ({ ...agent, userId: user.id })),
      kinds: allKinds,
    });
    try {
      await insertQueuedTaskJobs(env.pool, world, user.id, `bare-http-claim-${tag}`, claimJobs / 2 + 60);
      await server.warm({ ...user.agents[0]!, userId: user.id }); // 60 claims: every pool connection has planned the statement
      await settleJobsTable(env.pool);
      const result = await load.run({ type: 'claim-until-empty', baseUrl: server.url, tokens: user.agents.map((agent) => agent.token), body: JSON.stringify({ wait_seconds: 0 }) });
      const unique = new Set(result.claimedIds);
      if (result.problems.length > 0) failures.push(`bare HTTP (${tag}): ${result.problems.join('; ')}`);
      if (unique.size !== result.claimedIds.length) failures.push(`bare HTTP (${tag}): ${result.claimedIds.length - unique.size} job ids answered twice`);
      return { claimed: result.claimedIds.length, elapsedMs: result.elapsedMs, serverCpuMs: result.serverCpuMs };
    } finally {
      await server.stop();
    }
  };
  const bareHttpBefore = await bareHttpRun(bareHttpBeforeUser, 'before');

  // The app, over HTTP, with RSS sampled.
  await insertQueuedTaskJobs(env.pool, world, httpUser.id, 'http-claim', claimJobs);
  await settleJobsTable(env.pool);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleRss = rssMb();
  await env.sqlStats?.reset();
  const sampler = sampleRss();
  const http = await claimOverHttp(env, load, httpUser);
  const rss = sampler.stop();
  notes.push(`memory right after the claim load: ${memoryBreakdown()}`);
  if (env.sqlStats) notes.push(await env.sqlStats.report('HTTP claim', http.verdict.claimed + claimAgents));
  failures.push(...http.verdict.failures.map((f) => `HTTP: ${f}`));
  const bareHttpAfter = await bareHttpRun(bareHttpAfterUser, 'after');
  const bareHttpRate = perSecond(bareHttpBefore.claimed + bareHttpAfter.claimed, bareHttpBefore.elapsedMs + bareHttpAfter.elapsedMs);

  // the same HTTP claims without and with budgets and limits set (none reached), round by round
  const httpRun = async (user: BenchUser, tag: string) => {
    await insertQueuedTaskJobs(env.pool, world, user.id, `http-claim-${tag}`, limitRoundJobs);
    await settleJobsTable(env.pool);
    const run = await claimOverHttp(env, load, user);
    failures.push(...run.verdict.failures.map((f) => `HTTP (${tag}): ${f}`));
    return run.verdict;
  };
  // and the bare statement the same way: the database's share of the difference
  const sqlRun = async (user: BenchUser, tag: string) => {
    await insertQueuedTaskJobs(env.pool, world, user.id, `sql-claim-${tag}`, limitRoundJobs);
    await settleJobsTable(env.pool);
    const verdict = await claimWithBareSql(env, user);
    failures.push(...verdict.failures.map((f) => `bare SQL (${tag}): ${f}`));
    return verdict;
  };
  const open: RunVerdict[] = [];
  const limited: RunVerdict[] = [];
  const openSql: RunVerdict[] = [];
  const limitedSql: RunVerdict[] = [];
  // ABBA: odd rounds run the limited side first, so neither side always comes second
  // (in AB order the limited runs, always second, read 77-87 % over HTTP in every run)
  for (let round = 0; round < limitRounds; round++) {
    const users = limitUsers.slice(4 * round, 4 * round + 4) as [BenchUser, BenchUser, BenchUser, BenchUser];
    const runOpen = async () => {
      await setBudgetsAndLimits(env, false);
      open.push(await httpRun(users[0], `open-${round}`));
      openSql.push(await sqlRun(users[1], `open-${round}`));
    };
    const runLimited = async () => {
      await setBudgetsAndLimits(env, true);
      limited.push(await httpRun(users[2], `limits-${round}`));
      limitedSql.push(await sqlRun(users[3], `limits-${round}`));
      await setBudgetsAndLimits(env, false);
    };
    if (round % 2 === 0) {
      await runOpen();
      await runLimited();
    } else {
      await runLimited();
      await runOpen();
    }
  }

  const sqlAfter = await bareSqlRun(sqlAfterUser, 'after');

  const httpRate = perSecond(http.verdict.claimed, http.verdict.elapsedMs);
  const rate = (runs: RunVerdict[]) => perSecond(runs.reduce((n, r) => n + r.claimed, 0), runs.reduce((ms, r) => ms + r.elapsedMs, 0));
  const withoutRate = rate(open);
  const withRate = rate(limited);
  notes.push(
    `HTTP claims in ${limitRounds} rounds of ${limitRoundJobs} jobs, without / with a budget on every product and PBI and max_active_jobs on every product: ` +
      open.map((r, i) => `${perSecond(r.claimed, r.elapsedMs).toFixed(0)} / ${perSecond(limited[i]!.claimed, limited[i]!.elapsedMs).toFixed(0)}`).join(', ') +
      ' claims/s; the bare statement: ' +
      openSql.map((r, i) => `${perSecond(r.claimed, r.elapsedMs).toFixed(0)} / ${perSecond(limitedSql[i]!.claimed, limitedSql[i]!.elapsedMs).toFixed(0)}`).join(', ') +
      ' claims/s',
  );
  const sqlRate = perSecond(sqlBefore.claimed + sqlAfter.claimed, sqlBefore.elapsedMs + sqlAfter.elapsedMs);
  const sqlRateOf = (rate: number) => rate / sqlRate;
  notes.push(
    `HTTP claims: ${http.verdict.claimed} in ${(http.verdict.elapsedMs / 1000).toFixed(2)} s, ` +
      `latency p50 ${percentile(http.latenciesMs, 50).toFixed(1)} ms / p99 ${percentile(http.latenciesMs, 99).toFixed(1)} ms, ` +
      `app process CPU ${((http.serverCpuMs * 1000) / http.verdict.claimed).toFixed(0)} µs per claim, ` +
      `load generator CPU ${(http.clientCpuShare * 100).toFixed(0)} % of a core`,
    `bare HTTP claim server: ${bareHttpBefore.claimed} claims in ${(bareHttpBefore.elapsedMs / 1000).toFixed(2)} s before the HTTP run, ` +
      `${bareHttpAfter.claimed} in ${(bareHttpAfter.elapsedMs / 1000).toFixed(2)} s after it (${bareHttpRate.toFixed(0)}/s, ${(sqlRateOf(bareHttpRate) * 100).toFixed(0)} % of the bare statement); ` +
      `its process's CPU ${(((bareHttpBefore.serverCpuMs + bareHttpAfter.serverCpuMs) * 1000) / Math.max(1, bareHttpBefore.claimed + bareHttpAfter.claimed)).toFixed(0)} µs per claim`,
    `bare SQL claims: ${sqlBefore.claimed} in ${(sqlBefore.elapsedMs / 1000).toFixed(2)} s before the HTTP run, ` +
      `${sqlAfter.claimed} in ${(sqlAfter.elapsedMs / 1000).toFixed(2)} s after it; ` +
      `client process CPU ${((((sqlBefore.cpuMs ?? 0) + (sqlAfter.cpuMs ?? 0)) * 1000) / (sqlBefore.claimed + sqlAfter.claimed)).toFixed(0)} µs per claim`,
  );
  const noDoubleClaims = failures.length === 0;
  return {
    claims: [
      shareOfBaselineRow(`${claimJobs.toLocaleString('en-US')} jobs, ${claimAgents} agents, HTTP vs bare SQL`, httpRate, sqlRate, 'claims/s', 0.3),
      // how close the HTTP limit is: the app next to the bare statement behind node:http, and that next to the bare statement
      { name: `${claimJobs.toLocaleString('en-US')} jobs, ${claimAgents} agents, HTTP vs bare HTTP claim server (node:http + the statement)`, value: httpRate, unit: 'claims/s', baseline: bareHttpRate, ratio: httpRate / bareHttpRate },
      { name: 'bare HTTP claim server vs bare SQL', value: bareHttpRate, unit: 'claims/s', baseline: sqlRate, ratio: bareHttpRate / sqlRate },
      shareOfBaselineRow(`HTTP claims with budgets and max_active_jobs set vs without (${limitRounds} rounds each)`, withRate, withoutRate, 'claims/s', 0.9),
      shareOfBaselineRow(`bare claim statement with budgets and max_active_jobs set vs without (${limitRounds} rounds each)`, rate(limitedSql), rate(openSql), 'claims/s', 0.9),
      { name: 'claim latency p50 (HTTP, 16 in flight)', value: percentile(http.latenciesMs, 50), unit: 'ms' },
      { name: 'claim latency p99 (HTTP, 16 in flight)', value: percentile(http.latenciesMs, 99), unit: 'ms' },
      {
        name: 'double or lost claims (answers, DB rows and claim events checked)',
        value: noDoubleClaims ? 0 : failures.length,
        unit: 'problems',
        target: '0',
        pass: noDoubleClaims,
      },
    ],
    memory: [
      { name: `RSS idle before the claim load (after ${warmupJobs} warm-up claims)`, value: idleRss, unit: 'MB', target: '< 200 MB', pass: idleRss < 200 },
      { name: 'RSS peak under the claim load', value: rss.peakMb, unit: 'MB', target: '< 200 MB', pass: rss.peakMb < 200 },
    ],
    failures,
    notes,
  };
}

/**
 * A budget on every product and PBI and a max_active_jobs on every product,
 * through the operator API (the limit is set with its count taken afresh), or
 * none. Far from reached: the claims pay for the checks, never skip.
 */
async function setBudgetsAndLimits(env: BenchEnvironment, on: boolean): Promise<void> {
  const { rows: products } = await env.pool.query<{ id: string }>('SELECT id FROM products');
  const { rows: pbis } = await env.pool.query<{ id: string }>('SELECT id FROM pbis');
  const patch = async (path: string, body: unknown) => {
    const response = await fetch(`${env.app.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${env.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`PATCH ${path} answered ${response.status}: ${await response.text()}`);
  };
  for (const product of products) await patch(`/api/v1/admin/products/${product.id}`, { budget_usd: on ? 1_000_000_000 : null, max_active_jobs: on ? 1_000_000_000 : null });
  for (const pbi of pbis) await patch(`/api/v1/admin/pbis/${pbi.id}`, { budget_usd: on ? 1_000_000_000 : null });
}

async function claimOverHttp(env: BenchEnvironment, load: LoadClient, user: BenchUser) {
  const result = await load.run({
    type: 'claim-until-empty',
    baseUrl: env.app.url,
    tokens: user.agents.map((agent) => agent.token),
    body: JSON.stringify({ wait_seconds: 0 }),
  });
  const failures = result.problems.slice();
  const ids = result.claimedIds;
  const unique = new Set(ids);
  if (unique.size !== ids.length) failures.push(`${ids.length - unique.size} job ids were answered to more than one claim`);
  failures.push(...(await verifyClaimedInDatabase(env, user, unique.size)));
  return {
    verdict: { claimed: ids.length, elapsedMs: result.elapsedMs, failures } satisfies RunVerdict,
    latenciesMs: result.latenciesMs,
    clientCpuShare: result.clientCpuShare,
    serverCpuMs: result.serverCpuMs,
  };
}

async function claimWithBareSql(env: BenchEnvironment, user: BenchUser): Promise<RunVerdict> {
  const clients = user.agents.map(() => new pg.Client({ connectionString: env.databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    const ids: string[] = [];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      clients.map(async (client, i) => {
        const tokenId = user.agents[i]!.tokenId;
        for (;;) {
          const { rows } = await client.query<{ id: string }>({ name: 'bare-claim', text: bareClaimStatement, values: [tokenId, user.id, allKinds] }); // prepared, like the app's
          if (rows.length === 0) return;
          ids.push(rows[0]!.id);
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const unique = new Set(ids);
    const failures = unique.size === ids.length ? [] : [`${ids.length - unique.size} job ids claimed twice`];
    // the bare statement publishes no change events: check the rows only
    const { rows } = await env.pool.query<{ claimed: string; queued: string }>(
      `SELECT count(*) FILTER (WHERE status = 'CLAIMED') AS claimed, count(*) FILTER (WHERE status = 'QUEUED') AS queued
         FROM jobs WHERE user_id = $1`,
      [user.id],
    );
    if (Number(rows[0]!.claimed) !== unique.size || Number(rows[0]!.queued) !== 0) {
      failures.push(`database has ${rows[0]!.claimed} CLAIMED / ${rows[0]!.queued} QUEUED, ${unique.size} claims answered`);
    }
    return { claimed: ids.length, elapsedMs, failures, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

/** Every job claimed exactly once: the DB's CLAIMED count, the claimers, and one `claimed` change event per job. */
async function verifyClaimedInDatabase(env: BenchEnvironment, user: BenchUser, answered: number): Promise<string[]> {
  const failures: string[] = [];
  const tokenIds = user.agents.map((agent) => agent.tokenId);
  const { rows } = await env.pool.query<{ claimed: string; queued: string; foreign_claimer: string }>(
    `SELECT count(*) FILTER (WHERE status = 'CLAIMED') AS claimed,
            count(*) FILTER (WHERE status = 'QUEUED') AS queued,
            count(*) FILTER (WHERE status = 'CLAIMED' AND NOT (claimed_by_token_id = ANY($2::text[]))) AS foreign_claimer
       FROM jobs WHERE user_id = $1`,
    [user.id, tokenIds],
  );
  const counts = rows[0]!;
  if (Number(counts.claimed) !== answered) failures.push(`database has ${counts.claimed} CLAIMED jobs, ${answered} claims answered`);
  if (Number(counts.queued) !== 0) failures.push(`${counts.queued} jobs still QUEUED after every agent got 204`);
  if (Number(counts.foreign_claimer) !== 0) failures.push(`${counts.foreign_claimer} jobs claimed by a token of another user`);
  const events = await env.pool.query<{ events: string; jobs: string }>(
    `SELECT count(*) AS events, count(DISTINCT payload->>'job_id') AS jobs
       FROM change_events WHERE user_id = $1 AND payload->>'status' = 'claimed'`,
    [user.id],
  );
  const { events: eventCount, jobs: eventJobs } = events.rows[0]!;
  if (eventCount !== eventJobs) failures.push(`${Number(eventCount) - Number(eventJobs)} jobs have more than one claim event`);
  if (Number(eventJobs) !== answered) failures.push(`${eventJobs} claim events for ${answered} claims answered`);
  return failures;
}
