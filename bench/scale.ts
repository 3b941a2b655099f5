// Scale (issue 16): the same measurements as the claim user's queue grows from
// 10,000 to 100,000 to 1,000,000 QUEUED jobs (spread over 100,000 tasks; one
// hot story of 1,000 jobs), each depth printed next to the 10k row with its ratio
// (target: no figure more than 20 % worse than at 10k). One app (startApp in a
// process of its own, ./support/app-process.ts, so its RSS and CPU are its own;
// the load generator is another process) on the embedded PostgreSQL, pointed at
// a stub GitHub (./support/stub-github.ts) so that each status call's check
// refresh runs for real. The world grows between depths (./support/scale-world.ts),
// written by the harness with SQL. At each depth:
//   - claims: 16 agents over HTTP, a fixed number of claims, next to the bare
//     claim statement on the same queue (before and after);
//   - status: `running` on the hot story's jobs at 10 concurrent (each call
//     queues the story's check refresh), in 3 bursts, and the drain after each:
//     from the burst's last answer until graphile-worker has no
//     refresh_story_check job left (the median of the 3);
//   - the PBI view of the hot PBI (GET /api/v1/admin/pbis/{id}), sequential;
//   - the app process's RSS: peak during the status load (target < 250 MB) and
//     peak during the claims.
// Then, after the app has stopped, the claim under churn at each depth
// (./support/claim-churn.ts: its own database; N claims with no manual VACUUM,
// the claim's EXPLAIN (ANALYZE, BUFFERS) after).
import path from 'node:path';
import pg from 'pg';
import { bareClaimStatement, claimAgents } from './claims.ts';
import { runClaimChurn } from './support/claim-churn.ts';
import { startLoadClient, type LoadClient } from './support/load-client.ts';
import { startScaleEnvironment, type ScaleEnvironment } from './support/scale-environment.ts';
import { startBareStatusServer, type BareStatusServer } from './support/bare-status-server.ts';
import { insertProbeJobs, jobCounts, resetHotJobs, seedScaleWorld, topUpQueue, type ScaleWorld } from './support/scale-world.ts';
import { perSecond, percentile } from './support/stats.ts';
import type { BenchRow } from './support/table.ts';
import type { BenchUser } from './support/world.ts';

export interface ScaleOptions {
  depths: number[];
  /** claims over HTTP per depth (bare SQL: half before, half after) */
  claims: number;
  statusCalls: number;
  pbiViews: number;
  /** claims of the churn run per depth; 0 skips it */
  churnClaims: number;
  /** a heap snapshot of the app after each depth's status load, into this folder */
  heapSnapshotDir?: string | undefined;
  /** more node flags for the app's process (e.g. --heap-prof --heap-prof-dir=DIR) */
  appExecArgv?: string[] | undefined;
}

type BenchEnvironment = ScaleEnvironment;

export interface ScaleOutcome {
  rows: BenchRow[];
  notes: string[];
  failures: string[];
}

interface DepthFigures {
  depth: number;
  claimsPerSecond: number;
  claimP99: number;
  bareClaimsPerSecond: number;
  bareClaimP99: number;
  /** the bare status server (one UPDATE by id) at 10 concurrent, right before and after the status bursts: the machine's speed then */
  bareStatusP50: number;
  bareStatusP99: number;
  statusP99: number;
  statusP50: number;
  statusPerSecond: number;
  drainMs: number;
  pbiP50: number;
  pbiP99: number;
  pbiBytes: number;
  rssStatusPeak: number;
  rssClaimPeak: number;
  churnBuffers?: number;
  churnStatementBuffers?: number;
}

const allKinds = ['TASK_IMPLEMENTATION', 'IDEA_GRILL', 'IDEA_MAKE_PLAN'];
const statusConcurrency = 10;
const statusBursts = 3;
const rssTarget = 250;
const tolerance = 0.2;

export async function benchScale(options: ScaleOptions): Promise<ScaleOutcome> {
  const notes: string[] = [];
  const failures: string[] = [];
  const figures: DepthFigures[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const env = await startScaleEnvironment(options.appExecArgv ? { appExecArgv: options.appExecArgv } : {});
  notes.push(`the app's process right after startApp: ${await env.app.memory()}`);
  const load = startLoadClient();
  try {
    const seedStarted = Date.now();
    const world = await seedScaleWorld(env.db.prisma, env.db.pool, claimAgents);
    const bare = await startBareStatusServer(env.databaseUrl, world.statusUser.agents[0]!.tokenId);
    cleanups.push(() => bare.stop());
    notes.push(`scale world (100,000 tasks, hot story of 1,000 jobs) seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
    let warmedUp = false;
    for (const depth of options.depths) {
      const started = Date.now();
      const added = await topUpQueue(env.db.pool, world, depth);
      await env.db.pool.query('VACUUM (ANALYZE) jobs');
      notes.push(
        `depth ${depth.toLocaleString('en-US')}: ${added.toLocaleString('en-US')} jobs added and VACUUM ANALYZE in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `jobs in the database: ${await jobCounts(env.db.pool)}`,
      );
      if (!warmedUp) {
        await warmUp(env, load, world, options);
        warmedUp = true;
      }
      figures.push(await measureDepth(env, load, world, bare, depth, options, notes, failures));
    }
    notes.push(`stub GitHub calls over the run: ${JSON.stringify(env.github.calls())}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await load.stop();
    await env.stop();
  }
  if (options.churnClaims > 0) {
    for (const figure of figures) {
      const started = Date.now();
      const churn = await runClaimChurn({
        claims: options.churnClaims,
        depth: figure.depth,
        workers: 8,
        log: (line) => console.error(`[churn ${figure.depth}] ${line}`),
      }).catch((error: unknown) => {
        failures.push(`churn at depth ${figure.depth}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        return null;
      });
      if (!churn) continue;
      const last = churn.final.at(-1)!;
      // NaN: the plan has no index scan of jobs (a sequential scan of the queue): the statement's buffers say what it read
      figure.churnBuffers = Number.isNaN(churn.finalScanBuffers) ? Number.POSITIVE_INFINITY : churn.finalScanBuffers;
      figure.churnStatementBuffers = median(churn.final.map((s) => s.statementBuffers));
      notes.push(
        `churn at depth ${figure.depth.toLocaleString('en-US')}: ${last.claims} claims in ${((Date.now() - started) / 1000).toFixed(0)} s (8 agents, no manual VACUUM, ` +
          `${last.autovacuums} autovacuums): claim index scan ${churn.finalScanBuffers} buffers, whole statement ${figure.churnStatementBuffers} ` +
          `(median of 5 after the last claim); during the run: scan buffers max ${Math.max(...churn.samples.map((s) => s.scanBuffers))}`,
      );
      if (figure === figures.at(-1)) notes.push(`claim plan after churn at depth ${figure.depth.toLocaleString('en-US')}:\n${indent(churn.plan)}`);
    }
  }
  return { rows: rowsOf(figures), notes, failures };
}

async function warmUp(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, options: ScaleOptions): Promise<void> {
  // JIT, Prisma's plans, the pools' connections; these claims come off the queue like any
  await claimOverHttp(env, load, world.claimUser, Math.min(1000, options.claims));
  await statusBurst(env, load, world, Math.min(200, options.statusCalls));
  await waitForDrain(env.db.pool);
  await pbiViews(env, load, world, 50);
  await resetHotJobs(env.db.pool, world);
}

async function measureDepth(
  env: BenchEnvironment,
  load: LoadClient,
  world: ScaleWorld,
  bare: BareStatusServer,
  depth: number,
  options: ScaleOptions,
  notes: string[],
  failures: string[],
): Promise<DepthFigures> {
  const tag = `depth ${depth.toLocaleString('en-US')}`;
  const half = Math.ceil(options.claims / 2);
  // each claim run starts from the full depth (claims take a small share of it; no VACUUM in between)
  await topUpQueue(env.db.pool, world, depth);
  const bareBefore = await claimWithBareSql(env, world.claimUser, half);
  await topUpQueue(env.db.pool, world, depth);
  const claimRss = await env.app.sampleRss();
  const claimCpu = await env.app.cpuMs();
  const http = await claimOverHttp(env, load, world.claimUser, options.claims);
  const claimCpuMs = (await env.app.cpuMs()) - claimCpu;
  const claimPeak = await claimRss.stop();
  await topUpQueue(env.db.pool, world, depth);
  const bareAfter = await claimWithBareSql(env, world.claimUser, half);
  if (http.problems.length > 0) failures.push(`${tag} claims: ${http.problems.join('; ')}`);
  if (http.claimedIds.length !== options.claims) failures.push(`${tag}: ${http.claimedIds.length} of ${options.claims} claims answered a job`);
  if (new Set(http.claimedIds).size !== http.claimedIds.length) failures.push(`${tag}: a job id was answered to two claims`);
  const bareRate = perSecond(bareBefore.claimed + bareAfter.claimed, bareBefore.elapsedMs + bareAfter.elapsedMs);
  const probe = async () => {
    const ids = await insertProbeJobs(env.db.pool, world, 200);
    const body = JSON.stringify({ status: 'running' });
    const result = await load.run({ type: 'requests', baseUrl: bare.url, concurrency: statusConcurrency, requests: ids.map((id) => ({ path: `/jobs/${id}/status`, body })) });
    if ((result.statuses['200'] ?? 0) !== ids.length) failures.push(`${tag} bare status probe: ${JSON.stringify(result.statuses)}`);
    return result.latenciesMs;
  };

  await resetHotJobs(env.db.pool, world);
  await env.db.pool.query('VACUUM (ANALYZE) jobs');
  // the calls in 3 bursts, each followed by its drain: the drain is bimodal (see BENCHMARKS.md), the median says which mode a depth is in
  const probeLatencies = await probe();
  const statusRss = await env.app.sampleRss();
  const bursts: Awaited<ReturnType<typeof statusBurst>>[] = [];
  const drains: number[] = [];
  for (let burst = 0; burst < statusBursts; burst++) {
    bursts.push(await statusBurst(env, load, world, Math.ceil(options.statusCalls / statusBursts)));
    const burstEnded = performance.now();
    if (!(await waitForDrain(env.db.pool))) failures.push(`${tag}: graphile-worker still had check refreshes 120 s after burst ${burst + 1}`);
    drains.push(performance.now() - burstEnded);
  }
  const statusPeak = await statusRss.stop();
  probeLatencies.push(...(await probe()));
  const status = { latenciesMs: bursts.flatMap((b) => b.latenciesMs), elapsedMs: bursts.reduce((sum, b) => sum + b.elapsedMs, 0) };
  const answered = bursts.reduce((sum, b) => sum + (b.statuses['200'] ?? 0), 0);
  if (answered !== bursts.reduce((sum, b) => sum + b.latenciesMs.length, 0) || bursts.some((b) => b.problems.length > 0)) {
    failures.push(`${tag} status: ${bursts.map((b) => `${JSON.stringify(b.statuses)} ${b.problems.join('; ')}`).join(' | ')}`);
  }
  const drainMs = median(drains);
  const afterStatus = await env.app.memory();
  if (options.heapSnapshotDir) await env.app.heapSnapshot(path.join(options.heapSnapshotDir, `scale-app-${depth}.heapsnapshot`));

  const views = await pbiViews(env, load, world, options.pbiViews);
  if ((views.statuses['200'] ?? 0) !== options.pbiViews) failures.push(`${tag} PBI view: ${JSON.stringify(views.statuses)} ${views.problems.join('; ')}`);

  const figure: DepthFigures = {
    depth,
    claimsPerSecond: perSecond(http.claimedIds.length, http.elapsedMs),
    claimP99: percentile(http.latenciesMs, 99),
    bareClaimsPerSecond: bareRate,
    bareClaimP99: percentile([...bareBefore.latenciesMs, ...bareAfter.latenciesMs], 99),
    bareStatusP50: percentile(probeLatencies, 50),
    bareStatusP99: percentile(probeLatencies, 99),
    statusP99: percentile(status.latenciesMs, 99),
    statusP50: percentile(status.latenciesMs, 50),
    statusPerSecond: perSecond(status.latenciesMs.length, status.elapsedMs),
    drainMs,
    pbiP50: percentile(views.latenciesMs, 50),
    pbiP99: percentile(views.latenciesMs, 99),
    pbiBytes: views.bodyBytes / Math.max(1, views.latenciesMs.length),
    rssStatusPeak: statusPeak,
    rssClaimPeak: claimPeak,
  };
  notes.push(
    `${tag}: claims ${figure.claimsPerSecond.toFixed(0)}/s over HTTP (p50 ${percentile(http.latenciesMs, 50).toFixed(1)} ms, ` +
      `app process CPU ${((claimCpuMs * 1000) / Math.max(1, http.claimedIds.length)).toFixed(0)} µs per claim), bare SQL ${bareRate.toFixed(0)}/s ` +
      `(HTTP at ${((figure.claimsPerSecond / bareRate) * 100).toFixed(0)} % of it); status running ${figure.statusPerSecond.toFixed(0)}/s, ` +
      `p50 ${figure.statusP50.toFixed(1)} ms; drains ${drains.map((d) => d.toFixed(0)).join(' / ')} ms; PBI view ${(figure.pbiBytes / 1024).toFixed(1)} KiB; memory after the status load: ${afterStatus}`,
  );
  return figure;
}

async function claimOverHttp(env: BenchEnvironment, load: LoadClient, user: BenchUser, count: number) {
  return load.run({ type: 'claim-count', baseUrl: env.app.url, tokens: user.agents.map((a) => a.token), body: JSON.stringify({ wait_seconds: 0 }), count });
}

/** `count` claims by the bare claim statement, 16 pg clients on the user's queue. */
async function claimWithBareSql(env: BenchEnvironment, user: BenchUser, count: number): Promise<{ claimed: number; elapsedMs: number; latenciesMs: number[] }> {
  const clients = user.agents.map(() => new pg.Client({ connectionString: env.databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    let sent = 0;
    let claimed = 0;
    const latenciesMs: number[] = [];
    const started = performance.now();
    await Promise.all(
      clients.map(async (client, i) => {
        while (sent < count) {
          sent++;
          const t = performance.now();
          const { rows } = await client.query({ name: 'bare-claim', text: bareClaimStatement, values: [user.agents[i]!.tokenId, user.id, allKinds] });
          latenciesMs.push(performance.now() - t);
          if (rows.length === 0) return;
          claimed++;
        }
      }),
    );
    return { claimed, elapsedMs: performance.now() - started, latenciesMs };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

/** `running` on the first `calls` hot-story jobs, 10 in flight. */
async function statusBurst(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, calls: number) {
  const { rows } = await env.db.pool.query<{ id: string }>(
    `SELECT id FROM jobs WHERE story_id = $1 AND status = 'CLAIMED' ORDER BY id LIMIT $2`,
    [world.hotStoryId, calls],
  );
  const token = world.statusUser.agents[0]!.token;
  const body = JSON.stringify({ status: 'running' });
  return load.run({
    type: 'requests',
    baseUrl: env.app.url,
    concurrency: statusConcurrency,
    requests: rows.map((row) => ({ path: `/api/v1/jobs/${row.id}/status`, token, body })),
  });
}

/** Until graphile-worker holds no refresh_story_check job that can still run (false after 120 s). */
async function waitForDrain(pool: pg.Pool): Promise<boolean> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'refresh_story_check' AND j.attempts < j.max_attempts`,
    );
    if (rows[0]!.n === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

async function pbiViews(env: BenchEnvironment, load: LoadClient, world: ScaleWorld, views: number) {
  return load.run({
    type: 'requests',
    baseUrl: env.app.url,
    concurrency: 1,
    requests: Array.from({ length: views }, () => ({ method: 'GET' as const, path: `/api/v1/admin/pbis/${world.hotPbiId}`, token: env.adminToken, body: '' })),
  });
}

type Direction = 'higher' | 'lower';

function rowsOf(figures: DepthFigures[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const first = figures[0];
  if (!first) return rows;
  /** better: which way is good; null: no target relative to the first depth (raw figures, small counts) */
  const metric = (name: string, unit: string, pick: (f: DepthFigures) => number | undefined, better: Direction | null, absolute?: { target: string; pass: (v: number) => boolean }) => {
    const base = pick(first);
    for (const figure of figures) {
      const value = pick(figure);
      if (value === undefined) continue;
      const label = `${name} @ ${figure.depth.toLocaleString('en-US')} queued`;
      const row: BenchRow = { name: label, value, unit };
      const targets: string[] = [];
      let pass: boolean | undefined;
      if (figure !== first && base !== undefined && base > 0 && Number.isFinite(base)) {
        row.baseline = base;
        row.ratio = value / base;
        if (better) {
          targets.push(`within 20 % of ${first.depth.toLocaleString('en-US')}`);
          pass = better === 'higher' ? row.ratio >= 1 - tolerance : row.ratio <= 1 + tolerance;
        }
      }
      if (absolute) {
        targets.push(absolute.target);
        pass = (pass ?? true) && absolute.pass(value);
      }
      if (targets.length > 0) row.target = targets.join(', ');
      if (pass !== undefined) row.pass = pass;
      rows.push(row);
    }
  };
  // Raw figures move with the machine's load (a shared machine: BENCHMARKS.md); the targets are on the
  // figures divided by a baseline measured at the same time, which the data cannot slow down.
  metric(`claims/s over HTTP (${claimAgents} agents)`, 'claims/s', (f) => f.claimsPerSecond, null);
  metric('bare claim statement (16 pg clients, same queue)', 'claims/s', (f) => f.bareClaimsPerSecond, null);
  metric('claims over HTTP ÷ bare claim statement', '×', (f) => f.claimsPerSecond / f.bareClaimsPerSecond, 'higher');
  metric('claim latency p99 (HTTP)', 'ms', (f) => f.claimP99, null);
  metric('claim latency p99 ÷ bare claim statement p99', '×', (f) => f.claimP99 / f.bareClaimP99, 'lower');
  metric(`status running p99 (${statusConcurrency} concurrent, hot story)`, 'ms', (f) => f.statusP99, null);
  metric(`bare status server p99 (${statusConcurrency} concurrent, one UPDATE by id)`, 'ms', (f) => f.bareStatusP99, null);
  metric('status running p99 ÷ bare status p99', '×', (f) => f.statusP99 / f.bareStatusP99, 'lower');
  metric('check-refresh drain after a status burst (median of 3)', 'ms', (f) => f.drainMs, 'lower');
  metric('PBI view of the hot PBI p50', 'ms', (f) => f.pbiP50, null);
  metric('PBI view of the hot PBI p99', 'ms', (f) => f.pbiP99, null);
  metric('PBI view p50 ÷ bare status p50', '×', (f) => f.pbiP50 / f.bareStatusP50, 'lower');
  metric('PBI view p99 ÷ bare status p99', '×', (f) => f.pbiP99 / f.bareStatusP99, 'lower');
  metric('RSS peak of the app during the status load', 'MB', (f) => f.rssStatusPeak, 'lower', { target: `< ${rssTarget} MB`, pass: (v) => v < rssTarget });
  metric('RSS peak of the app during the claims', 'MB', (f) => f.rssClaimPeak, 'lower');
  metric('claim index scan buffers after churn (no manual VACUUM)', 'buffers', (f) => f.churnBuffers, null, { target: '< 20', pass: (v) => v < 20 });
  metric('whole claim statement buffers after churn (no manual VACUUM)', 'buffers', (f) => f.churnStatementBuffers, 'lower');
  return rows;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

